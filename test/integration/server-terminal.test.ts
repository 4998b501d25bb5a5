import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.ts';
import type { Run, RunDetail, User } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { createRun } from '../../src/store/runs.ts';
import { spawnCli } from '../helpers/cli.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { apiClient, leftoversOf } from '../helpers/server.ts';
import { openTerminal } from '../helpers/terminal-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

// A terminal into a failed step's box on the server (docs/wercker-compat.md §8.4, werker's own):
// the real embedded runner and engine, SQLite, a local git repo.
const docker = await requireDocker();
const SECRET = `s3cr3t-${randomBytes(6).toString('hex')}`;
const APP = `srv-term-${randomBytes(3).toString('hex')}`;
const WINDOW_MINUTES = 0.5;
/** busybox ash's prompt in the failed step's directory. */
const PROMPT = /\/sub # /;
const YML = `box: ${BUSYBOX}
build:
  steps:
    - script:
        name: prepare
        code: |
          echo prepared > /tmp/prepared
          export PREPARED_BY=the-prepare-step
    - script:
        name: check
        code: |
          mkdir -p sub && cd sub
          test -f /tmp/fixed || { echo "not fixed yet"; exit 3; }
          echo "fixed; prepared by $PREPARED_BY"
`;

describe.skipIf(!docker)('the server\'s terminal into a failed box, and retry from a step', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-srv-term');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-srv-term-'));
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let admin: User;
  let firstRun: Run;

  const session = async (name: string) => {
    const s = (await server.core.auth.login(name, 'long enough password'))!;
    return { cookie: `werker_session=${s.token}`, csrf: s.csrfToken };
  };
  const ticket = async (runId: number, who: { cookie: string; csrf: string }) => {
    const res = await fetch(`${server.url}/api/runs/${runId}/terminal`, { method: 'POST', headers: { cookie: who.cookie, 'x-csrf-token': who.csrf, accept: 'application/json' } });
    return { status: res.status, body: (await res.json()) as { path?: string; error?: string } };
  };
  const socketUrl = (p: string) => `${server.url.replace(/^http/, 'ws')}${p}`;
  const heldRun = async (): Promise<Run> => {
    const run = (await api.post<{ run: Run }>(`/api/applications/${APP}/runs`, { pipeline: 'build' })).run;
    await waitFor(`run ${run.id}'s box to be held`, async () => (server.core.terminals.hub.holding(run.id) ? true : undefined), 120_000);
    return run;
  };
  const events = async (runId: number) => (await api.get<{ events: RunEvent[] }>(`/api/runs/${runId}/events?format=json`)).events;
  const logText = async (runId: number) => (await events(runId)).map((e) => ('text' in e ? e.text : 'line' in e ? e.line : '')).join('\n');

  beforeAll(async () => {
    server = await startServer({
      dataDir, host: '127.0.0.1', port: 0, runners: 1, runtime: docker!, leaseMs: 15_000, log: () => undefined, allowLocalRepos: [tmpdir()], terminalMinutes: WINDOW_MINUTES,
    });
    admin = await server.core.auth.createUser('admin', 'long enough password');
    await server.core.auth.createUser('member', 'long enough password');
    api = apiClient(server.url, (await server.core.auth.createToken('user', 'it', admin)).token);
    await api.post('/api/applications', { name: APP, repository: repo.dir });
    await api.post(`/api/applications/${APP}/variables`, { name: 'SOME_VAR', value: SECRET, protected: true });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  it('opens a shell in the failed step\'s directory with its environment, protected values masked; refuses strangers', async () => {
    firstRun = await heldRun();
    const me = await session('admin');
    const other = await session('member');
    const headers = { cookie: me.cookie, origin: server.url };

    // Another user without access (a member who doesn't maintain the application): no ticket.
    const refused = await ticket(firstRun.id, other);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/maintainers and admins/);
    // No session, a wrong Origin, a ticket used twice or by someone else: the upgrade is refused.
    const t1 = (await ticket(firstRun.id, me)).body.path!;
    await expect(openTerminal(socketUrl(t1), { origin: server.url })).rejects.toMatchObject({ status: 401 });
    const t2 = (await ticket(firstRun.id, me)).body.path!;
    await expect(openTerminal(socketUrl(t2), { ...headers, origin: 'http://evil.example' })).rejects.toMatchObject({ status: 403 });
    const t3 = (await ticket(firstRun.id, me)).body.path!;
    await expect(openTerminal(socketUrl(t3), { cookie: other.cookie, origin: server.url })).rejects.toMatchObject({ status: 403 });
    await expect(openTerminal(socketUrl(t3), headers)).rejects.toMatchObject({ status: 403 });

    const term = await openTerminal(socketUrl((await ticket(firstRun.id, me)).body.path!), headers);
    term.ws.send(JSON.stringify({ type: 'resize', rows: 30, cols: 100 }));
    await term.waitFor(PROMPT);
    term.type('pwd; echo "var=$SOME_VAR prepared=$PREPARED_BY"\r');
    const shown = await term.waitFor(/var=\*\*\* prepared=the-prepare-step/);
    expect(shown).toMatch(/\/sub\r?\n/);
    // Ctrl-C stops a command, not the shell.
    term.type('sleep 30\r');
    await new Promise((r) => setTimeout(r, 500));
    term.type('\x03');
    term.type('echo still-here\r');
    await term.waitFor(/still-here\r?\n[^]*sub # /);
    // What the retry from the step will find: the shell's changes go into the snapshot.
    term.type('touch /tmp/fixed; exit\r');
    await term.waitFor(/\[exit 0\]/);
    await term.closed;
    expect(term.transcript()).not.toContain(SECRET);
    const log = await logText(firstRun.id);
    expect(log).toContain('terminal opened by admin');
    await waitFor('the close to be audited', async () => ((await logText(firstRun.id)).includes('terminal of admin closed') ? true : undefined), 10_000);
  }, 180_000);

  it('lets the box go after the window: the run ends failed at its step and no container is left', async () => {
    const done = await waitFor('the run to end', async () => {
      const { run } = await api.get<{ run: RunDetail }>(`/api/runs/${firstRun.id}`);
      return run.status === 'running' ? undefined : run;
    }, 120_000);
    expect(done.status).toBe('failed');
    expect(done.snapshotStep).toBe('check');
    expect(done.steps.find((s) => s.name === 'check')?.status).toBe('failed');
    const log = await logText(firstRun.id);
    expect(log).toMatch(/is let go \(the 30 s window is over\)/);
    expect(log).toContain('kept a snapshot of the box as werker-snapshot:');
    const page = await (await fetch(`${server.url}/runs/${firstRun.id}`, { headers: { cookie: (await session('admin')).cookie } })).text();
    expect(page).toContain('Retry from this step');
    expect(page).toContain('name="fromStep" value="check"');
    expect(page).not.toContain('id="terminal-open"');
    expect(await leftoversOf(docker!, APP)).toEqual([]);
  }, 180_000);

  it('retries from the failed step in the snapshot on the same runner: the passed steps are skipped', async () => {
    const { run } = await api.post<{ run: Run }>(`/api/runs/${firstRun.id}/retry`, { fromStep: 'check' });
    const done = await waitFor('the retry to end', async () => {
      const r = (await api.get<{ run: RunDetail }>(`/api/runs/${run.id}`)).run;
      return r.status === 'queued' || r.status === 'running' ? undefined : r;
    }, 180_000);
    const log = await logText(run.id);
    expect(done.status, log).toBe('passed');
    expect(log).toContain(`queued for runner ${firstRun.runner ?? ''}`.trim());
    expect(log).toMatch(/Resuming from the snapshot of run .*: skipping prepare/);
    expect(log).toContain('fixed; prepared by the-prepare-step');
    expect(done.steps.map((s) => s.name)).not.toContain('prepare');
  }, 240_000);

  it('a retry from a step of a run that left no snapshot runs from the start and says so', async () => {
    const row = await createRun(server.core.store, { application_id: firstRun.applicationId, pipeline: 'build', kind: 'build', branch: firstRun.branch, commit_sha: firstRun.commit, trigger: 'api', triggered_by: 'admin' });
    await server.core.store.db.updateTable('runs').set({ status: 'failed', runner: firstRun.runner, finished_at: new Date().toISOString() }).where('id', '=', row.id).execute();
    // The run page's "Retry from this step" button: a form post with the CSRF token.
    const me = await session('admin');
    const res = await fetch(`${server.url}/runs/${row.id}/retry`, {
      method: 'POST', redirect: 'manual', headers: { cookie: me.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: me.csrf, fromStep: 'check' }),
    });
    expect(res.status).toBe(303);
    const run = { id: Number(/\/runs\/(\d+)$/.exec(res.headers.get('location') ?? '')![1]) };
    expect(await logText(run.id)).toMatch(/left no snapshot of its box .* starts from the beginning/);
    // It runs every step again (and fails at check: a fresh box has no /tmp/fixed); stop it there.
    await waitFor('the box to be held', async () => (server.core.terminals.hub.holding(run.id) ? true : undefined), 120_000);
    expect((await api.get<{ run: RunDetail }>(`/api/runs/${run.id}`)).run.steps.map((s) => s.name)).toContain('prepare');
    await api.post(`/api/runs/${run.id}/cancel`);
    await waitFor('the run to end', async () => ((await api.get<{ run: Run }>(`/api/runs/${run.id}`)).run.status === 'running' ? undefined : true), 60_000);
  }, 240_000);

  it('cancelling the run closes its terminal and removes the box; the run keeps its step\'s result', async () => {
    const run = await heldRun();
    const me = await session('admin');
    const term = await openTerminal(socketUrl((await ticket(run.id, me)).body.path!), { cookie: me.cookie, origin: server.url });
    await term.waitFor(PROMPT);
    await api.post(`/api/runs/${run.id}/cancel`);
    await term.closed;
    expect(term.transcript()).toMatch(/\[werker\] .*(let go|cancelled)/);
    const ended = await waitFor('the run to end', async () => {
      const r = (await api.get<{ run: Run }>(`/api/runs/${run.id}`)).run;
      return r.status === 'running' ? undefined : r;
    }, 60_000);
    // The step had failed before the cancel: the cancel lets the box go, the result stays the step's.
    expect(ended.status).toBe('failed');
    expect(await logText(run.id)).toMatch(/is let go \(the run was cancelled\)/);
    await waitFor('the box to be removed', async () => ((await leftoversOf(docker!, APP)).length === 0 ? true : undefined), 30_000);
  }, 240_000);
});

describe.skipIf(!docker)('the server\'s terminal through a remote `werker runner`', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-srv-term-remote');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-srv-term-remote-'));
  const workDir = mkdtempSync(path.join(tmpdir(), 'werker-srv-term-work-'));
  const app = `${APP}-r`;
  let server: RunningServer;
  let runner: ReturnType<typeof spawnCli>;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 0, leaseMs: 15_000, log: () => undefined, allowLocalRepos: [tmpdir()], terminalMinutes: 2 });
    const admin = await server.core.auth.createUser('admin', 'long enough password');
    api = apiClient(server.url, (await server.core.auth.createToken('user', 'it', admin)).token);
    await api.post('/api/applications', { name: app, repository: repo.dir });
    await api.post(`/api/applications/${app}/variables`, { name: 'SOME_VAR', value: SECRET, protected: true });
    const token = (await server.core.auth.createToken('runner', 'remote')).token;
    runner = spawnCli(['runner', '--server', server.url, '--name', 'remote-1', '--poll-ms', '200', '--work-dir', workDir], { env: { WERKER_RUNNER_TOKEN: token } });
  });
  afterAll(async () => {
    if (runner.child.exitCode === null && runner.child.signalCode === null) runner.child.kill('SIGKILL');
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
    repo.remove();
  });

  it('relays the shell over the runner\'s own socket, masked; a runner that stops ends the terminal with a message and removes the box', async () => {
    const { run } = await api.post<{ run: Run }>(`/api/applications/${app}/runs`, { pipeline: 'build' });
    await waitFor('the remote runner to hold the box', async () => (server.core.terminals.hub.holding(run.id) ? true : undefined), 120_000);
    const s = (await server.core.auth.login('admin', 'long enough password'))!;
    const res = await fetch(`${server.url}/api/runs/${run.id}/terminal`, { method: 'POST', headers: { cookie: `werker_session=${s.token}`, 'x-csrf-token': s.csrfToken } });
    const { path: socketPath } = (await res.json()) as { path: string };
    const term = await openTerminal(`${server.url.replace(/^http/, 'ws')}${socketPath}`, { cookie: `werker_session=${s.token}`, origin: server.url });
    await term.waitFor(PROMPT);
    term.type('echo "over the runner: $SOME_VAR"\r');
    await term.waitFor(/over the runner: \*\*\*/);
    runner.child.kill('SIGTERM');
    const closed = await term.closed;
    expect(term.transcript()).toMatch(/\[werker\] .*(let go|terminal ended)/);
    expect(closed.code).toBeGreaterThan(0);
    expect(term.transcript()).not.toContain(SECRET);
    await runner.done;
    expect(await leftoversOf(docker!, app)).toEqual([]);
  }, 240_000);
});
