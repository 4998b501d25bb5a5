import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { BodyTooLargeError, tooLarge } from '../body-limits.ts';
import { InputError } from '../context.ts';

/** InputError → its status with the message; anything else → 500 with a line to look for in the server log. */
export function errorResponse(c: Context, err: Error): Response {
  if (err instanceof InputError) return c.json({ error: err.message }, err.status);
  if (err instanceof HTTPException) return err.getResponse();
  const tooBig = err instanceof BodyTooLargeError ? err : err.cause instanceof BodyTooLargeError ? err.cause : undefined;
  if (tooBig) return tooLarge(c, tooBig);
  process.stderr.write(`werker server: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}\n`);
  return c.json({ error: 'internal error; the server log has the details' }, 500);
}

/** A positive integer path/query parameter, else 404/400. */
export function intParam(value: string | undefined, what: string): number {
  const n = Number(value);
  if (!value || !Number.isSafeInteger(n) || n <= 0) throw new InputError(`${what} must be a positive integer, not "${value ?? ''}"`, 404);
  return n;
}
