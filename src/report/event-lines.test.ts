import { describe, expect, it } from 'vitest';
import type { RunEvent, RunEventBody } from '../engine/events.ts';
import { type EventText, describeEvent, finalRunStatus, formatDuration, runResultText, stepKey, stepProblem } from './event-lines.ts';
import { formatEvent } from './format.ts';

const plainText = (text: EventText): string => text.map((s) => s.text).join('');

const stamp = (body: RunEventBody): RunEvent => ({ runId: 'r1', seq: 1, at: '2026-12-05T09:00:00.000Z', ...body }) as RunEvent;
const words = (body: RunEventBody) => {
  const text = describeEvent(stamp(body));
  return text && plainText(text);
};

// The words of each event, as both the terminal (format.ts) and the web UI's live log
// (server/ui/client/live-log.ts) show them; the browser side is checked in test/e2e/live-log.test.ts.
describe('event lines', () => {
  it('say what happened in wercker\'s words (docs/wercker-compat.md §4.1)', () => {
    expect(words({ type: 'run.started', pipeline: 'build', box: 'busybox', services: ['pg'], steps: [], afterSteps: [] })).toBe('--> build: box busybox, services pg (run r1)\n--> Running step: setup environment');
    expect(words({ type: 'phase.finished', phase: 'setup', status: 'passed', durationMs: 2260 })).toBe('Step passed: setup environment (2.26s)');
    expect(words({ type: 'phase.finished', phase: 'setup', status: 'failed', durationMs: 500 })).toBe('Step failed: setup environment (0.50s)');
    expect(words({ type: 'step.started', step: 2, name: 'greet', phase: 'main' })).toBe('--> Running step: greet');
    expect(words({ type: 'step.started', step: 1, name: 'report', phase: 'after' })).toBe('Running after-step: report');
    expect(words({ type: 'step.finished', step: 2, name: 'greet', phase: 'main', status: 'passed', exitCode: 0, durationMs: 1500 })).toBe('Step passed: greet (1.50s)');
    expect(words({ type: 'step.finished', step: 1, name: 'report', phase: 'after', status: 'failed', exitCode: 3, durationMs: 12_345, message: 'Command exited with exit code: 3', hint: 'look above' }))
      .toBe('After-step failed: report (12.3s)\n    Command exited with exit code: 3\n    hint: look above');
    expect(words({ type: 'phase.finished', phase: 'main', status: 'passed' })).toBe('Steps passed');
    expect(words({ type: 'service.logs', name: 'pg', logs: 'one\ntwo\n' })).toBe('--> Last output of service pg:\n    one\n    two');
    expect(words({ type: 'artifacts.stored', path: '/out', files: 2, bytes: 3 * 1024 * 1024 })).toBe('--> Stored artifacts: 2 files, 3.0 MB in /out');
    expect(words({ type: 'run.finished', status: 'cancelled', durationMs: 2000 })).toBe('Pipeline cancelled in 2.00s');
  });

  it('show nothing for debug logs, progress of a pull, and phases other than passed main steps', () => {
    expect(words({ type: 'log', level: 'debug', text: 'x' })).toBeUndefined();
    expect(words({ type: 'image.pull', image: 'busybox', status: 'Downloading' })).toBeUndefined();
    expect(words({ type: 'image.pull', image: 'busybox', status: 'Pulling from library/busybox' })).toBe('    busybox: Pulling from library/busybox');
    expect(words({ type: 'phase.finished', phase: 'main', status: 'failed' })).toBeUndefined();
    expect(words({ type: 'phase.finished', phase: 'after', status: 'passed' })).toBeUndefined();
  });

  it('give each piece a tone: the terminal colours it, the page gives it a class', () => {
    const failed = describeEvent(stamp({ type: 'step.finished', step: 1, name: 's', phase: 'main', status: 'failed', exitCode: 1, durationMs: 10, hint: 'h' }))!;
    expect(failed.map((s) => [s.tone, s.strong ?? false])).toEqual([['failed', true], ['note', false], ['plain', false], ['hint', false]]);
    expect(describeEvent(stamp({ type: 'step.output', step: 1, stream: 'stderr', text: 'e' }))).toEqual([{ text: 'e', tone: 'warning' }]);
    expect(describeEvent(stamp({ type: 'log', level: 'warn', text: 'w' }))).toEqual([{ text: 'w', tone: 'warning' }]);
  });

  it('are what the terminal prints: plain without colour, the tones as colours with it', () => {
    const failed = stamp({ type: 'step.finished', step: 1, name: 's', phase: 'main', status: 'failed', exitCode: 1, durationMs: 10, message: 'm' });
    expect(formatEvent(failed, false)).toBe(plainText(describeEvent(failed)!));
    expect(formatEvent(failed, true)).toBe('\u001b[31m\u001b[1mStep failed: s\u001b[22m\u001b[39m\u001b[2m (0.01s)\u001b[22m\n\u001b[31m    m\u001b[39m');
    expect(formatEvent(stamp({ type: 'step.started', step: 1, name: 's', phase: 'main' }), true)).toBe('\u001b[36m\u001b[1m--> Running step: s\u001b[22m\u001b[39m');
  });

  it('tell why a step failed and what to do, for the step\'s own log on the page', () => {
    expect(plainText(stepProblem({ message: 'exit 3', hint: 'retry' })!)).toBe('    exit 3\n    hint: retry');
    expect(plainText(stepProblem({ hint: 'retry' })!)).toBe('    hint: retry');
    expect(stepProblem({})).toBeUndefined();
  });
});

describe('the web pages\' rules', () => {
  it('format durations compactly, whole minutes carried over', () => {
    expect([formatDuration(null), formatDuration(999), formatDuration(1234), formatDuration(59_940), formatDuration(75_000), formatDuration(119_600)])
      .toEqual(['', '999ms', '1.2s', '59.9s', '1m 15s', '2m 00s']);
  });

  it('key step sections by phase and number, show errored runs as failed, and word the result', () => {
    expect(stepKey('after', 2)).toBe('after-2');
    expect([finalRunStatus('errored'), finalRunStatus('cancelled')]).toEqual(['failed', 'cancelled']);
    expect(runResultText('passed', 1500)).toBe('Run passed after 1.5s');
    expect(runResultText('cancelled', null)).toBe('Run cancelled');
    expect(runResultText('errored', 2000, { message: 'no box', hint: 'pull it' })).toBe('Run errored after 2.0s: no box (pull it)');
  });
});
