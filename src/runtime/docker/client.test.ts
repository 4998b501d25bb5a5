import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerApiError, RuntimeUnavailableError } from '../../errors.ts';
import { connectDocker } from './client.ts';

// A fake Engine API on a unix socket: enough to check what the client sends and how it maps
// what comes back, without a daemon.
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

const dir = mkdtempSync(join(tmpdir(), 'werker-fake-api-'));
const socket = join(dir, 'docker.sock');
const seen: Seen[] = [];
let server: Server;

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse) {
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  const url = req.url ?? '';
  if (url === '/version') return reply(res, 200, { ApiVersion: '1.41', Version: '20.10.24' });
  if (url === '/v1.41/_ping') return res.end('OK');
  if (url.startsWith('/v1.41/images/missing/json')) return reply(res, 404, { message: 'No such image: missing:latest' });
  if (url.startsWith('/v1.41/containers/create')) return reply(res, 409, { message: 'Conflict. The container name "/box" is already in use by container "abc".' });
  if (url.startsWith('/v1.41/containers/gone')) return reply(res, 404, { message: 'No such container: gone' });
  // A network the engine keeps counting an endpoint on, whatever is disconnected.
  if (url === '/v1.41/networks/held' && req.method === 'DELETE') return reply(res, 403, { message: 'error while removing network: network held id 123 has active endpoints' });
  if (url === '/v1.41/networks/held') return reply(res, 200, { Name: 'held', Containers: { c0ffee: { Name: 'stale' } } });
  if (url === '/v1.41/networks/held/disconnect') return reply(res, 200, {});
  if (url.startsWith('/v1.41/images/reg.example/app/push')) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write(JSON.stringify({ status: 'The push refers to repository [reg.example/app]' }) + '\n');
    res.end(JSON.stringify({ errorDetail: { message: 'denied: requested access to the resource is denied' }, error: 'denied' }) + '\n');
    return;
  }
  reply(res, 500, { message: `unexpected ${req.method} ${url}` });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('DockerRuntime over a fake Engine API', () => {
  it('pins the API version the daemon reports', async () => {
    const rt = await connectDocker({ host: `unix://${socket}` });
    expect(rt.host).toBe(`unix://${socket}`);
    expect(seen.map((s) => s.url)).toEqual(expect.arrayContaining(['/version', '/v1.41/_ping']));
  });

  it('accepts a plain socket path', async () => {
    const rt = await connectDocker({ host: socket });
    expect(rt.host).toBe(`unix://${socket}`);
  });

  it('maps a 404 to DockerApiError with the daemon message and the image hint', async () => {
    const rt = await connectDocker({ host: socket });
    const err = await rt.inspectImage('missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerApiError);
    expect(err).toMatchObject({ status: 404, op: 'inspect image missing', message: 'inspect image missing: No such image: missing:latest' });
    expect((err as DockerApiError).hint).toMatch(/build or pull it first/);
    expect(await rt.imageExists('missing')).toBe(false);
  });

  it('gives a 409 name conflict a hint', async () => {
    const rt = await connectDocker({ host: socket });
    const err = await rt.createContainer({ name: 'box', image: 'x', labels: {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409 });
    expect((err as DockerApiError).hint).toMatch(/already exists/);
  });

  it('disconnects what a network still counts and tries again; if the engine keeps refusing, says what to do', async () => {
    const rt = await connectDocker({ host: socket });
    const before = seen.length;
    const err = await rt.removeNetwork('held').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerApiError);
    expect(err).toMatchObject({ status: 403, op: 'remove network held' });
    expect((err as DockerApiError).hint).toMatch(/remove \(or disconnect\) the containers on that network first/);
    const asked = seen.slice(before).map((s) => `${s.method} ${s.url}`);
    expect(asked.filter((a) => a === 'DELETE /v1.41/networks/held')).toHaveLength(4);
    expect(asked.filter((a) => a === 'POST /v1.41/networks/held/disconnect')).toHaveLength(3);
  });

  it('treats removing a missing container as done', async () => {
    const rt = await connectDocker({ host: socket });
    await expect(rt.removeContainer('gone', { force: true })).resolves.toBeUndefined();
  });

  it('sends push credentials only in X-Registry-Auth and surfaces an error from the progress stream', async () => {
    const rt = await connectDocker({ host: socket });
    const progress: string[] = [];
    const err = await rt
      .pushImage('reg.example/app', 'v1', { auth: { username: 'bob', password: 'hunter22', serveraddress: 'reg.example' }, onProgress: (p) => progress.push(p.status) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerApiError);
    expect((err as DockerApiError).message).toMatch(/denied: requested access/);
    expect(progress).toEqual(['The push refers to repository [reg.example/app]']);
    const push = seen.find((s) => s.url.includes('/push'));
    expect(push?.url).toBe('/v1.41/images/reg.example/app/push?tag=v1');
    const header = String(push?.headers['x-registry-auth']);
    const decoded = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString());
    expect(decoded).toEqual({ username: 'bob', password: 'hunter22', serveraddress: 'reg.example' });
    expect(push?.url).not.toContain('hunter22');
  });

  it('says no engine answers, with exit code 3 and a hint, when nothing listens', async () => {
    const err = await connectDocker({ host: `unix://${join(dir, 'nothing.sock')}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect(err).toMatchObject({ exitCode: 3, message: `no Docker engine answers at unix://${join(dir, 'nothing.sock')}` });
    expect((err as RuntimeUnavailableError).hint).toMatch(/setup-docker\.sh/);
  });
});
