import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createBus, type RunEventBody } from '../engine/events.ts';
import { lineReporter, logFileReporter, ndjsonReporter } from './reporters.ts';

const story: RunEventBody[] = [
  { type: 'run.started', pipeline: 'build', box: 'busybox', services: [], steps: ['wercker-init', 'greet'], afterSteps: ['report'] },
  { type: 'step.started', step: 2, name: 'greet', phase: 'main' },
  { type: 'step.output', step: 2, stream: 'stdout', text: 'hello' },
  { type: 'step.finished', step: 2, name: 'greet', phase: 'main', status: 'failed', exitCode: 3, durationMs: 1500, message: 'Command exited with exit code: 3' },
  { type: 'phase.finished', phase: 'main', status: 'failed' },
  { type: 'step.started', step: 2, name: 'report', phase: 'after' },
  { type: 'step.finished', step: 2, name: 'report', phase: 'after', status: 'passed', exitCode: 0, durationMs: 10 },
  { type: 'run.finished', status: 'failed', durationMs: 2000 },
];

describe('reporters', () => {
  it('print wercker\'s lines in plain text', () => {
    let text = '';
    const bus = createBus('r1', [lineReporter((t) => (text += t), false)]);
    story.forEach((e) => bus.emit(e));
    expect(text.split('\n').map((l) => l.replace(/ \(\d+\.\d+s\)$/, ''))).toEqual([
      '--> build: box busybox (run r1)',
      '--> Running step: setup environment',
      '--> Running step: greet',
      'hello',
      'Step failed: greet',
      '    Command exited with exit code: 3',
      'Starting after-steps',
      'Running after-step: report',
      'After-step passed: report',
      'Pipeline failed in 2.00s',
      '',
    ]);
  });

  it('--json prints one event per line with run id and sequence', () => {
    const lines: string[] = [];
    const bus = createBus('r1', [ndjsonReporter((t) => lines.push(t))]);
    story.forEach((e) => bus.emit(e));
    const events = lines.map((l) => JSON.parse(l));
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events[2]).toMatchObject({ runId: 'r1', type: 'step.output', text: 'hello' });
  });

  it('a consumer that throws is dropped and the others go on', () => {
    const seen: string[] = [];
    const bus = createBus('r1', [() => { throw new Error('boom'); }, (e) => seen.push(e.type)]);
    story.slice(0, 3).forEach((e) => bus.emit(e));
    expect(seen).toEqual(['run.started', 'step.started', 'step.output']);
  });

  it('the log file holds the lines with times and is private to the user', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'werker-log-'));
    try {
      const file = path.join(dir, 'logs', 'r1.log');
      const log = logFileReporter(file);
      const bus = createBus('r1', [log.sink]);
      story.forEach((e) => bus.emit(e));
      await log.close();
      const text = readFileSync(file, 'utf8');
      expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z   hello$/m);
      expect(text).toContain('Step failed: greet');
      const { statSync } = await import('node:fs');
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  // `Applying ticker.0001_initial...` (flushed after 250 ms without a newline), then ` OK`.
  const pieces: RunEventBody[] = [
    { type: 'step.started', step: 3, name: 'migrate', phase: 'main' },
    { type: 'step.output', step: 3, stream: 'stdout', text: '  Applying ticker.0001_initial...', partial: true },
    { type: 'step.output', step: 3, stream: 'stdout', text: ' OK' },
    { type: 'step.output', step: 3, stream: 'stdout', text: 'downloading 50%', partial: true },
    { type: 'step.output', step: 3, stream: 'stderr', text: 'warning: slow' },
    { type: 'step.output', step: 3, stream: 'stdout', text: ' 100%', partial: true },
    { type: 'step.output', step: 3, stream: 'stdout', text: '' },
    { type: 'step.output', step: 3, stream: 'stdout', text: 'left open', partial: true },
    { type: 'step.finished', step: 3, name: 'migrate', phase: 'main', status: 'passed', exitCode: 0, durationMs: 10 },
  ];

  it('a line that came in pieces is printed as one line; another stream or event ends it first', () => {
    let text = '';
    const bus = createBus('r1', [lineReporter((t) => (text += t), false)]);
    pieces.forEach((e) => bus.emit(e));
    expect(text.split('\n').map((l) => l.replace(/ \(\d+\.\d+s\)$/, ''))).toEqual([
      '--> Running step: migrate',
      '  Applying ticker.0001_initial... OK',
      'downloading 50%',
      'warning: slow',
      ' 100%',
      'left open',
      'Step passed: migrate',
      '',
    ]);
  });

  it('the log file stamps a line once, when its first piece came', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'werker-log-'));
    try {
      const file = path.join(dir, 'r1.log');
      const log = logFileReporter(file);
      const bus = createBus('r1', [log.sink]);
      pieces.forEach((e) => bus.emit(e));
      await log.close();
      const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, '<t> '));
      expect(lines.slice(1, 7)).toEqual(['<t>     Applying ticker.0001_initial... OK', '<t>   downloading 50%', '<t> ! warning: slow', '<t>    100%', '<t>   left open', 'Step passed: migrate (0.01s)']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a log file that cannot be written is reported once and the run goes on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'werker-log-'));
    const said = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      // The path is a directory: opening it fails (EISDIR), as a full or read-only disk would.
      const log = logFileReporter(dir);
      const bus = createBus('r1', [log.sink]);
      story.forEach((e) => bus.emit(e));
      await new Promise((r) => setTimeout(r, 50));
      story.forEach((e) => bus.emit(e));
      await log.close();
      const lines = said.mock.calls.map((c) => String(c[0])).filter((t) => t.includes('could not be written'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`the log file ${dir} could not be written`);
    } finally {
      said.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
