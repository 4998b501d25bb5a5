import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tempGitRepo } from './git-repo.ts';

/**
 * A real git server on loopback: git's own smart-HTTP server `git http-backend`, reached through
 * node's http server acting only as its CGI gateway (the CGI/1.1 variables in, the CGI answer
 * out). Repositories live under `root` as bare `<owner>/<repo>.git`. With a token, pushes need
 * `Authorization: Basic x-access-token:<token>` as a forge would ask.
 */
export interface GitHttpServer {
  base: string;
  root: string;
  /** Requests seen, as `METHOD path?query` (to prove a run did not touch the network). */
  requests: string[];
  stop(): Promise<void>;
  remove(): void;
}

export async function startGitHttpServer(opts: { root?: string; pushToken?: string; port?: number } = {}): Promise<GitHttpServer> {
  const root = opts.root ?? mkdtempSync(path.join(tmpdir(), 'werker-git-http-'));
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://x');
    const push = url.searchParams.get('service') === 'git-receive-pack' || url.pathname.endsWith('/git-receive-pack');
    if (push && opts.pushToken) {
      const expected = `Basic ${Buffer.from(`x-access-token:${opts.pushToken}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('authentication required\n');
        return;
      }
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1', SERVER_PROTOCOL: 'HTTP/1.1', REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname), QUERY_STRING: url.search.slice(1), REMOTE_ADDR: '127.0.0.1',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(push ? { REMOTE_USER: 'werker-test' } : {}),
    };
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') env[`HTTP_${name.toUpperCase().replaceAll('-', '_')}`] = value;
    }
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
      if (end < 0) return;
      const sep = head[end] === 13 ? 4 : 2;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split(/\r?\n/)) {
        const i = line.indexOf(':');
        const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
        else res.setHeader(k, v);
      }
      res.writeHead(status);
      headersDone = true;
      res.write(head.subarray(end + sep));
    });
    cgi.stdout.on('end', () => res.end());
    cgi.on('error', () => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`, root, requests,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * A bare repository `<root>/<owner>/<repo>.git` with the files committed and the tags made
 * (each tag a list of files committed before it). Returns the commit each tag names.
 */
export function makeRepo(root: string, slug: string, commits: { files: Record<string, string>; tag?: string }[]): Record<string, string> {
  const [first, ...rest] = commits;
  const work = tempGitRepo(first!.files, 'werker-step-src');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: work.dir, encoding: 'utf8' }).trim();
  const tags: Record<string, string> = {};
  const tagNow = (tag?: string) => {
    if (!tag) return;
    git('tag', tag);
    tags[tag] = work.head();
  };
  tagNow(first!.tag);
  for (const c of rest) {
    work.commit(c.files);
    tagNow(c.tag);
  }
  tags.HEAD = work.head();
  const bare = path.join(root, `${slug}.git`);
  mkdirSync(path.dirname(bare), { recursive: true });
  rmSync(bare, { recursive: true, force: true });
  execFileSync('git', ['clone', '--quiet', '--bare', work.dir, bare]);
  execFileSync('git', ['-C', bare, 'config', 'http.receivepack', 'true']);
  work.remove();
  return tags;
}
