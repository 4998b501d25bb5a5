/**
 * Asks a registry (a mirror) whether it has one image, over the registry HTTP API v2, before
 * the engine is sent to pull it there. The engine's own pull errors are free text that differs
 * between versions; this gives the status the mirror really answered (404, 401, 500) or that it
 * did not answer in time, so the fallback message can say which.
 */
export type ProbeResult =
  | { kind: 'found' }
  | { kind: 'status'; status: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'unreachable'; message: string };

export interface ProbeTarget {
  /** `http` or `https`. */
  scheme: string;
  /** `host[:port]`. */
  host: string;
  /** Repository path inside that registry, e.g. `hub/library/busybox`. */
  repository: string;
  /** A tag or a `sha256:…` digest. */
  reference: string;
  auth?: { username: string; password: string };
  timeoutMs: number;
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

export async function probeImage(t: ProbeTarget, signal?: AbortSignal): Promise<ProbeResult> {
  const deadline = AbortSignal.timeout(t.timeoutMs);
  const abort = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const url = `${t.scheme}://${t.host}/v2/${t.repository}/manifests/${t.reference}`;
  try {
    const basic = t.auth ? `Basic ${Buffer.from(`${t.auth.username}:${t.auth.password}`).toString('base64')}` : undefined;
    let res = await head(url, basic, abort);
    const challenge = res.headers.get('www-authenticate') ?? '';
    if (res.status === 401 && /^Bearer\s/i.test(challenge)) {
      const token = await bearerToken(challenge, basic, abort);
      if (token) res = await head(url, `Bearer ${token}`, abort);
    }
    return res.ok ? { kind: 'found' } : { kind: 'status', status: res.status };
  } catch (err) {
    if (signal?.aborted) throw err;
    if (deadline.aborted) return { kind: 'timeout', ms: t.timeoutMs };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'unreachable', message: cause?.code ?? cause?.message ?? (err as Error).message };
  }
}

async function head(url: string, authorization: string | undefined, signal: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { accept: MANIFEST_TYPES };
  if (authorization) headers.authorization = authorization;
  const res = await fetch(url, { method: 'HEAD', headers, signal, redirect: 'follow' });
  await res.body?.cancel();
  return res;
}

/** The token flow of a `Bearer realm=…,service=…,scope=…` challenge, with the mirror's credentials when it has some. */
async function bearerToken(challenge: string, basic: string | undefined, signal: AbortSignal): Promise<string | undefined> {
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
  if (!params.realm) return undefined;
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  if (params.scope) url.searchParams.set('scope', params.scope);
  const res = await fetch(url, { headers: basic ? { authorization: basic } : {}, signal });
  if (!res.ok) {
    await res.body?.cancel();
    return undefined;
  }
  const body = (await res.json()) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}
