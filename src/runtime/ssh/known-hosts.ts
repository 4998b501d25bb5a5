import { createHash, createHmac } from 'node:crypto';

/** One usable line of a known_hosts value. */
export interface KnownHost {
  patterns: string[];
  keyType: string;
  /** The key blob (SSH wire format), as the server sends it. */
  key: Buffer;
  revoked: boolean;
}

/**
 * Parses a known_hosts value (one or more lines, as `ssh-keyscan` prints or ~/.ssh/known_hosts
 * holds). `@cert-authority` lines are skipped: werker checks plain host keys only.
 */
export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@cert-authority') continue;
      revoked = marker === '@revoked';
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) continue;
    out.push({ patterns: hosts.split(','), keyType, key: Buffer.from(b64, 'base64'), revoked });
  }
  return out;
}

/** The name OpenSSH looks up: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Entries whose host patterns match `name` (plain, wildcard, negated and hashed `|1|` patterns). */
export function matchingEntries(entries: KnownHost[], name: string): KnownHost[] {
  return entries.filter((e) => {
    let matched = false;
    for (const p of e.patterns) {
      const negated = p.startsWith('!');
      if (patternMatches(negated ? p.slice(1) : p, name)) {
        if (negated) return false;
        matched = true;
      }
    }
    return matched;
  });
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const re = new RegExp(`^${pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name.toLowerCase());
}

/** What the host key check decided, with the key's fingerprint for messages. */
export type HostKeyVerdict = { ok: true } | { ok: false; reason: string };

/** Checks a presented host key against the entries for `name`. */
export function verifyHostKey(entries: KnownHost[], name: string, key: Buffer): HostKeyVerdict {
  const mine = matchingEntries(entries, name);
  const fp = fingerprint(key);
  if (mine.some((e) => e.revoked && e.key.equals(key))) return { ok: false, reason: `the host key ${fp} of ${name} is marked @revoked` };
  if (mine.some((e) => !e.revoked && e.key.equals(key))) return { ok: true };
  if (!mine.length) return { ok: false, reason: `the known-hosts value has no entry for ${name} (the server offered ${keyTypeOf(key)} ${fp})` };
  return { ok: false, reason: `HOST KEY MISMATCH for ${name}: the server offered ${keyTypeOf(key)} ${fp}, which the known-hosts value does not list` };
}

/** The key types listed for `name`, as ssh2 host-key algorithm names, so the server offers one we can check. */
export function hostKeyAlgorithms(entries: KnownHost[], name: string): string[] {
  const algos: string[] = [];
  for (const e of matchingEntries(entries, name)) {
    if (e.revoked) continue;
    const names = e.keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [e.keyType];
    for (const n of names) if (!algos.includes(n)) algos.push(n);
  }
  return algos;
}

/** `SHA256:…` as OpenSSH prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'key';
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('latin1') || 'key';
}
