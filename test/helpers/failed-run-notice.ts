import type { RunningServer } from '../../src/server/start.ts';

/**
 * An application `shop` with a webhook rule on failure to `receiver`, and one run of it finished
 * `failed` through the runner side of the core (no engine: the notification is what is tested).
 */
export async function failedRunWithWebhook(server: RunningServer, repoDir: string, receiver: string, secret: string) {
  const ada = await server.core.auth.createUser('ada', 'long enough password');
  const app = await server.core.createApplication({ name: 'shop', repository: repoDir }, ada);
  await server.core.notifications.create(app.id, { when: 'failure', channel: 'webhook', url: receiver, secret }, ada);
  const run = await server.core.triggerRun(app.id, 'build', {}, ada);
  const job = (await server.core.runners.claim('r1'))!;
  await server.core.runners.finish(run.id, job.lease, { status: 'failed', durationMs: 10, message: 'step failed' });
  return { ada, app, run };
}
