import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../plan/types.ts';
import { createBus, type RunEvent } from './events.ts';
import { transcript, type Verbosity } from './transcript.ts';

// docs/wercker-compat.md §3.5: what --verbose and --debug show of the lines sent to the box.

const plan = {
  env: [
    { name: 'GREETING', value: 'hello', hidden: false },
    { name: 'TOKEN', value: 's3cr3t', hidden: true },
  ],
} as unknown as RunPlan;

const SENT = ['export GREETING="hello"', 'export COPY="s3cr3t"', 'export TOKEN="s3cr3t"', 'mkdir -p "/pipeline"', 'echo 0123 $?'];

function shown(level: Verbosity): string[] {
  const events: RunEvent[] = [];
  const bus = createBus('r1', [(e) => events.push(e)], { secrets: ['s3cr3t'] });
  transcript(plan, level, bus)(SENT);
  return events.map((e) => (e.type === 'log' ? e.text : e.type));
}

describe('transcript', () => {
  it('--verbose shows the public export lines only, a secret in them masked', () => {
    expect(shown('verbose')).toEqual(['export GREETING="hello"', 'export COPY="***"']);
  });

  it('--debug shows every line, the hidden ones (hidden exports, setup, status lines) marked [ ] and still masked', () => {
    expect(shown('debug')).toEqual([
      'export GREETING="hello"', 'export COPY="***"', '[ ] export TOKEN="***"', '[ ] mkdir -p "/pipeline"', '[ ] echo 0123 $?',
    ]);
  });
});
