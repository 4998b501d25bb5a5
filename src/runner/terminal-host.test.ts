import { describe, expect, it } from 'vitest';
import type { HeldBox } from '../engine/run-types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { Masker } from '../util/mask.ts';
import type { Job, RunnerBackend } from './protocol.ts';
import { holdForTerminals } from './terminal-host.ts';
import { channelPair, type TerminalMessage, type TerminalRequest } from './terminal-protocol.ts';

const job = { runId: 9, lease: 'lease-lease-lease-1' } as Job;

/** A backend with one terminal asked for, whose browser end the test reads. */
function backendWithOneRequest() {
  const [runnerEnd, page] = channelPair();
  const got: TerminalMessage[] = [];
  let closed: string | undefined;
  page.onMessage((m) => got.push(m));
  page.onClose((r) => (closed = r));
  let asked = false;
  const backend = {
    nextTerminal: async (_r: number, _l: string, signal: AbortSignal): Promise<TerminalRequest | undefined> => {
      if (!asked) {
        asked = true;
        return { id: 'abcdefgh12', user: 'ada' };
      }
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      return undefined;
    },
    openTerminal: async () => runnerEnd,
  } as unknown as RunnerBackend;
  return { backend, got, closed: () => closed };
}

const box = (shell: string[] | undefined): HeldBox => ({
  runtime: { exec: async () => ({ exitCode: 0, stdout: '', stderr: '' }) } as unknown as ContainerRuntime,
  containerId: 'c1', env: [], cwd: '/pipeline/source', step: 'test', exitCode: 2, shell: async () => shell,
});

describe('holdForTerminals', () => {
  it('says so when the box has no shell, starts nothing, and lets the box go when the window ends', async () => {
    const { backend, got, closed } = backendWithOneRequest();
    const lines: string[] = [];
    await holdForTerminals(box(undefined), { job, backend, windowMs: 300, masker: new Masker([]), signal: new AbortController().signal, log: (t) => lines.push(t) });
    expect(got).toContainEqual({ type: 'notice', text: expect.stringContaining('this box has no shell to open') as string });
    expect(closed()).toBe('the box has no shell');
    expect(lines[0]).toMatch(/its box is kept for 0\.3 s|its box is kept for 0 s/);
    expect(lines.at(-1)).toMatch(/is let go \(the .* window is over\)/);
  });

  it('lets the box go at once when the run is cancelled', async () => {
    const { backend } = backendWithOneRequest();
    const cancel = new AbortController();
    const lines: string[] = [];
    const held = holdForTerminals(box(undefined), { job, backend, windowMs: 60_000, masker: new Masker([]), signal: cancel.signal, log: (t) => lines.push(t) });
    setTimeout(() => cancel.abort(), 50);
    const started = Date.now();
    await held;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(lines.at(-1)).toMatch(/is let go \(the run was cancelled\)/);
  });
});
