import { Hono } from 'hono';
import type { ServerEnv } from '../context.ts';
import type { ServerCore } from '../core.ts';

/** Where the push webhook routes are mounted (app.ts) and every webhook URL starts. */
export const HOOKS_PREFIX = '/hooks';

/** The path of an application's push webhook, as `hookRoutes` serves it. */
export function webhookPath(appName: string): string {
  return `${HOOKS_PREFIX}/github/${encodeURIComponent(appName)}`;
}

/**
 * `POST /hooks/github/:app`: a GitHub-style push webhook. The body must be signed with the
 * application's webhook secret (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
 * body>`); a missing or wrong signature gets 401 and starts nothing. `X-GitHub-Event: ping`
 * answers 200; a push to a branch queues the application's workflow (or its build pipeline).
 */
export function hookRoutes(core: ServerCore): Hono<ServerEnv> {
  const hooks = new Hono<ServerEnv>();
  hooks.post('/github/:app', async (c) => {
    const raw = Buffer.from(await c.req.arrayBuffer());
    const result = await core.handlePushHook(c.req.param('app'), raw, {
      signature: c.req.header('x-hub-signature-256'), event: c.req.header('x-github-event'), delivery: c.req.header('x-github-delivery'),
    });
    return c.json(result.body, result.status);
  });
  return hooks;
}
