import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerCore } from '../../src/server/service.ts';
import { openStore } from '../../src/store/db.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { leftoversOf } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// A real `werker server` process with its embedded runner on the real engine, stopped with SIGTERM mid-run.
const docker = await requireDocker();
const APP = `srv-term-${randomBytes(3).toString('hex')}`;
const YML = `box: ${BUSYBOX}\nbuild:\n  steps:\n    - script:\n        name: long\n        code: echo started && sleep 300\n`;
const cliArgs = ['--import', import.meta.resolve('tsx'), path.join(repoRoot, 'src/cli/main.ts')];

describe.skipIf(!docker)('werker server on SIGTERM', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-srv-term');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-srv-term-'));
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  it('stops taking runs, gives the running one back to the queue saying why, removes its work dir and containers, and exits 0', async () => {
    // Queue a run before the server starts: its embedded runner takes it at once.
    const setup = await openStore(path.join(dataDir, 'werker.db'));
    const core = createServerCore(setup, { dataDir, allowLocalRepos: [tmpdir()] });
    const user = await core.auth.createUser('ops', 'long enough password');
    const app = await core.createApplication({ name: APP, repository: repo.dir }, user);
    const run = await core.triggerRun(app.id, 'build', {}, user);
    await setup.close();

    const child = spawn(process.execPath, [...cliArgs, 'server', '--data-dir', dataDir, '--port', '0', '--runners', '1', '--allow-local-repos', tmpdir()], {
      cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const workDir = path.join(dataDir, 'work');
    // The step is running: it printed "started" (read from the database the server writes).
    const watch = await openStore(path.join(dataDir, 'werker.db'));
    try {
      const events = createServerCore(watch, { dataDir });
      await waitFor('the step\'s first line', async () => (await events.listRunEvents(run.id)).some((e) => e.type === 'step.output' && e.text === 'started') || undefined, 120_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${output}`);
      });
    } finally {
      await watch.close();
    }
    expect(readdirSync(workDir)).toHaveLength(1);
    expect(await leftoversOf(docker!, APP)).not.toEqual([]);
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(60_000);
    expect(output).toContain('werker server: stopping: no new runs are taken, runs in progress go back to the queue');
    expect(output).toContain('werker server: stopped');

    const after = await openStore(path.join(dataDir, 'werker.db'));
    try {
      const check = createServerCore(after, { dataDir });
      expect(await check.getRun(run.id)).toMatchObject({ status: 'queued', attempt: 1, runner: null });
      const texts = (await check.listRunEvents(run.id)).map((e) => (e.type === 'log' ? e.text : e.type === 'step.output' ? e.text : e.type));
      expect(texts, texts.join('\n')).toContain('started');
      expect(texts.at(-1)).toBe('the server stopped (SIGTERM or shutdown) during attempt 1; the run is queued again for attempt 2');
    } finally {
      await after.close();
    }
    expect(readdirSync(workDir)).toEqual([]);
    expect(await leftoversOf(docker!, APP)).toEqual([]);
  }, 240_000);
});
