import { Hono } from 'hono';
import { authorize } from './auth.ts';
import { bodyLimits } from './body-limits.ts';
import { throttleLogins } from './login-throttle.ts';
import { transportFacts } from './transport.ts';
import type { ServerEnv } from './context.ts';
import type { ServerCore } from './core.ts';
import { apiRoutes } from './routes/api.ts';
import { BADGE_PREFIX, badgeRoutes } from './routes/badges.ts';
import { cacheRoutes } from './routes/cache.ts';
import { eventRoutes } from './routes/events.ts';
import { HOOKS_PREFIX, hookRoutes } from './routes/hooks.ts';
import { runnerRoutes } from './routes/runner.ts';
import { errorResponse } from './routes/errors.ts';
import { uiRoutes } from './ui/routes.tsx';

export interface AppOptions {
  /** Seconds between SSE heartbeat comments (default 15). */
  heartbeatSeconds?: number;
  /** The web UI's routes (default: src/server/ui/routes.tsx); false for the API alone. */
  ui?: ((ctx: ServerCore) => Hono<ServerEnv>) | false;
}

/**
 * The whole HTTP surface, testable with `app.request()` and no socket. Every route passes
 * `authorize` first (see PUBLIC_ROUTES for the few without a user).
 */
export function createApp(core: ServerCore, options: AppOptions = {}): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.onError((err, c) => errorResponse(c, err));
  // Before authorize: its CSRF check reads form bodies.
  app.use('*', bodyLimits(core.limits));
  app.use('*', transportFacts(core));
  app.use('*', authorize(core.authenticator));
  app.use('/login', throttleLogins(core.loginThrottle, core.trustProxy));
  app.get('/healthz', (c) => c.text('ok'));
  app.route(HOOKS_PREFIX, hookRoutes(core));
  app.route(BADGE_PREFIX, badgeRoutes(core));
  app.route('/api/runner', runnerRoutes(core));
  app.route('/api', eventRoutes(core, options.heartbeatSeconds ?? 15));
  app.route('/api', apiRoutes(core));
  app.route('/api', cacheRoutes(core));
  const ui = options.ui ?? uiRoutes;
  if (ui) app.route('/', ui(core));
  return app;
}
