import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerApiError, RuntimeUnavailableError } from '../../src/errors.ts';
import { connectDocker, type DockerRuntime } from '../../src/runtime/docker/client.ts';
import { BUSYBOX, requireDocker, testLabel, type TestLabel } from '../helpers/docker.ts';

const docker = await requireDocker();

async function readTar(stream: Readable): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const ex = extract();
  ex.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      files[header.name] = header.type === 'directory' ? '<dir>' : Buffer.concat(chunks).toString();
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  stream.pipe(ex);
  await done;
  return files;
}

describe.skipIf(!docker)('DockerRuntime on the real engine', () => {
  let rt: DockerRuntime;
  let label: TestLabel;

  /** A busybox container that stays up (`sleep`) for exec and archive tests. */
  async function idleBox(what: string): Promise<string> {
    const id = await rt.createContainer({ name: label.name(what), image: BUSYBOX, cmd: ['sleep', '300'], labels: label.labels });
    await rt.startContainer(id);
    return id;
  }

  beforeAll(() => {
    rt = docker!;
    label = testLabel(rt);
  });

  afterAll(async () => {
    if (!label) return;
    await label.cleanup();
    expect(await label.remaining()).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('pins the API version the daemon reports', async () => {
    const version = await rt.docker.version();
    expect((rt.docker.modem as unknown as { version: string }).version).toBe(`v${version.ApiVersion}`);
    await rt.ping();
  });

  it('fails to connect with exit code 3 and a hint when nothing answers', async () => {
    const err = await connectDocker({ host: 'tcp://127.0.0.1:1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect(err).toMatchObject({ exitCode: 3, message: 'no Docker engine answers at tcp://127.0.0.1:1' });
  });

  it('maps a missing image to a 404 DockerApiError with a hint', async () => {
    expect(await rt.imageExists('werker-test/no-such-image:never')).toBe(false);
    const err = await rt.createContainer({ name: label.name('no-image'), image: 'werker-test/no-such-image:never', labels: label.labels }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerApiError);
    expect(err).toMatchObject({ status: 404 });
    expect((err as DockerApiError).message).toMatch(/No such image: werker-test\/no-such-image:never/);
    expect((err as DockerApiError).hint).toMatch(/never pulls an image that is present unless --pull always/);
  });

  it('maps a duplicate name to a 409 with a hint', async () => {
    const spec = { name: label.name('dup'), image: BUSYBOX, cmd: ['true'], labels: label.labels };
    await rt.createContainer(spec);
    const err = await rt.createContainer(spec).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409 });
    expect((err as DockerApiError).hint).toMatch(/already exists/);
  });

  it('inspects an image', async () => {
    const info = await rt.inspectImage(BUSYBOX);
    expect(info.cmd).toEqual(['sh']);
    expect(info.env.some((e) => e.startsWith('PATH='))).toBe(true);
  });

  it('waits for a container and reads its logs; stop/kill on a stopped one are no-ops', async () => {
    const id = await rt.createContainer({ name: label.name('logs'), image: BUSYBOX, cmd: ['sh', '-c', 'echo out; echo err >&2; sleep 0.2; echo final; exit 3'], labels: label.labels });
    await rt.startContainer(id);
    expect(await rt.waitContainer(id)).toBe(3);
    const logs = await rt.containerLogs(id);
    expect(logs).toContain('out\n');
    expect(logs).toContain('err\n');
    // stdout and stderr are separate pipes, so only the sleep makes `final` reliably the last line.
    expect(await rt.containerLogs(id, { tail: 1 })).toBe('final\n');
    await rt.stopContainer(id, 1);
    await rt.killContainer(id);
    expect((await rt.inspectContainer(id)).exitCode).toBe(3);
  });

  it('execs with env, user, working dir and stdin; a big stdin does not deadlock', async () => {
    const id = await idleBox('exec');
    const r = await rt.exec(id, ['sh', '-c', 'echo "$A $(id -u) $(pwd)"; echo e >&2; exit 4'], { env: ['A=x'], user: '65534', workingDir: '/tmp' });
    expect(r).toEqual({ exitCode: 4, stdout: 'x 65534 /tmp\n', stderr: 'e\n' });
    const big = 'y'.repeat(1024 * 1024);
    // cat echoes it all back while we are still writing: both directions must flow at once.
    const echoed = await rt.exec(id, ['sh', '-c', 'cat; echo; cat /dev/null'], { stdin: big });
    expect(echoed.exitCode).toBe(0);
    expect(echoed.stdout.length).toBe(big.length + 1);
    const counted = await rt.exec(id, ['wc', '-c'], { stdin: big });
    expect(counted.stdout.trim()).toBe(String(big.length));
  });

  it('puts a tar in and reads a directory back as a tar', async () => {
    const id = await idleBox('archive');
    const p = pack();
    p.entry({ name: 'hello.txt' }, 'hello from the host\n');
    p.entry({ name: 'sub/deep.txt' }, 'deep\n');
    p.finalize();
    await rt.putArchive(id, '/tmp', p as unknown as Readable);
    expect((await rt.exec(id, ['cat', '/tmp/hello.txt', '/tmp/sub/deep.txt'])).stdout).toBe('hello from the host\ndeep\n');

    await rt.exec(id, ['sh', '-c', 'mkdir -p /data/sub && echo a > /data/a.txt && echo b > /data/sub/b.txt']);
    const files = await readTar(await rt.getArchive(id, '/data'));
    expect(files).toEqual({ 'data/': '<dir>', 'data/a.txt': 'a\n', 'data/sub/': '<dir>', 'data/sub/b.txt': 'b\n' });
  });

  it('puts a container on a network under an alias that others resolve', async () => {
    const net = label.name('net');
    await rt.createNetwork(net, label.labels);
    const server = await rt.createContainer({
      name: label.name('svc'),
      image: BUSYBOX,
      cmd: ['sh', '-c', 'mkdir -p /www && echo pong > /www/index.html && exec httpd -f -p 8080 -h /www'],
      labels: label.labels,
      network: { name: net, aliases: ['svc'] },
    });
    await rt.startContainer(server);
    expect((await rt.inspectContainer(server)).ips[net]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const client = await rt.createContainer({
      name: label.name('client'),
      image: BUSYBOX,
      cmd: ['sh', '-c', 'for i in $(seq 1 20); do wget -q -O - http://svc:8080/ && exit 0; sleep 0.25; done; exit 1'],
      labels: label.labels,
      network: { name: net, aliases: [] },
    });
    await rt.startContainer(client);
    expect(await rt.waitContainer(client)).toBe(0);
    expect(await rt.containerLogs(client)).toContain('pong');
  });

  it('commits a container with config changes, without pausing it', async () => {
    const id = await idleBox('commit');
    await rt.exec(id, ['sh', '-c', 'echo baked > /baked.txt']);
    const repo = `werker-test/commit-${label.value}`;
    const since = Math.floor(Date.now() / 1000) - 1;
    const imageId = await rt.commitContainer(id, { repo, tag: 't1', message: 'test commit', config: { Cmd: ['cat', '/baked.txt'], Labels: label.labels } });
    try {
      // A paused commit freezes the cgroup, and an exec starting then can leave it frozen for good.
      expect(await containerActions(id, since)).not.toContain('pause');
      expect(imageId).toMatch(/^sha256:/);
      const info = await rt.inspectImage(`${repo}:t1`);
      expect(info.cmd).toEqual(['cat', '/baked.txt']);
      expect(info.labels).toMatchObject(label.labels);
    } finally {
      await rt.removeImage(`${repo}:t1`);
    }
    expect(await rt.imageExists(`${repo}:t1`)).toBe(false);
    await rt.removeImage(`${repo}:t1`); // already gone: still fine
  });

  it('surfaces pull and push failures, sending push credentials to the registry via the daemon', async () => {
    // A registry stand-in on loopback (insecure by default for the daemon): it asks for basic
    // auth, records what it gets, then fails the push.
    const authSeen: string[] = [];
    const registry = createServer((req: IncomingMessage, res) => {
      if (req.headers.authorization) authSeen.push(req.headers.authorization);
      if (req.url === '/v2/' && !req.headers.authorization) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="werker-test"', 'Docker-Distribution-API-Version': 'registry/2.0' });
        return res.end();
      }
      // 403 DENIED: the daemon gives up at once (a 5xx would be retried for most of a minute).
      res.writeHead(req.url === '/v2/' ? 200 : 403, { 'Docker-Distribution-API-Version': 'registry/2.0', 'Content-Type': 'application/json' });
      res.end(req.url === '/v2/' ? '{}' : '{"errors":[{"code":"DENIED","message":"test registry refuses"}]}');
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const port = (registry.address() as AddressInfo).port;
    const repo = `127.0.0.1:${port}/werker-test-push-${label.value}`;
    try {
      const pull = await rt.pullImage(`127.0.0.1:1/werker-test/none:latest`).catch((e: unknown) => e);
      expect(pull).toBeInstanceOf(DockerApiError);
      expect((pull as DockerApiError).message).toMatch(/connection refused/);

      await rt.tagImage(BUSYBOX, repo, 'v1');
      const progress: string[] = [];
      const push = await rt
        .pushImage(repo, 'v1', { auth: { username: 'werker', password: 's3cret-pw', serveraddress: `127.0.0.1:${port}` }, onProgress: (p) => progress.push(p.status) })
        .catch((e: unknown) => e);
      expect(push).toBeInstanceOf(DockerApiError);
      expect((push as DockerApiError).message).toMatch(/denied|refuses/);
      expect(progress[0]).toMatch(/The push refers to repository/);
      expect(authSeen).toContain(`Basic ${Buffer.from('werker:s3cret-pw').toString('base64')}`);
    } finally {
      registry.close();
      await rt.removeImage(`${repo}:v1`);
    }
  });

  it('removes a network a container is still on: the container is disconnected by force, not left holding it', async () => {
    const network = label.name('held');
    await rt.createNetwork(network, label.labels);
    const id = await rt.createContainer({ name: label.name('holder'), image: BUSYBOX, cmd: ['sleep', '300'], labels: label.labels, network: { name: network, aliases: [] } });
    await rt.startContainer(id);
    await rt.removeNetwork(network);
    await expect(rt.docker.getNetwork(network).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const { NetworkSettings } = await rt.docker.getContainer(id).inspect();
    expect(Object.keys(NetworkSettings.Networks)).not.toContain(network);
    await rt.removeContainer(id, { force: true });
  });

  it('lists labelled containers, networks and volumes, and cleanup removes them all', async () => {
    const scoped = testLabel(rt);
    await rt.createContainer({ name: scoped.name('c'), image: BUSYBOX, cmd: ['true'], labels: scoped.labels });
    await rt.createNetwork(scoped.name('n'), scoped.labels);
    await rt.docker.createVolume({ Name: scoped.name('v'), Labels: scoped.labels });
    const found = await rt.listLabelled(scoped.key, scoped.value);
    expect(found.containers.map((c) => c.name)).toEqual([scoped.name('c')]);
    expect(found.networks.map((n) => n.name)).toEqual([scoped.name('n')]);
    expect(found.volumes.map((v) => v.name)).toEqual([scoped.name('v')]);
    expect((await rt.listLabelled(scoped.key)).containers.length).toBeGreaterThanOrEqual(1);
    await scoped.cleanup();
    expect(await scoped.remaining()).toEqual({ containers: [], networks: [], volumes: [] });
    // Removing what is already gone is not an error (cleanup may run twice).
    await rt.removeContainer(scoped.name('c'), { force: true });
    await rt.removeNetwork(scoped.name('n'));
    await rt.removeVolume(scoped.name('v'));
  });
});

/** The daemon's event actions for one container since `since` (seconds), up to now. */
async function containerActions(id: string, since: number): Promise<string[]> {
  const stream = (await docker!.docker.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { container: [id] } })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Action: string }).Action);
}
