import { Hono, type Context } from 'hono';
import { InputError, type ServerEnv } from '../context.ts';
import type { ServerCore } from '../core.ts';
import { OutputRemovedError } from '../retention.ts';
import type { RunnerFinish } from '../runner/protocol.ts';
import { intParam } from './errors.ts';

/**
 * The runner protocol (`werker runner --server URL --token T`), runner tokens only:
 * - `GET /api/runner/ping` → 204 (the token is good);
 * - `POST /api/runner/claim {runner}` → 200 `{ job }` (the run is now leased to this runner) or 204;
 * - `POST /api/runner/runs/:id/heartbeat {attempt}` → `{ cancel }`, 409 when the lease is lost;
 * - `POST /api/runner/runs/:id/events {attempt, events}` → 204 (bodies; the server numbers them), 409 when lost;
 * - `POST /api/runner/runs/:id/finish {attempt, status, durationMs, message?}` → 204, 409 when lost;
 * - `POST /api/runner/runs/:id/release {attempt, reason}` → 204 (the run is queued again), 409 when lost;
 * - `PUT /api/runner/runs/:id/output?attempt=N` (tar) and `GET /api/runner/runs/:id/source` (the
 *   tar of the run it deploys from).
 */
export function runnerRoutes(core: ServerCore): Hono<ServerEnv> {
  const r = new Hono<ServerEnv>();
  r.use('*', async (c, next) => {
    if (c.var.authMethod !== 'runner') return c.json({ error: 'a runner token is required ("Authorization: Bearer TOKEN")' }, 401);
    return next();
  });
  const lost = (c: Context) => c.json({ error: 'this runner no longer holds the run (lease expired or cancelled)' }, 409);

  r.get('/ping', (c) => c.body(null, 204));
  r.post('/claim', async (c) => {
    const b = await json(c);
    const runner = typeof b.runner === 'string' && b.runner ? b.runner.slice(0, 100) : `token-${c.var.runnerTokenId}`;
    const job = await core.runners.claim(runner);
    return job ? c.json({ job }) : c.body(null, 204);
  });
  r.post('/runs/:id/heartbeat', async (c) => {
    const b = await json(c);
    const answer = await core.runners.heartbeat(intParam(c.req.param('id'), 'run id'), attempt(b.attempt));
    return answer ? c.json(answer) : lost(c);
  });
  r.post('/runs/:id/events', async (c) => {
    const b = await json(c);
    if (!Array.isArray(b.events)) throw new InputError('"events" must be an array');
    const ok = await core.runners.appendEvents(intParam(c.req.param('id'), 'run id'), attempt(b.attempt), b.events);
    return ok ? c.body(null, 204) : lost(c);
  });
  r.post('/runs/:id/finish', async (c) => {
    const b = await json(c);
    const ok = await core.runners.finish(intParam(c.req.param('id'), 'run id'), attempt(b.attempt), b as unknown as RunnerFinish);
    return ok ? c.body(null, 204) : lost(c);
  });
  r.post('/runs/:id/release', async (c) => {
    const b = await json(c);
    const ok = await core.runners.release(intParam(c.req.param('id'), 'run id'), attempt(b.attempt), typeof b.reason === 'string' ? b.reason : '');
    return ok ? c.body(null, 204) : lost(c);
  });
  r.put('/runs/:id/output', async (c) => {
    const body = c.req.raw.body;
    if (!body) throw new InputError('the body must be a tar stream');
    const ok = await core.runners.putOutput(intParam(c.req.param('id'), 'run id'), attempt(Number(c.req.query('attempt'))), body);
    return ok ? c.body(null, 204) : lost(c);
  });
  r.get('/runs/:id/source', async (c) => {
    const stream = await core.runners.sourceOutput(intParam(c.req.param('id'), 'run id')).catch((err: Error) => {
      if (err instanceof OutputRemovedError) return err;
      throw err;
    });
    // 410: the runner shows the message and hint as they are (http-backend.ts).
    if (stream instanceof OutputRemovedError) return c.json({ error: stream.message, hint: stream.hint }, 410);
    if (!stream) throw new InputError('this run has no source output', 404);
    return c.body(stream, 200, { 'content-type': 'application/x-tar' });
  });
  return r;
}

async function json(c: Context): Promise<Record<string, unknown>> {
  const parsed: unknown = await c.req.json().catch(() => undefined);
  if (!parsed || typeof parsed !== 'object') throw new InputError('the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function attempt(v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InputError('"attempt" must be the attempt number of the claim');
  return n;
}
