import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-fs';

/**
 * Downloads a step's .tar.gz and unpacks it into `dir`; resolves to the download's sha256.
 * A download that is not gzip says so (the caller removes the half-made dir).
 */
export async function downloadTarball(url: string, dir: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) }).catch((err: Error) => {
    throw new Error(`GET ${url}: ${(err.cause as Error | undefined)?.message ?? err.message}`);
  });
  if (!res.ok || !res.body) throw new Error(`GET ${url}: HTTP ${res.status} ${res.statusText}`);
  await mkdir(dir, { recursive: true });
  const hash = createHash('sha256');
  const tee = new Transform({ transform(chunk: Buffer, _enc, done) { hash.update(chunk); done(null, chunk); } });
  try {
    await pipeline(Readable.fromWeb(res.body as never), tee, createGunzip(), tar.extract(dir) as unknown as NodeJS.WritableStream);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code?.startsWith('Z_')) throw new Error(`${url} is not a gzip tarball (${e.message})`);
    throw new Error(`${url}: could not unpack: ${e.message}`);
  }
  return hash.digest('hex');
}

/** The wercker steps API (§7.2): GET <registry>/api/steps/<owner>/<name>/<version> → step.tarballUrl. */
export async function registryTarballUrl(registry: string, owner: string, name: string, version: string): Promise<{ tarballUrl: string; version: string }> {
  const url = `${registry}/api/steps/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/${encodeURIComponent(version)}`;
  const res = await withTries(3, () => fetch(url, { signal: AbortSignal.timeout(30_000) }).catch((err: Error) => {
    throw new Error(`GET ${url}: ${(err.cause as Error | undefined)?.message ?? err.message}`);
  }));
  if (res.status === 404) throw new Error(`GET ${url}: not found`);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${res.statusText}`);
  const body = (await res.json().catch(() => undefined)) as { step?: { tarballUrl?: unknown; version?: { number?: unknown } } } | undefined;
  const tarballUrl = body?.step?.tarballUrl;
  if (typeof tarballUrl !== 'string') throw new Error(`GET ${url}: the answer has no step.tarballUrl`);
  return { tarballUrl: new URL(tarballUrl, url).toString(), version: String(body?.step?.version?.number ?? version) };
}

/** wercker asked its registry 3 times, 1 s apart (§7.2): a connection error or a 5xx is tried again. */
async function withTries(tries: number, get: () => Promise<Response>): Promise<Response> {
  for (let i = 1; ; i++) {
    try {
      const res = await get();
      if (res.status < 500 || i >= tries) return res;
    } catch (err) {
      if (i >= tries) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
