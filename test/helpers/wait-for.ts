import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value, or fails after `timeoutMs`. An error thrown by the
 * probe ends the wait with that error: a probe that expects refusals (a server still starting)
 * catches them itself and returns undefined.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > until) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** `fetch` that answers undefined while nothing listens (connection refused or reset). */
export const fetchIfUp = (url: string, init?: RequestInit): Promise<Response | undefined> => fetch(url, init).catch(() => undefined);
