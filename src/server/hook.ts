import { createHmac } from 'node:crypto';
import { sameText } from './auth.ts';
import { branchNameProblem } from './branch-name.ts';
import { InputError, type ServerContext } from './context.ts';
import type { ServerCore } from './core.ts';

type HookResult = Awaited<ReturnType<ServerCore['handlePushHook']>>;

/** `sha256=<hex>` of the raw body with the secret, compared in constant time. */
export function signatureMatches(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const want = `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
  return sameText(header.trim(), want);
}

/**
 * A GitHub-style push: checks the signature first (nothing is parsed or started without it),
 * then queues the application's workflow (or its build pipeline) at the pushed commit.
 * Branch deletions and tag pushes start nothing.
 */
/**
 * Remembers webhook deliveries by GitHub's delivery id: `claim` is true the first time an id is
 * seen for the application (false: a replay); `release` forgets it again when the delivery
 * started nothing, so GitHub's "Redeliver" (which sends the same id) can still try again.
 */
export interface DeliveryLog {
  claim(appId: number, deliveryId: string): Promise<boolean>;
  release(appId: number, deliveryId: string): Promise<void>;
}

export async function handlePushHook(ctx: Pick<ServerContext, 'getApplication' | 'triggerRun'> & { webhookSecret(appId: number): Promise<string> }, appName: string, rawBody: Buffer, headers: { signature?: string; event?: string; delivery?: string }, deliveries?: DeliveryLog): Promise<HookResult> {
  const app = await ctx.getApplication(appName);
  if (!app) return { status: 404, body: { error: `no application ${appName}` } };
  if (!signatureMatches(await ctx.webhookSecret(app.id), rawBody, headers.signature)) {
    return { status: 401, body: { error: 'missing or wrong X-Hub-Signature-256 (HMAC-SHA256 of the body with the application\'s webhook secret)' } };
  }
  const event = headers.event ?? 'push';
  if (event === 'ping') return { status: 200, body: { ok: true } };
  if (event !== 'push') return { status: 202, body: { ignored: `event ${event}` } };
  const payload = parsePayload(rawBody);
  if (!payload) return { status: 400, body: { error: 'the body is not a push payload (JSON with "ref" and "after")' } };
  const branch = payload.ref.startsWith('refs/heads/') ? payload.ref.slice('refs/heads/'.length) : undefined;
  if (!branch) return { status: 202, body: { ignored: `ref ${JSON.stringify(payload.ref)} is not a branch` } };
  const badBranch = branchNameProblem(branch);
  if (badBranch) return { status: 400, body: { error: `ref ${JSON.stringify(payload.ref)} names no valid branch (git check-ref-format): ${badBranch}` } };
  if (!/^[0-9a-f]{40}$/.test(payload.after)) return { status: 400, body: { error: '"after" must be the pushed commit\'s 40-hex id' } };
  if (payload.deleted || /^0+$/.test(payload.after)) return { status: 202, body: { ignored: `branch ${branch} was deleted` } };
  const pipeline = app.workflow ? `workflow:${app.workflow}` : 'build';
  // Claimed before anything is queued, so two copies of one delivery arriving together queue once.
  const delivery = headers.delivery?.trim().slice(0, 200);
  if (delivery && deliveries && !(await deliveries.claim(app.id, delivery))) return { status: 200, body: { ignored: `duplicate delivery ${delivery}` } };
  try {
    const run = await ctx.triggerRun(app.id, pipeline, { branch, commit: payload.after, trigger: 'webhook' }, payload.pusher ? `${payload.pusher} (webhook)` : 'webhook');
    return { status: 202, body: { run: run.id, pipeline, branch, commit: run.commit } };
  } catch (err) {
    if (delivery && deliveries) await deliveries.release(app.id, delivery);
    if (err instanceof InputError) return { status: 400, body: { error: err.message } };
    throw err;
  }
}

function parsePayload(raw: Buffer): { ref: string; after: string; deleted: boolean; pusher?: string } | undefined {
  let text = raw.toString('utf8');
  try {
    // GitHub's form encoding: payload=<urlencoded JSON> (a malformed escape is a bad payload, not a server error).
    if (text.startsWith('payload=')) text = decodeURIComponent(text.slice('payload='.length).replace(/\+/g, ' '));
    const p = JSON.parse(text) as { ref?: unknown; after?: unknown; deleted?: unknown; pusher?: { name?: unknown } };
    if (typeof p.ref !== 'string' || typeof p.after !== 'string') return undefined;
    return { ref: p.ref, after: p.after, deleted: p.deleted === true, ...(typeof p.pusher?.name === 'string' ? { pusher: p.pusher.name } : {}) };
  } catch {
    return undefined;
  }
}
