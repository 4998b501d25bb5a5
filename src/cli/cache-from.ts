import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, WerkerError } from '../errors.ts';
import type { RunPlan } from '../plan/types.ts';
import { unpackVerified } from '../runner/cache-archive.ts';
import { cacheFound } from '../runner/http-backend.ts';
import type { Output } from './output.ts';

export interface CacheFromFlags {
  cacheFrom?: string;
  cacheToken?: string;
}

/**
 * `werker build --cache-from URL`: before the run, the server's shared cache of a pipeline
 * (`http://server/api/applications/APP/cache/PIPELINE`, routes/cache.ts) replaces the local
 * `<working dir>/cache` the engine copies into `$WERCKER_CACHE_DIR` (docs/wercker-compat.md §4.10).
 * Read-only: nothing goes back to the server. The token (a user token) comes from --cache-token
 * or WERKER_TOKEN. Without `?branch=` in the URL the local branch is asked for (the server falls
 * back to the default branch's cache). A refused token or a wrong URL stops the build (exit 2);
 * a server that has no cache or can't be reached only leaves the local cache in place.
 */
export async function pullCacheFrom(plan: RunPlan, flags: CacheFromFlags, out: Output): Promise<void> {
  if (!flags.cacheFrom) return;
  const token = flags.cacheToken ?? process.env.WERKER_TOKEN;
  if (!token) throw new UsageError('--cache-from needs a user token of the server', { hint: 'WERKER_TOKEN=… (make one in the server\'s web UI, or `werker server --create-token NAME --user U`), or --cache-token' });
  const url = cacheUrl(flags.cacheFrom, plan.env.find((v) => v.name === 'WERCKER_GIT_BRANCH')?.value);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } }).catch((err: Error) => err);
  if (res instanceof Error) return out.stderr(`--cache-from: could not reach ${url.origin} (${(res.cause as Error | undefined)?.message ?? res.message}); the run uses the local cache`);
  if (res.status === 401 || res.status === 403) {
    throw new WerkerError(`--cache-from: the server refused the token (${res.status})`, 2, { hint: 'use a user token (not a runner token) that is not revoked: WERKER_TOKEN or --cache-token' });
  }
  const found = cacheFound(res.headers);
  if (res.status === 404 || !res.ok || !res.body || !found.digest) {
    const said = (await res.json().catch(() => ({}))) as { error?: string };
    return out.stderr(`--cache-from: no cache taken (${said.error ?? `HTTP ${res.status}`}); the run uses the local cache`);
  }
  const cacheDir = path.resolve(plan.workingDir, 'cache');
  const incoming = `${cacheDir}.from-server`;
  try {
    await unpackVerified(res.body as ReadableStream<Uint8Array>, incoming, found);
    await rm(cacheDir, { recursive: true, force: true });
    await rename(incoming, cacheDir);
    out.stderr(`--cache-from: using the server's cache of ${found.branch} (${(found.size / (1024 * 1024)).toFixed(1)} MB, sha256 ${found.digest.slice(0, 12)}) as $WERCKER_CACHE_DIR; it is not sent back`);
  } catch (err) {
    out.stderr(`--cache-from: the download failed (${(err as Error).message}); the run uses the local cache`);
  } finally {
    await rm(incoming, { recursive: true, force: true });
  }
}

/** The URL as given, with `branch=` added when it has none and the local branch is known. */
function cacheUrl(raw: string, branch: string | undefined): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--cache-from takes the URL of a server's pipeline cache, not "${raw}"`, { hint: 'e.g. --cache-from http://ci:7373/api/applications/shop/cache/build' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--cache-from must be an http:// or https:// URL, not "${raw}"`);
  if (!/^\/api\/applications\/[^/]+\/cache\/[^/]+\/?$/.test(url.pathname)) {
    throw new UsageError(`--cache-from ${raw}: the path must be /api/applications/APP/cache/PIPELINE`, { hint: 'e.g. --cache-from http://ci:7373/api/applications/shop/cache/build[?branch=main]' });
  }
  if (url.username || url.password) throw new UsageError('--cache-from takes the token from WERKER_TOKEN or --cache-token, never in the URL');
  if (!url.searchParams.get('branch') && branch) url.searchParams.set('branch', branch);
  return url;
}
