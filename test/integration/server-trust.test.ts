import type { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.ts';
import type { Run, Session, User } from '../../src/server/context.ts';
import { LEASE_HEADER } from '../../src/runner/protocol.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { spawnCli, type CliResult } from '../helpers/cli.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { leftoversOf, scratchDatabase, testDatabaseUrl } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// The two high findings of issue 14, end to end: a real `werker server` on PostgreSQL, real HTTP,
// `werker runner` processes on the real engine. (a) who may make runner tokens and speak for a
// run; (b) values from requests reach the step exactly as written, protected ones masked.
const docker = await requireDocker();
const databaseUrl = testDatabaseUrl();
const APP = `srv-trust-${randomBytes(3).toString('hex')}`;
const SECRET = `s3cr3t-${randomBytes(6).toString('hex')}`;
const PROTECTED = 'pa$$word';
const HOSTILE_NOTE = '$(echo "$SECRET" | base64 >&2)';
const PASSWORD = 'long enough password';
const YML = `box: ${BUSYBOX}
build:
  steps:
    - script:
        name: literal
        code: |
          printf 'note=%s\\n' "$NOTE"
          if [ "$P" = 'pa$$word' ]; then echo "protected arrived exactly: $P"; else echo "protected arrived changed"; exit 1; fi
          printf 'branch=%s\\n' "$WERCKER_GIT_BRANCH"
          echo "made by the holder" > "$WERCKER_OUTPUT_DIR/made-by.txt"
slow:
  steps:
    - script:
        name: nap
        code: echo napping; sleep 8; echo woke up
`;

describe.skipIf(!docker || !databaseUrl)('werker server trust, end to end (PostgreSQL, werker runner, real engine)', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-srv-trust');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-srv-trust-'));
  const runners: { child: ChildProcess; done: Promise<CliResult> }[] = [];
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  let server: RunningServer;
  let admin: User;
  let adminSession: Session;
  let memberSession: Session;
  let appId: number;

  const http = async (method: string, urlPath: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${server.url}${urlPath}`, {
      method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };
  const asSession = (s: Session) => ({ cookie: `werker_session=${s.token}`, 'x-csrf-token': s.csrfToken });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const startRunner = (name: string, token: string) => {
    const r = spawnCli(['runner', '--server', server.url, '--name', name, '--poll-ms', '200', '--work-dir', path.join(dataDir, name)], { env: { WERKER_RUNNER_TOKEN: token } });
    runners.push(r);
    return r;
  };
  const finished = (runId: number, timeoutMs = 120_000) => waitFor(`run ${runId} to finish`, async () => {
    const r = await server.core.getRun(runId);
    return r && r.status !== 'queued' && r.status !== 'running' ? r : undefined;
  }, timeoutMs);
  const outputText = (events: RunEvent[]) => events.filter((e) => e.type === 'step.output').map((e) => (e as { text: string }).text).join('\n');

  beforeAll(async () => {
    scratch = await scratchDatabase(databaseUrl!);
    server = await startServer({ dataDir, database: scratch.url, host: '127.0.0.1', port: 0, runners: 0, leaseMs: 3000, log: () => undefined, allowLocalRepos: [tmpdir()] });
    admin = await server.core.auth.createUser('admin', PASSWORD);
    await server.core.auth.createUser('mallory', PASSWORD);
    adminSession = (await server.core.auth.login('admin', PASSWORD))!;
    memberSession = (await server.core.auth.login('mallory', PASSWORD))!;
    appId = (await server.core.createApplication({ name: APP, repository: repo.dir }, admin)).id;
  });
  afterAll(async () => {
    for (const r of runners) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
    await Promise.all(runners.map((r) => r.done));
    await server?.close();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  it('(a) only an admin\'s session makes runner tokens; no token mints one; another runner token cannot speak for a claimed run', async () => {
    expect((await http('POST', '/api/tokens', asSession(memberSession), { name: 'stolen', kind: 'runner' })).status).toBe(403);
    const made = await http('POST', '/api/tokens', asSession(adminSession), { name: 'holder', kind: 'runner' });
    expect(made.status).toBe(201);
    const holderToken = made.json().token as string;
    const otherToken = (await http('POST', '/api/tokens', asSession(adminSession), { name: 'other', kind: 'runner' })).json().token as string;
    const adminUserToken = (await http('POST', '/api/tokens', asSession(adminSession), { name: 'cli', kind: 'user' })).json().token as string;
    for (const minter of [holderToken, adminUserToken]) {
      for (const kind of ['user', 'runner']) expect((await http('POST', '/api/tokens', bearer(minter), { name: 'child', kind })).status, `${kind} from a token`).toBe(403);
    }

    const run = await server.core.triggerRun(appId, 'slow', {}, admin);
    startRunner('holder', holderToken);
    await waitFor('the holder to be napping', async () => (outputText(await server.core.listRunEvents(run.id, 0, 1000)).includes('napping') ? true : undefined), 60_000);
    const job = { runId: run.id };
    // The other token, even knowing the run id and guessing attempt 1 (and the lease header format), is refused.
    const forged = { [LEASE_HEADER]: 'A'.repeat(24) };
    expect((await http('POST', `/api/runner/runs/${job.runId}/events`, { ...bearer(otherToken), ...forged }, { attempt: 1, events: [{ type: 'log', level: 'info', text: 'forged line' }] })).status).toBe(403);
    expect((await http('POST', `/api/runner/runs/${job.runId}/finish`, { ...bearer(otherToken), ...forged }, { attempt: 1, status: 'passed', durationMs: 1 })).status).toBe(403);
    const upload = await fetch(`${server.url}/api/runner/runs/${job.runId}/output?attempt=1`, { method: 'PUT', headers: { ...bearer(otherToken), ...forged, 'content-type': 'application/x-tar' }, body: 'not the holder\'s output' });
    expect(upload.status).toBe(403);
    expect((await http('GET', `/api/runner/runs/${job.runId}/source`, { ...bearer(otherToken), ...forged })).status).toBe(403);
    expect((await server.core.getRun(run.id))!.status).toBe('running');

    const done = await finished(run.id);
    expect(done).toMatchObject({ status: 'passed', attempt: 1, runner: 'holder' });
    const events = await server.core.listRunEvents(run.id, 0, 10_000);
    expect(JSON.stringify(events)).not.toContain('forged line');
    expect(outputText(events)).toContain('woke up');
  });

  it('(a) revoking a runner token ends what it holds: its runner stops, the run is requeued and another runner finishes it', async () => {
    const tokens = await server.core.auth.listTokens(admin);
    const holder = tokens.find((t) => t.name === 'holder')!;
    const run = await server.core.triggerRun(appId, 'slow', {}, admin);
    await waitFor('the holder to be napping', async () => (outputText(await server.core.listRunEvents(run.id, 0, 1000)).includes('napping') ? true : undefined), 60_000);
    expect((await http('DELETE', `/api/tokens/${holder.id}`, asSession(adminSession))).status).toBe(204);
    const spare = (await http('POST', '/api/tokens', asSession(adminSession), { name: 'spare', kind: 'runner' })).json().token as string;
    startRunner('spare', spare);
    const done = await finished(run.id);
    expect(done).toMatchObject({ status: 'passed', attempt: 2, runner: 'spare' });
    expect((await http('GET', '/api/runner/ping', bearer('x'))).status).toBe(401);
  });

  it('(b) a hostile variable prints literally, a protected pa$$word arrives exactly and is masked, and a branch with a newline is refused everywhere', async () => {
    const admins = asSession(adminSession);
    const sign = async (body: string) => `sha256=${createHmac('sha256', await server.core.getWebhookSecret(appId, admin)).update(body).digest('hex')}`;
    expect((await http('POST', `/api/applications/${APP}/variables`, admins, { name: 'NOTE', value: HOSTILE_NOTE })).status).toBe(201);
    expect((await http('POST', `/api/applications/${APP}/variables`, admins, { name: 'SECRET', value: SECRET, protected: true })).status).toBe(201);
    expect((await http('POST', `/api/applications/${APP}/variables`, admins, { name: 'P', value: PROTECTED, protected: true })).status).toBe(201);

    // A newline in a branch: refused by the API, the webhook and `werker remote`, before anything is queued.
    const before = (await server.core.listRuns({ appId })).runs.length;
    const api = await http('POST', `/api/applications/${APP}/runs`, admins, { pipeline: 'build', branch: 'x\n$(id)', commit: repo.head() });
    expect(api.status).toBe(400);
    expect(api.text).toContain('is not a valid branch name (git check-ref-format)');
    const hookBody = JSON.stringify({ ref: 'refs/heads/x\n$(id)', after: repo.head() });
    const hook = await fetch(`${server.url}/hooks/github/${APP}`, { method: 'POST', body: hookBody, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': await sign(hookBody) } });
    expect(hook.status).toBe(400);
    const userToken = (await http('POST', '/api/tokens', admins, { name: 'remote', kind: 'user' })).json().token as string;
    const remote = await spawnCli(['remote', 'build', APP, '--server', server.url, '--branch', 'x\n$(id)'], { env: { WERKER_TOKEN: userToken } }).done;
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('is not a valid branch name');
    expect((await server.core.listRuns({ appId })).runs.length).toBe(before);

    // A branch git allows, with `$(...)` in it, pushed and delivered by the webhook: it reaches the step as written.
    execFileSync('git', ['branch', 'x$(id)'], { cwd: repo.dir });
    const pushBody = JSON.stringify({ ref: 'refs/heads/x$(id)', after: repo.head() });
    const pushed = await fetch(`${server.url}/hooks/github/${APP}`, { method: 'POST', body: pushBody, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': await sign(pushBody) } });
    expect(pushed.status).toBe(202);
    const { run: runId } = (await pushed.json()) as { run: number };
    const done: Run = await finished(runId);
    const events = await server.core.listRunEvents(runId, 0, 100_000);
    const log = outputText(events);
    expect(done.status, log).toBe('passed');
    expect(log).toContain(`note=${HOSTILE_NOTE}`);
    expect(log).toContain('protected arrived exactly: ***');
    expect(log).toContain('branch=x$(id)');
    const stored = JSON.stringify(events);
    for (const leak of [SECRET, Buffer.from(SECRET).toString('base64').slice(0, 12), PROTECTED, 'uid=']) expect(stored).not.toContain(leak);
    expect(await leftoversOf(docker!, APP)).toEqual([]);
  });
});
