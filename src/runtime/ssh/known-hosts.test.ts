import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprint, hostKeyAlgorithms, knownHostsName, matchingEntries, parseKnownHosts, verifyHostKey } from './known-hosts.ts';

// Two made-up ed25519 key blobs in SSH wire format (type string + 32 key bytes).
const blob = (fill: number) => Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, fill)]);
const keyA = blob(1);
const keyB = blob(2);
const line = (hosts: string, key: Buffer, type = 'ssh-ed25519') => `${hosts} ${type} ${key.toString('base64')}`;

describe('known_hosts', () => {
  it('names hosts as OpenSSH looks them up', () => {
    expect(knownHostsName('example.com', 22)).toBe('example.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('matches plain, bracketed, comma-listed, wildcard and negated patterns', () => {
    const entries = parseKnownHosts([
      '# comment', '',
      line('[127.0.0.1]:2222', keyA),
      line('web1.example.com,10.0.0.1', keyA),
      line('*.internal,!db.internal', keyB),
      '@cert-authority *.example.com ssh-ed25519 AAAA',
    ].join('\n'));
    expect(entries).toHaveLength(3);
    expect(matchingEntries(entries, '[127.0.0.1]:2222')).toHaveLength(1);
    expect(matchingEntries(entries, '127.0.0.1')).toHaveLength(0);
    expect(matchingEntries(entries, '[127.0.0.1]:22')).toHaveLength(0);
    expect(matchingEntries(entries, '10.0.0.1')).toHaveLength(1);
    expect(matchingEntries(entries, 'app.internal')).toHaveLength(1);
    expect(matchingEntries(entries, 'db.internal')).toHaveLength(0);
  });

  it('matches hashed hostnames (HashKnownHosts)', () => {
    const salt = Buffer.alloc(20, 7);
    const hash = createHmac('sha1', salt).update('[10.1.2.3]:2200').digest('base64');
    const entries = parseKnownHosts(line(`|1|${salt.toString('base64')}|${hash}`, keyA));
    expect(matchingEntries(entries, '[10.1.2.3]:2200')).toHaveLength(1);
    expect(matchingEntries(entries, '10.1.2.3')).toHaveLength(0);
  });

  it('accepts only the listed key, and says why otherwise', () => {
    const entries = parseKnownHosts(line('[127.0.0.1]:2222', keyA));
    expect(verifyHostKey(entries, '[127.0.0.1]:2222', keyA)).toEqual({ ok: true });
    expect(verifyHostKey(entries, '[127.0.0.1]:2222', keyB)).toEqual({ ok: false, reason: `HOST KEY MISMATCH for [127.0.0.1]:2222: the server offered ssh-ed25519 ${fingerprint(keyB)}, which the known-hosts value does not list` });
    expect(verifyHostKey(entries, 'other', keyA)).toMatchObject({ ok: false, reason: expect.stringContaining('has no entry for other') });
  });

  it('refuses a key marked @revoked even when also listed', () => {
    const entries = parseKnownHosts(`${line('h', keyA)}\n@revoked ${line('h', keyA)}`);
    expect(verifyHostKey(entries, 'h', keyA)).toMatchObject({ ok: false, reason: expect.stringContaining('@revoked') });
  });

  it('asks the server for the key types it lists (rsa as its sha2 signatures too)', () => {
    const entries = parseKnownHosts(`${line('h', keyA)}\n${line('h', keyB, 'ssh-rsa')}`);
    expect(hostKeyAlgorithms(entries, 'h')).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });

  it('prints fingerprints as OpenSSH does', () => {
    expect(fingerprint(keyA)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
