import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { OWNER_FILE } from './checkout.ts';
import type { RunnerBackend } from './protocol.ts';
import { startRunner, sweepWorkRoot } from './worker.ts';

// Work dirs a killed runner left behind, on a real disk with real process ids.
let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** The id of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function workDir(name: string, owner?: string, ageMs = 0): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'source'), { recursive: true });
  if (owner !== undefined) writeFileSync(path.join(dir, OWNER_FILE), `${owner}\n`);
  const t = new Date(Date.now() - ageMs);
  utimesSync(dir, t, t);
  return dir;
}

describe('a runner\'s work root', () => {
  it('loses the dirs of runs whose runner process is gone, and keeps those of live runners, other machines and dirs being made', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'werker-work-root-'));
    const dead = workDir('run-7-aaaa', `${hostname()} ${deadPid()}`);
    workDir('run-8-bbbb', `${hostname()} ${process.pid}`);
    workDir('run-9-cccc', 'another-host 1');
    const orphan = workDir('run-10-dddd', undefined, 10 * 60_000);
    workDir('run-11-eeee');
    workDir('not-a-run');
    const removed = await sweepWorkRoot(root, () => undefined);
    expect(removed.sort()).toEqual([orphan, dead].sort());
    expect(readdirSync(root).sort()).toEqual(['not-a-run', 'run-11-eeee', 'run-8-bbbb', 'run-9-cccc']);
  });

  it('is swept when a runner starts, before it claims anything', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'werker-work-root-'));
    const dead = workDir('run-3-ffff', `${hostname()} ${deadPid()}`);
    const lines: string[] = [];
    let claims = 0;
    const backend = { claim: async () => {
      claims++;
      expect(existsSync(dead)).toBe(false);
      return undefined;
    } } as unknown as RunnerBackend;
    const runner = startRunner({ backend, runtime: {} as ContainerRuntime, name: 'r1', workRoot: root, idlePollMs: 10, log: (l) => lines.push(l) });
    for (let i = 0; i < 200 && claims === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await runner.stop();
    expect(claims).toBeGreaterThan(0);
    expect(lines).toContain(`werker runner: removed 1 work dir(s) of runs no runner holds any more in ${root}`);
  });
});
