import { WerkerError } from '../errors.ts';
import { CACHE_BRANCH_HEADER, CACHE_DIGEST_HEADER, CACHE_SIZE_HEADER, LEASE_HEADER, type CacheCheck, type Job, type RunnerBackend, type RunnerEvent, type RunnerFinish } from './protocol.ts';
import type { TerminalRequest } from './terminal-protocol.ts';
import { openSocket } from './terminal-socket.ts';

/**
 * The runner protocol over HTTP (routes/runner.ts), for `werker runner --server URL`. The token
 * travels in the Authorization header only. 409 means "no longer yours": false, not an error.
 */
export function httpBackend(serverUrl: string, token: string, fetch: typeof globalThis.fetch = globalThis.fetch): RunnerBackend & { ping(): Promise<void> } {
  const base = serverUrl.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown, lease?: string): Promise<Response> => {
    const res = await fetch(`${base}/api/runner${path}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(lease ? { [LEASE_HEADER]: lease } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status === 401) {
      throw new WerkerError('the server refused the runner token (401: unknown or revoked)', 2, { hint: 'ask an admin for a runner token: `werker server --create-runner-token NAME`, or POST /api/tokens {"kind":"runner"} signed in as an admin' });
    }
    if (res.status === 403) {
      throw new WerkerError(`the server refused: ${await res.text().catch(() => '')} (403)`, 2, { hint: 'a runner token may only report on runs it claimed itself' });
    }
    if (res.status >= 500) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text().catch(() => '')}`.trim());
    return res;
  };
  const ok = async (res: Response): Promise<boolean> => {
    if (res.status === 409) return false;
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text().catch(() => '')}`);
    return true;
  };
  return {
    /** Checks the server answers and takes the token, before any work is claimed. */
    async ping() {
      const res = await call('GET', '/ping').catch((err: Error) => {
        if (err instanceof WerkerError) throw err;
        throw new WerkerError(`could not reach ${base}: ${(err.cause as Error | undefined)?.message ?? err.message}`, 3, { hint: 'is `werker server` running there, and is --server right?' });
      });
      if (res.status !== 204) throw new WerkerError(`${base} does not answer like a werker server (HTTP ${res.status} on /api/runner/ping)`, 1, { hint: 'check --server' });
    },
    async claim(runner) {
      const res = await call('POST', '/claim', { runner });
      if (res.status === 204) return undefined;
      if (!res.ok) throw new Error(`claim: HTTP ${res.status} ${await res.text().catch(() => '')}`);
      return ((await res.json()) as { job: Job }).job;
    },
    async heartbeat(runId, lease) {
      // A token revoked (401) or a run that is not this token's (403): the run is no longer ours; stop it.
      const res = await call('POST', `/runs/${runId}/heartbeat`, {}, lease).catch((err: Error) => {
        if (err instanceof WerkerError && err.exitCode === 2) return undefined;
        throw err;
      });
      if (!res) return undefined;
      if (res.status === 409) return undefined;
      if (!res.ok) throw new Error(`heartbeat: HTTP ${res.status}`);
      return (await res.json()) as { cancel: boolean };
    },
    appendEvents: async (runId, lease, events: RunnerEvent[]) => ok(await call('POST', `/runs/${runId}/events`, { events }, lease)),
    release: async (runId, lease, reason) => ok(await call('POST', `/runs/${runId}/release`, { reason }, lease)),
    finish: async (runId, lease, result: RunnerFinish) => ok(await call('POST', `/runs/${runId}/finish`, result, lease)),
    async putOutput(runId, lease, tar) {
      const res = await fetch(`${base}/api/runner/runs/${runId}/output`, {
        method: 'PUT', headers: { authorization: `Bearer ${token}`, [LEASE_HEADER]: lease, 'content-type': 'application/x-tar' }, body: tar, duplex: 'half',
      } as RequestInit & { duplex: 'half' });
      return ok(res);
    },
    async nextTerminal(runId, lease, signal) {
      // A long poll: the server answers when someone opens a terminal, or with 204 after a while.
      const res = await fetch(`${base}/api/runner/runs/${runId}/terminals/next`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, [LEASE_HEADER]: lease }, signal,
      }).catch((err: Error) => {
        if (signal.aborted) return undefined;
        throw err;
      });
      if (!res || res.status === 204 || res.status === 409) return undefined;
      if (!res.ok) throw new Error(`terminal requests: HTTP ${res.status}`);
      return ((await res.json()) as { terminal: TerminalRequest }).terminal;
    },
    openTerminal: (runId, lease, id) => openSocket(`${base.replace(/^http/, 'ws')}/api/runner/runs/${runId}/terminals/${encodeURIComponent(id)}`, {
      authorization: `Bearer ${token}`, [LEASE_HEADER]: lease,
    }),
    async sourceOutput(runId, lease, from) {
      const res = await call('GET', `/runs/${runId}/source${from === undefined ? '' : `?from=${from}`}`, undefined, lease);
      if (res.status === 404) return undefined;
      if (res.status === 410) {
        const gone = (await res.json().catch(() => ({}))) as { error?: string; hint?: string };
        throw new WerkerError(gone.error ?? 'the source output was removed from the server', 1, gone.hint ? { hint: gone.hint } : {});
      }
      if (!res.ok || !res.body) throw new Error(`source output: HTTP ${res.status}`);
      return res.body as ReadableStream<Uint8Array>;
    },
    async getCache(runId, lease) {
      const res = await call('GET', `/runs/${runId}/cache`, undefined, lease);
      if (res.status === 204 || res.status === 409) return undefined;
      if (!res.ok || !res.body) throw new Error(`shared cache: HTTP ${res.status} ${await res.text().catch(() => '')}`.trim());
      return { found: cacheFound(res.headers), tar: res.body as ReadableStream<Uint8Array> };
    },
    async checkCache(runId, lease, blob) {
      const res = await call('POST', `/runs/${runId}/cache`, blob, lease);
      if (res.status === 409) return undefined;
      if (!res.ok) throw new Error(`shared cache: HTTP ${res.status} ${await res.text().catch(() => '')}`.trim());
      return (await res.json()) as CacheCheck;
    },
    async putCache(runId, lease, blob, tar) {
      const res = await fetch(`${base}/api/runner/runs/${runId}/cache`, {
        method: 'PUT', body: tar, duplex: 'half',
        headers: { authorization: `Bearer ${token}`, [LEASE_HEADER]: lease, 'content-type': 'application/x-tar', [CACHE_DIGEST_HEADER]: blob.digest, [CACHE_SIZE_HEADER]: String(blob.size) },
      } as RequestInit & { duplex: 'half' });
      if (res.ok) return { stored: true };
      const answer = (await res.json().catch(() => ({}))) as { error?: string };
      return { stored: false, status: res.status, reason: answer.error ?? `HTTP ${res.status}` };
    },
  };
}

/** The shared cache's facts from a download's headers (routes/runner.ts, routes/cache.ts). */
export function cacheFound(headers: Headers): { digest: string; size: number; branch: string } {
  return { digest: headers.get(CACHE_DIGEST_HEADER) ?? '', size: Number(headers.get(CACHE_SIZE_HEADER) ?? NaN), branch: decodeURIComponent(headers.get(CACHE_BRANCH_HEADER) ?? '') };
}
