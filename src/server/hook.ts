import { InputError, type RunOrigin, type ServerContext } from './context.ts';
import type { Forge, ForgeEvent, WebhookDelivery } from './forges/forge.ts';

export type HookResult = { status: 200 | 202 | 400 | 401 | 404; body: Record<string, unknown> };

/**
 * Remembers webhook deliveries by the forge's delivery id: `claim` is true the first time an id is
 * seen for the application (false: a replay); `release` forgets it again when the delivery
 * started nothing, so the forge's "Redeliver" (which sends the same id) can still try again.
 */
export interface DeliveryLog {
  claim(appId: number, deliveryId: string): Promise<boolean>;
  release(appId: number, deliveryId: string): Promise<void>;
}

export interface HookDeps extends Pick<ServerContext, 'getApplication' | 'triggerRun'> {
  webhookSecret(appId: number): Promise<string>;
  /** The pipeline (or `workflow:NAME`) the application's pull requests run. */
  pullRequestPipeline(appId: number): Promise<string>;
  deliveries?: DeliveryLog;
}

/** What one verified event queues: pipeline, branch, commit, who, and where it came from. */
interface HookRun { pipeline: string; branch: string; commit: string; by: string; trigger: string; origin: RunOrigin }

/**
 * A forge's webhook: the signature is checked first (nothing is parsed or started without it),
 * then a push to a branch queues the application's workflow (or its build pipeline) at the pushed
 * commit, and a pull request opened, updated or reopened queues its PR pipeline at the head
 * commit (a fork's untrusted). Branch deletions, tags, other PR actions and events start nothing.
 */
export async function handleForgeHook(deps: HookDeps, forge: Forge, appName: string, delivery: WebhookDelivery): Promise<HookResult> {
  const app = await deps.getApplication(appName);
  if (!app) return { status: 404, body: { error: `no application ${appName}` } };
  if (!(await forge.webhooks.verify(await deps.webhookSecret(app.id), delivery))) {
    return { status: 401, body: { error: `missing or wrong ${forge.webhooks.signatureHeader} (HMAC-SHA256 of the body with the application's webhook secret)` } };
  }
  const event = forge.webhooks.parse(delivery);
  const planned = await plan(deps, forge, app, event);
  if ('status' in planned) return planned;
  // Claimed before anything is queued, so two copies of one delivery arriving together queue once.
  const id = forge.webhooks.deliveryId(delivery);
  if (id && deps.deliveries && !(await deps.deliveries.claim(app.id, id))) return { status: 200, body: { ignored: `duplicate delivery ${id}` } };
  try {
    const run = await deps.triggerRun(app.id, planned.pipeline, { branch: planned.branch, commit: planned.commit, trigger: planned.trigger, origin: planned.origin }, planned.by);
    return { status: 202, body: { run: run.id, pipeline: planned.pipeline, branch: planned.branch, commit: run.commit, ...(planned.origin.untrusted ? { untrusted: true } : {}) } };
  } catch (err) {
    if (id && deps.deliveries) await deps.deliveries.release(app.id, id);
    if (err instanceof InputError) return { status: 400, body: { error: err.message } };
    throw err;
  }
}

/** The run an event asks for, or the answer when it asks for none. */
async function plan(deps: HookDeps, forge: Forge, app: { id: number; workflow: string | null }, event: ForgeEvent): Promise<HookRun | HookResult> {
  switch (event.kind) {
    case 'ping':
      return { status: 200, body: { ok: true } };
    case 'ignored':
      return { status: 202, body: { ignored: event.reason } };
    case 'invalid':
      return { status: 400, body: { error: event.error } };
    case 'push':
      if (event.deleted) return { status: 202, body: { ignored: `branch ${event.branch} was deleted` } };
      return {
        pipeline: app.workflow ? `workflow:${app.workflow}` : 'build', branch: event.branch, commit: event.commit, trigger: 'webhook',
        by: event.pusher ? `${event.pusher} (webhook)` : 'webhook', origin: { forge: forge.kind },
      };
    case 'pull_request':
      return {
        pipeline: await deps.pullRequestPipeline(app.id), branch: event.headBranch, commit: event.headSha, trigger: 'pull_request',
        by: `${event.author} (pull request #${event.number}${event.fromFork ? ', from a fork' : ''})`,
        origin: { forge: forge.kind, pullRequest: event.number, untrusted: event.fromFork },
      };
  }
}
