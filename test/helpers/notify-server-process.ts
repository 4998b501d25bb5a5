import { tmpdir } from 'node:os';
import { startServer } from '../../src/server/start.ts';
import { failedRunWithWebhook } from './failed-run-notice.ts';

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
const { run } = await failedRunWithWebhook(server, args.repo, args.receiver, 'whsec_crash-test-secret');
process.stdout.write(`${JSON.stringify({ runId: run.id })}\n`);
