import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshError } from '../../errors.ts';
import { SshConnection } from './connection.ts';

const { Server, utils } = ssh2;

/**
 * An in-process ssh2 server on 127.0.0.1: it answers an exec with the command line it received
 * (so quoting is visible) followed by its stdin, and exits with the status named by the last word;
 * `true N` exits N at once.
 */
const hostKey = utils.generateKeyPairSync('ed25519');
const userKey = utils.generateKeyPairSync('ed25519');
const otherKey = utils.generateKeyPairSync('ed25519');
let server: InstanceType<typeof Server>;
let port = 0;

beforeAll(async () => {
  const allowed = utils.parseKey(userKey.public) as ssh2.ParsedKey;
  server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.algo === allowed.type && ctx.key.data.equals(allowed.getPublicSSH())) ctx.accept();
      else ctx.reject(['publickey']);
    });
    client.on('ready', () => client.on('session', (accept) => accept().on('exec', (acceptExec, _reject, info) => {
      const ch = acceptExec();
      if (info.command.startsWith('true ')) {
        // Done at once, not waiting for stdin: status and close follow the exec reply immediately.
        ch.exit(Number(info.command.split(' ').at(-1)));
        ch.end();
        return;
      }
      let stdin = '';
      ch.on('data', (d: Buffer) => (stdin += d.toString()));
      ch.on('end', () => {
        ch.write(`${info.command}\n${stdin}`);
        ch.exit(Number(info.command.split(' ').at(-1)) || 0);
        ch.end();
      });
    })));
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const line = (key: string) => `[127.0.0.1]:${port} ${key.trim().split(' ').slice(0, 2).join(' ')}`;
const connect = (knownHosts: string, privateKey = userKey.private) => SshConnection.connect({ host: '127.0.0.1', port, username: 'deploy', privateKey, knownHosts });

describe('SshConnection', () => {
  it('connects when the host key is the listed one; runs argv quoted once, with stdin and the exit status', async () => {
    const conn = await connect(line(hostKey.public));
    try {
      const r = await conn.exec(['printf', '%s', "it's $(x)", '3'], { stdin: 'secret on stdin' });
      expect(r).toEqual({ code: 3, stdout: "printf %s 'it'\\''s $(x)' 3\nsecret on stdin", stderr: '' });
      // Quick commands: exit status, output and close can arrive together; the status is never lost.
      const codes = await Promise.all(Array.from({ length: 50 }, (_, i) => conn.exec(['true', String(i % 7)]).then((x) => x.code)));
      expect(codes).toEqual(Array.from({ length: 50 }, (_, i) => i % 7));
    } finally {
      conn.close();
    }
  });

  it('refuses a host whose key is not listed, naming its fingerprint', async () => {
    const err = await connect(line(otherKey.public)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
    expect((err as Error).message).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${port} \\(connect\\): HOST KEY MISMATCH .* ssh-ed25519 SHA256:`));
  });

  it('refuses to connect without an entry for the host', async () => {
    await expect(connect('[127.0.0.1]:1 ssh-ed25519 AAAA')).rejects.toThrow(/has no entry for this host; werker does not connect to unverified hosts/);
  });

  it('reports a key the server does not accept as an auth failure', async () => {
    const err = await connect(line(hostKey.public), otherKey.private).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
    expect((err as SshError).stage).toBe('auth');
  });
});
