import { Hono } from 'hono';
import type { ServerEnv } from '../context.ts';
import type { ServerCore } from '../core.ts';
import type { ForgeKind } from '../forges/forge.ts';

/** Where the webhook routes are mounted (app.ts) and every webhook URL starts. */
export const HOOKS_PREFIX = '/hooks';

/** The path of an application's webhook for a forge, as `hookRoutes` serves it. */
export function webhookPath(appName: string, forge: ForgeKind = 'github'): string {
  return `${HOOKS_PREFIX}/${forge}/${encodeURIComponent(appName)}`;
}

/**
 * `POST /hooks/:forge/:app` (`github`, `gitea`): the forge's webhook. The body must be signed with
 * the application's webhook secret (GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the
 * raw body>`); a missing or wrong signature gets 401 and starts nothing. A ping answers 200; a
 * push to a branch queues the application's workflow (or its build pipeline); a pull request
 * opened, synchronized or reopened queues its PR pipeline; anything else answers 202 and starts nothing.
 */
export function hookRoutes(core: ServerCore): Hono<ServerEnv> {
  const hooks = new Hono<ServerEnv>();
  hooks.post('/:forge/:app', async (c) => {
    const raw = Buffer.from(await c.req.arrayBuffer());
    const result = await core.handleHook(c.req.param('forge'), c.req.param('app'), { rawBody: raw, header: (name) => c.req.header(name) });
    return c.json(result.body, result.status);
  });
  return hooks;
}
