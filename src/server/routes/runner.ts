import { Hono, type Context } from 'hono';
import { InputError, type ServerEnv } from '../context.ts';
import type { ServerCore } from '../core.ts';
import { OutputRemovedError } from '../retention.ts';
import { CACHE_BRANCH_HEADER, CACHE_DIGEST_HEADER, CACHE_SIZE_HEADER, LEASE_HEADER, type CacheBlob, type RunnerFinish } from '../../runner/protocol.ts';
import { intParam } from './errors.ts';

/**
 * The runner protocol (`werker runner --server URL --token T`), runner tokens only. A claim is
 * bound to the token that made it and to its lease id (`job.lease`), which every later call
 * sends in the `x-werker-lease` header:
 * - `GET /api/runner/ping` → 204 (the token is good);
 * - `POST /api/runner/claim {runner}` → 200 `{ job }` (the run is now leased to this token) or 204;
 * - `POST /api/runner/runs/:id/heartbeat` → `{ cancel }`;
 * - `POST /api/runner/runs/:id/events {events}` → 204 (bodies; the server numbers them);
 * - `POST /api/runner/runs/:id/finish {status, durationMs, message?}` → 204;
 * - `POST /api/runner/runs/:id/release {reason}` → 204 (given back: the run is queued again);
 * - `POST /api/runner/runs/:id/terminals/next` → 200 `{ terminal: {id, user} }` or 204 after a
 *   while (a long poll, while the runner holds a failed box); the runner then opens the WebSocket
 *   `/api/runner/runs/:id/terminals/:tid` (server/terminal-socket.ts);
 * - `PUT /api/runner/runs/:id/output` (tar) and `GET /api/runner/runs/:id/source[?from=RUN]` (the
 *   tar of the run it deploys from, or of RUN, one of its workflow inputs);
 * - the shared cache (cache.ts): `GET /api/runner/runs/:id/cache` → the tar (headers
 *   `x-werker-cache-digest`, `-size`, `-branch`) or 204; `POST …/cache {digest, size}` →
 *   `{stored, writable, reason?}` (asked first: an unchanged cache is not sent again);
 *   `PUT …/cache` (tar, with the digest and size headers) → 204, or 400/413/422/507 `{error}`.
 * Each answers 409 when the lease is no longer held (expired and requeued, finished, cancelled,
 * or an older claim), and 403 to a token that never claimed the run at all.
 */
export function runnerRoutes(core: ServerCore): Hono<ServerEnv> {
  const r = new Hono<ServerEnv>();
  runnerGuards(r, core);
  const backend = (c: Context<ServerEnv>) => core.runnersFor(c.var.runnerTokenId);
  const lost = (c: Context) => c.json({ error: 'this runner no longer holds the run (lease expired, run finished or cancelled, or an older claim)' }, 409);
  const runId = (c: Context) => intParam(c.req.param('id'), 'run id');

  r.get('/ping', (c) => c.body(null, 204));
  r.post('/claim', async (c) => {
    const b = await json(c);
    const runner = typeof b.runner === 'string' && b.runner ? b.runner.slice(0, 100) : `token-${c.var.runnerTokenId}`;
    const job = await backend(c).claim(runner);
    return job ? c.json({ job }) : c.body(null, 204);
  });
  r.post('/runs/:id/heartbeat', async (c) => {
    const answer = await backend(c).heartbeat(runId(c), lease(c));
    return answer ? c.json(answer) : lost(c);
  });
  r.post('/runs/:id/events', async (c) => {
    const b = await json(c);
    if (!Array.isArray(b.events)) throw new InputError('"events" must be an array');
    const ok = await backend(c).appendEvents(runId(c), lease(c), b.events);
    return ok ? c.body(null, 204) : lost(c);
  });
  r.post('/runs/:id/finish', async (c) => {
    const b = await json(c);
    const ok = await backend(c).finish(runId(c), lease(c), b as unknown as RunnerFinish);
    return ok ? c.body(null, 204) : lost(c);
  });
  r.post('/runs/:id/release', async (c) => {
    const b = await json(c);
    const ok = await backend(c).release(runId(c), lease(c), typeof b.reason === 'string' ? b.reason : '');
    return ok ? c.body(null, 204) : lost(c);
  });
  r.post('/runs/:id/terminals/next', async (c) => {
    const request = await backend(c).nextTerminal!(runId(c), lease(c), c.req.raw.signal);
    return request ? c.json({ terminal: request }) : c.body(null, 204);
  });
  r.put('/runs/:id/output', async (c) => {
    const body = c.req.raw.body;
    if (!body) throw new InputError('the body must be a tar stream');
    const ok = await backend(c).putOutput(runId(c), lease(c), body);
    return ok ? c.body(null, 204) : lost(c);
  });
  r.get('/runs/:id/source', async (c) => {
    const from = c.req.query('from');
    if (from !== undefined && !/^[1-9][0-9]{0,15}$/.test(from)) throw new InputError('"from" is a run id');
    const stream = await backend(c).sourceOutput(runId(c), lease(c), from === undefined ? undefined : Number(from)).catch((err: Error) => {
      if (err instanceof OutputRemovedError) return err;
      throw err;
    });
    // 410: the runner shows the message and hint as they are (http-backend.ts).
    if (stream instanceof OutputRemovedError) return c.json({ error: stream.message, hint: stream.hint }, 410);
    if (!stream) throw new InputError('this run has no source output, or this claim no longer holds the run', 404);
    return c.body(stream, 200, { 'content-type': 'application/x-tar' });
  });
  cacheRoutes(r, backend, lost, runId);
  return r;
}

type Backend = (c: Context<ServerEnv>) => ReturnType<ServerCore['runnersFor']>;

/** The shared cache of the run, for the claim holding it (the same guards as the output). */
function cacheRoutes(r: Hono<ServerEnv>, backend: Backend, lost: (c: Context) => Response, runId: (c: Context) => number): void {
  r.get('/runs/:id/cache', async (c) => {
    const got = await backend(c).getCache(runId(c), lease(c));
    if (!got) return c.body(null, 204);
    const { found, tar } = got;
    return c.body(tar, 200, { 'content-type': 'application/x-tar', 'content-length': String(found.size), [CACHE_DIGEST_HEADER]: found.digest, [CACHE_SIZE_HEADER]: String(found.size), [CACHE_BRANCH_HEADER]: encodeURIComponent(found.branch) });
  });
  r.post('/runs/:id/cache', async (c) => {
    const b = await json(c);
    const answer = await backend(c).checkCache(runId(c), lease(c), { digest: String(b.digest ?? ''), size: Number(b.size) });
    return answer ? c.json(answer) : lost(c);
  });
  r.put('/runs/:id/cache', async (c) => {
    const body = c.req.raw.body;
    if (!body) throw new InputError('the body must be the cache tar');
    const blob: CacheBlob = { digest: c.req.header(CACHE_DIGEST_HEADER) ?? '', size: Number(c.req.header(CACHE_SIZE_HEADER)) };
    const put = await backend(c).putCache(runId(c), lease(c), blob, body);
    if (put.stored) return c.body(null, 204);
    if (put.status === 409) return lost(c);
    if (put.status === 413) c.header('connection', 'close');
    return c.json({ error: put.reason }, put.status as 400 | 413 | 422 | 507);
  });
}

/** Runner tokens only; and about a run, only a token that claimed it. */
function runnerGuards(r: Hono<ServerEnv>, core: ServerCore): void {
  r.use('*', async (c, next) => {
    if (c.var.authMethod !== 'runner') return c.json({ error: 'a runner token is required ("Authorization: Bearer TOKEN")' }, 401);
    return next();
  });
  r.use('/runs/:id/*', async (c, next) => {
    if (!(await core.tokenClaimed(intParam(c.req.param('id'), 'run id'), c.var.runnerTokenId))) {
      return c.json({ error: 'this runner token never claimed the run: only the runner holding a run may report on it' }, 403);
    }
    return next();
  });
}

async function json(c: Context): Promise<Record<string, unknown>> {
  const parsed: unknown = await c.req.json().catch(() => undefined);
  if (!parsed || typeof parsed !== 'object') throw new InputError('the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** The claim's lease id (header `x-werker-lease`), which `job.lease` gave the runner. */
function lease(c: Context): string {
  const v = c.req.header(LEASE_HEADER) ?? '';
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(v)) throw new InputError(`the "${LEASE_HEADER}" header must carry the claim's lease id (job.lease)`);
  return v;
}
