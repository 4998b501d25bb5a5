import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';

/** A new ed25519 key pair in OpenSSH format (what ssh, ssh-add and deploy targets read). */
export function generateKeyPair(name: string): { publicKey: string; privateKey: string; fingerprint: string } {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: `werker-${name}` });
  const publicKey = pair.public.trim();
  return { publicKey, privateKey: pair.private, fingerprint: fingerprint(publicKey) };
}

/** `SHA256:…` of the key blob, as `ssh-keygen -lf` prints it. */
export function fingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
