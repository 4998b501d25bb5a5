import { tmpdir } from 'node:os';
import { startServer } from '../../src/server/start.ts';

/**
 * A werker server in a process of its own, for tests that kill it (SIGKILL) mid-delivery: it
 * starts on the given store, adds an application with a webhook rule to `receiver`, finishes a
 * failing run through the runner side and prints `{"runId": N}`; then it serves until killed.
 * Argument: JSON `{dataDir, database?, repo, receiver, policy}`.
 */
const args = JSON.parse(process.argv[2]!) as { dataDir: string; database?: string; repo: string; receiver: string; policy: Record<string, number> };
const server = await startServer({
  dataDir: args.dataDir, ...(args.database ? { database: args.database } : {}), host: '127.0.0.1', port: 0, runners: 0,
  allowLocalRepos: [tmpdir()], notificationPolicy: args.policy, log: (line) => process.stderr.write(`${line}\n`),
});
const ada = await server.core.auth.createUser('ada', 'long enough password');
const app = await server.core.createApplication({ name: 'shop', repository: args.repo }, ada);
await server.core.notifications.create(app.id, { when: 'failure', channel: 'webhook', url: args.receiver, secret: 'whsec_crash-test-secret' }, ada);
const run = await server.core.triggerRun(app.id, 'build', {}, ada);
const job = (await server.core.runners.claim('r1'))!;
await server.core.runners.finish(run.id, job.lease, { status: 'failed', durationMs: 10, message: 'step failed' });
process.stdout.write(`${JSON.stringify({ runId: run.id })}\n`);
