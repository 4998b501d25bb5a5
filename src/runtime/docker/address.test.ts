import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.ts';
import { dockerEnv, findDockerAddress, resolveDockerAddress } from './address.ts';

describe('resolveDockerAddress', () => {
  it('prefers the flag, then DOCKER_HOST, then the default socket', () => {
    expect(resolveDockerAddress('unix:///a.sock', { DOCKER_HOST: 'unix:///b.sock' }).url).toBe('unix:///a.sock');
    expect(resolveDockerAddress(undefined, { DOCKER_HOST: 'unix:///b.sock' }).url).toBe('unix:///b.sock');
    expect(resolveDockerAddress(undefined, {}).url).toBe('unix:///var/run/docker.sock');
  });

  it('takes a plain socket path', () => {
    expect(resolveDockerAddress('/run/user/1000/docker.sock', {})).toEqual({
      url: 'unix:///run/user/1000/docker.sock',
      options: { socketPath: '/run/user/1000/docker.sock', host: undefined },
    });
  });

  it('takes tcp://, defaulting the port, and uses TLS on 2376 or DOCKER_TLS_VERIFY=1', () => {
    expect(resolveDockerAddress('tcp://10.0.0.5', {})).toMatchObject({ url: 'tcp://10.0.0.5:2375', options: { host: '10.0.0.5', port: '2375', protocol: 'http' } });
    expect(resolveDockerAddress('tcp://d:2376', {}).options.protocol).toBe('https');
    expect(resolveDockerAddress('tcp://d:2375', { DOCKER_TLS_VERIFY: '1' }).options.protocol).toBe('https');
  });

  it('rejects other schemes as a usage error', () => {
    expect(() => resolveDockerAddress('ssh://me@host', {})).toThrow(UsageError);
  });
});

describe('wercker\'s --docker-tls-verify and --docker-cert-path (docs/wercker-compat.md §8.3)', () => {
  it('read as DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, over the env', () => {
    const certs = mkdtempSync(join(tmpdir(), 'werker-certs-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, f), `${f} content`);
    const env = dockerEnv({ tlsVerify: '1', certPath: certs }, { DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: '/elsewhere' });
    expect(env).toMatchObject({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs });
    const address = resolveDockerAddress('tcp://d:2375', env);
    expect(address.options.protocol).toBe('https');
    expect(String(address.options.ca)).toBe('ca.pem content');
    expect(String(address.options.key)).toBe('key.pem content');
    expect(dockerEnv({}, { DOCKER_TLS_VERIFY: '1' })).toEqual({ DOCKER_TLS_VERIFY: '1' });
  });

  it('a cert path without the certificates is a usage error that names it', () => {
    expect(() => resolveDockerAddress('tcp://d:2375', dockerEnv({ tlsVerify: '1', certPath: '/no/such/certs' }, {})))
      .toThrow(/cannot read the Docker TLS certificates in \/no\/such\/certs/);
  });
});

describe('findDockerAddress: the socket, then wercker\'s fallbacks (docs/wercker-compat.md §8.3)', () => {
  const listening = () => new Promise<Server>((resolve) => { const s = createServer((c) => c.destroy()).listen(0, '127.0.0.1', () => resolve(s)); });
  const portOf = (s: Server) => (s.address() as { port: number }).port;
  const missingSocket = join(tmpdir(), 'werker-no-such-docker.sock');

  it('uses the flag or DOCKER_HOST as given, and the socket when it exists, trying nothing else', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'werker-sock-')), 'docker.sock');
    writeFileSync(socket, '');
    expect((await findDockerAddress('tcp://h:1', {})).address?.url).toBe('tcp://h:1');
    expect((await findDockerAddress(undefined, { DOCKER_HOST: 'unix:///x.sock' })).address?.url).toBe('unix:///x.sock');
    expect(await findDockerAddress(undefined, {}, { socket, fallbacks: ['tcp://127.0.0.1:1'] })).toEqual({ address: expect.objectContaining({ url: `unix://${socket}` }), tried: [] });
  });

  it('without the socket, takes the first fallback that accepts a connection', async () => {
    const server = await listening();
    try {
      const found = await findDockerAddress(undefined, {}, { socket: missingSocket, fallbacks: ['tcp://127.0.0.1:1', `tcp://127.0.0.1:${portOf(server)}`] });
      expect(found.address).toMatchObject({ url: `tcp://127.0.0.1:${portOf(server)}`, options: { protocol: 'http' } });
      expect(found.tried).toEqual([`unix://${missingSocket}`, 'tcp://127.0.0.1:1', `tcp://127.0.0.1:${portOf(server)}`]);
    } finally {
      server.close();
    }
  });

  it('finds nothing, quickly, when nothing answers: the caller says where it looked (exit 3)', async () => {
    const closed = await listening();
    const port = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    const started = Date.now();
    const found = await findDockerAddress(undefined, {}, { socket: missingSocket, fallbacks: ['tcp://127.0.0.1:1', `tcp://127.0.0.1:${port}`] });
    expect(found).toEqual({ address: undefined, tried: [`unix://${missingSocket}`, 'tcp://127.0.0.1:1', `tcp://127.0.0.1:${port}`] });
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('has wercker\'s fallbacks: boot2docker\'s address with TLS, then local TCP without', async () => {
    const { FALLBACK_DOCKER_HOSTS } = await import('./address.ts');
    expect(FALLBACK_DOCKER_HOSTS).toEqual(['tcp://192.168.59.103:2376', 'tcp://127.0.0.1:2375']);
    expect(resolveDockerAddress(FALLBACK_DOCKER_HOSTS[0], {}).options.protocol).toBe('https');
  });
});
