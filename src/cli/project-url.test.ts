import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferOutput } from '../../test/fakes/buffer-output.ts';
import { main } from './cli.ts';
import { fetchProject, isProjectUrl, projectNameFromUrl } from './project-url.ts';

type Entry = { name: string; body?: string; type?: 'directory' | 'symlink'; linkname?: string };

/** A real tar made with tar-stream (as the engine's archives are). */
async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) {
    if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mode: 0o755 });
    else if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname! });
    else pack.entry({ name: e.name, mode: 0o644 }, e.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const served = new Map<string, Buffer>();
let server: Server;
let base: string;
const dirs: string[] = [];
const workingDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'werker-url-'));
  dirs.push(d);
  return path.join(d, 'wd');
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const body = served.get(req.url ?? '');
    if (!body) {
      res.statusCode = 404;
      res.end('not here');
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const yml = 'box: werker-test/busybox\nbuild:\n  steps:\n    - script: {code: ls}\n';
  served.set('/shop.tar.gz', gzipSync(await tarOf([
    { name: 'acme-shop-1a2b3c/', type: 'directory' }, { name: 'acme-shop-1a2b3c/wercker.yml', body: yml },
    { name: 'acme-shop-1a2b3c/src/app.js', body: 'app' }, { name: 'acme-shop-1a2b3c/link', type: 'symlink', linkname: 'src/app.js' },
  ])));
  served.set('/flat.tar', await tarOf([{ name: './wercker.yml', body: yml }, { name: './README', body: 'flat' }]));
  served.set('/escape.tar.gz', gzipSync(await tarOf([{ name: 'wercker.yml', body: yml }, { name: 'out', type: 'symlink', linkname: '../../../etc' }])));
  served.set('/page.tar.gz', Buffer.from('<!DOCTYPE html><html>login</html>'));
  served.set('/broken.tar.gz', gzipSync(await tarOf([{ name: 'wercker.yml', body: yml }])).subarray(0, 40));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('an http(s) URL as the project (docs/wercker-compat.md §4.3)', () => {
  it('takes http and https targets only', () => {
    expect(isProjectUrl('https://example.com/x.tar.gz')).toBe(true);
    expect(isProjectUrl('HTTP://example.com/x.tgz')).toBe(true);
    expect(isProjectUrl('./https:/x')).toBe(false);
    expect(isProjectUrl('ftp://example.com/x.tar.gz')).toBe(false);
    expect(isProjectUrl(undefined)).toBe(false);
  });

  it('names the application after the URL\'s file name without its archive extension; a GitHub tarball URL after its repository', () => {
    expect(projectNameFromUrl('https://example.com/releases/shop-1.2.tar.gz')).toBe('shop-1.2');
    expect(projectNameFromUrl('https://example.com/shop.tgz?token=x')).toBe('shop');
    expect(projectNameFromUrl('https://example.com/a/shop.tar')).toBe('shop');
    expect(projectNameFromUrl('https://api.github.com/repos/acme/site/tarball')).toBe('site');
    expect(projectNameFromUrl('https://api.github.com/repos/acme/site/tarball/v2')).toBe('site');
    expect(projectNameFromUrl('https://example.com/my%20app.tar.gz')).toBe('my-app');
    expect(projectNameFromUrl('https://example.com/')).toBe('project');
    expect(projectNameFromUrl('https://example.com/..tar.gz')).toBe('project');
  });

  it('unpacks a .tar.gz into <working dir>/projects/<name>, taking the one directory it holds as the project; links inside stay links', async () => {
    const wd = workingDir();
    const { dir, name } = await fetchProject(`${base}/shop.tar.gz`, wd);
    expect(name).toBe('shop');
    expect(dir).toBe(path.join(wd, 'projects', 'shop'));
    expect(readdirSync(dir).sort()).toEqual(['link', 'src', 'wercker.yml']);
    expect(readFileSync(path.join(dir, 'link'), 'utf8')).toBe('app');
    // Nothing but the project: the download and its temp dir are gone.
    expect(readdirSync(path.join(wd, 'projects'))).toEqual(['shop']);
  });

  it('unpacks an uncompressed tar as it is, and replaces an earlier download of the same name', async () => {
    const wd = workingDir();
    served.set('/again/flat.tar', served.get('/shop.tar.gz')!);
    await fetchProject(`${base}/again/flat.tar`, wd);
    const { dir } = await fetchProject(`${base}/flat.tar`, wd);
    expect(readdirSync(dir).sort()).toEqual(['README', 'wercker.yml']);
  });

  it('fails with exit 1 and says why for a 404, a refused connection, a page that is no tarball, a cut gzip and a link out of the tree; nothing is left', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const cases: [string, RegExp][] = [
      [`${base}/missing.tar.gz`, /could not download the project from .*\/missing\.tar\.gz: HTTP 404 Not Found/],
      [`http://127.0.0.1:${closedPort}/x.tar.gz`, /could not download the project from .*: connect ECONNREFUSED/],
      [`${base}/page.tar.gz`, /page\.tar\.gz is an HTML page, not a tarball/],
      [`${base}/broken.tar.gz`, /could not unpack .*broken\.tar\.gz/],
      [`${base}/escape.tar.gz`, /could not unpack .*escape\.tar\.gz: .*out is not a valid symlink/],
    ];
    for (const [url, message] of cases) {
      const wd = workingDir();
      const err = await fetchProject(url, wd).then(() => undefined, (e: unknown) => e as Error & { exitCode: number; hint?: string });
      expect(err?.message, url).toMatch(message);
      expect(err?.exitCode).toBe(1);
      expect(err?.hint).toBeTruthy();
      expect(existsSync(wd), `${url} left ${wd}`).toBe(false);
    }
  });

  it('keeps the working dir and its other projects when a download fails', async () => {
    const wd = workingDir();
    await fetchProject(`${base}/flat.tar`, wd);
    await expect(fetchProject(`${base}/missing.tar.gz`, wd)).rejects.toThrow(/HTTP 404/);
    expect(readdirSync(path.join(wd, 'projects'))).toEqual(['flat']);
  });

  it('werker plan refuses a URL with exit 2 (a plan fetches nothing) and downloads nothing', async () => {
    const wd = workingDir();
    const out = bufferOutput();
    const code = await main(['plan', `${base}/flat.tar`, '--working-dir', wd], out);
    expect(code).toBe(2);
    expect(out.err).toContain(`werker plan reads a project directory, not a URL (${base}/flat.tar)`);
    expect(existsSync(wd)).toBe(false);
  });
});
