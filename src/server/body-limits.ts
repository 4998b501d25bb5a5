import type { Context, MiddlewareHandler } from 'hono';
import type { ServerEnv } from './context.ts';
import { formatBytes, type ServerLimits } from './limits.ts';

/** A streamed body (a build output upload) went past its limit while it was being read. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number, readonly what: string) {
    super(`the body is larger than the ${formatBytes(limit)} ${what} may send`);
  }
}

interface RouteLimit { bytes: number; what: string; stream: boolean }

/** Which limit a request falls under (see ServerLimits). */
export function limitFor(method: string, path: string, limits: ServerLimits): RouteLimit {
  if (path.startsWith('/hooks/')) return { bytes: limits.webhookBytes, what: 'a webhook delivery', stream: false };
  if (method === 'PUT' && /^\/api\/runner\/runs\/[^/]+\/output$/.test(path)) return { bytes: limits.outputBytes, what: 'a build output (--max-output-mb)', stream: true };
  if (method === 'PUT' && /^\/api\/runner\/runs\/[^/]+\/cache$/.test(path)) return { bytes: limits.cacheBytes, what: 'a shared cache upload (--max-cache-mb)', stream: true };
  if (path.startsWith('/api/runner/')) return { bytes: limits.runnerBytes, what: 'a runner request', stream: false };
  return { bytes: limits.apiBytes, what: 'a form or API request', stream: false };
}

/**
 * The first middleware of every route: a body over its limit is refused before anything else
 * reads it (auth's CSRF check parses forms). A declared Content-Length over the limit gets 413
 * at once, unread; a chunked body is read only up to the limit, then refused. Small bodies are
 * read here and handed on from memory; an output upload is passed on as a stream that fails
 * the moment it goes past its limit (the route answers 413 then). A 413 closes the connection,
 * so the rest of the body is never read.
 */
export function bodyLimits(limits: ServerLimits): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    const limit = limitFor(c.req.method, c.req.path, limits);
    const declared = Number(c.req.header('content-length') ?? NaN);
    if (!c.req.header('transfer-encoding') && declared > limit.bytes) return tooLarge(c, new BodyTooLargeError(limit.bytes, limit.what));
    if (limit.stream) {
      c.req.raw = new Request(c.req.raw, { body: body.pipeThrough(countingStream(limit)), duplex: 'half' } as RequestInit);
      return next();
    }
    const read = await readUpTo(body, limit);
    if (read instanceof BodyTooLargeError) return tooLarge(c, read);
    c.req.raw = new Request(c.req.raw, { body: read });
    return next();
  };
}

export function tooLarge(c: Context, err: BodyTooLargeError): Response {
  c.header('connection', 'close');
  return c.json({ error: `${err.message}; nothing was done` }, 413);
}

async function readUpTo(body: ReadableStream<Uint8Array>, limit: RouteLimit): Promise<Uint8Array | BodyTooLargeError> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit.bytes) {
      await reader.cancel().catch(() => undefined);
      return new BodyTooLargeError(limit.bytes, limit.what);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

function countingStream(limit: RouteLimit): TransformStream<Uint8Array, Uint8Array> {
  let size = 0;
  return new TransformStream({
    transform(chunk, controller) {
      size += chunk.length;
      if (size > limit.bytes) controller.error(new BodyTooLargeError(limit.bytes, limit.what));
      else controller.enqueue(chunk);
    },
  });
}
