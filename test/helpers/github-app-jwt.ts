import { verify, type KeyObject } from 'node:crypto';

/** The GitHub App a loopback GitHub API serves: its id, its one installation, its public key. */
export interface GitHubAppServed {
  appId: string;
  installationId: string;
  publicKey: KeyObject | string;
  /** How long an installation token lasts (GitHub: an hour). */
  tokenLifetimeMs?: number;
}

type Claims = { iat: number; exp: number; iss: unknown };

/**
 * Checks `Authorization: Bearer <JWT>` as GitHub does for an App: RS256, signed by the App's key,
 * `iss` the App's id, `iat` not in the future, `exp` not past and at most 10 minutes ahead.
 * Returns the claims, or what is wrong.
 */
export function jwtProblem(authorization: string | undefined, app: GitHubAppServed): Claims | string {
  const jwt = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!jwt) return `no "Authorization: Bearer <JWT>" (got ${authorization ? 'another scheme' : 'none'})`;
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || signature === undefined) return 'the JWT has not three parts';
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  let head: Record<string, unknown>, claims: Claims;
  try {
    head = decode(header);
    claims = decode(payload) as Claims;
  } catch {
    return 'the JWT\'s header or claims are not base64url JSON';
  }
  if (head.alg !== 'RS256') return `the JWT is signed with ${String(head.alg)}, GitHub takes RS256`;
  if (!verify('sha256', Buffer.from(`${header}.${payload}`), app.publicKey, Buffer.from(signature, 'base64url'))) return 'the JWT\'s signature is not the App\'s key\'s';
  if (String(claims.iss) !== app.appId) return `the JWT's iss is ${JSON.stringify(claims.iss)}, not the App's id ${app.appId}`;
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.iat !== 'number' || claims.iat > now + 1) return `the JWT's iat ${String(claims.iat)} is in the future`;
  if (typeof claims.exp !== 'number' || claims.exp <= now) return `the JWT expired (exp ${String(claims.exp)})`;
  if (claims.exp > now + 600) return `the JWT's exp is more than 10 minutes ahead (${claims.exp - now} s)`;
  return claims;
}
