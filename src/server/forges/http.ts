import { ForgeRequestError } from './forge.ts';

/** How long one status request may take before it counts as a timeout (and is retried). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** What to check for a refused request (401/403/404), said after the forge's own answer. */
export type RefusalHint = (status: number) => string;

const statusHint: RefusalHint = (status) => status === 401 || status === 403
  ? ' (check the forge token: it needs permission to write commit statuses)'
  : status === 404 ? ' (check the repository owner/name and that the token may see it)' : '';

/**
 * POSTs a JSON body to a forge's REST API. Throws `ForgeRequestError`: retryable for a timeout,
 * a network error, 429 and 5xx (the forge may answer next time), final for other 4xx (a wrong
 * token or repository: the message says which status and what the forge said).
 */
export async function postStatusJson(fetchImpl: typeof fetch, url: string, headers: Record<string, string>, body: unknown, signal?: AbortSignal): Promise<void> {
  await postJson(fetchImpl, url, headers, body, signal, statusHint);
}

/** `postStatusJson` that returns the forge's answer (JSON text), with its own hint for a refusal. */
export async function postJson(fetchImpl: typeof fetch, url: string, headers: Record<string, string>, body: unknown, signal: AbortSignal | undefined, hint: RefusalHint): Promise<string> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    // The caller's signal may be a timeout of its own (AbortSignal.timeout): that is worth another try too.
    const timedOut = timeout.aborted || (signal?.reason as Error | undefined)?.name === 'TimeoutError';
    const why = timedOut ? 'no answer in time' : (err as Error).message;
    throw new ForgeRequestError(`POST ${url}: ${why}`, timedOut || !signal?.aborted);
  }
  if (res.ok) return res.text();
  const text = (await res.text().catch(() => '')).slice(0, 300);
  const retryable = res.status >= 500 || res.status === 429;
  throw new ForgeRequestError(`POST ${url}: ${res.status} ${text}${hint(res.status)}`, retryable, res.status);
}
