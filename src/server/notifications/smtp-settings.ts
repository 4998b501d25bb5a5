import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.ts';

/** How the server sends email (`werker server --smtp-*`, or the WERKER_SMTP_* variables). */
export interface SmtpSettings {
  host: string;
  port: number;
  /**
   * `starttls` (default): plain connect, then STARTTLS, required (no fallback to plain text);
   * `tls`: TLS from the first byte (port 465); `none`: never TLS (a relay on the same machine).
   */
  security: 'starttls' | 'tls' | 'none';
  user?: string;
  password?: string;
  /** The From address. */
  from: string;
  /** PEM certificates to trust besides the system's (a private CA's). */
  ca?: string;
}

export interface SmtpFlags {
  smtpHost?: string;
  smtpPort?: string;
  smtpSecurity?: string;
  smtpUser?: string;
  smtpPasswordFile?: string;
  smtpFrom?: string;
  smtpCaFile?: string;
}

const DEFAULT_PORT = { starttls: 587, tls: 465, none: 25 } as const;

/**
 * The SMTP settings from the flags, else the environment (WERKER_SMTP_HOST, _PORT, _SECURITY,
 * _USER, _PASSWORD or _PASSWORD_FILE, _FROM, _CA_FILE); undefined when no host is set (the server
 * then sends no email). The password comes from a file or the environment only: a flag's value
 * would be visible to every user of the machine in `ps`.
 */
export function smtpSettingsFrom(flags: SmtpFlags, env: NodeJS.ProcessEnv = process.env): SmtpSettings | undefined {
  const host = flags.smtpHost ?? env.WERKER_SMTP_HOST;
  if (!host) return undefined;
  const security = flags.smtpSecurity ?? env.WERKER_SMTP_SECURITY ?? 'starttls';
  if (security !== 'starttls' && security !== 'tls' && security !== 'none') throw new UsageError(`--smtp-security is starttls, tls or none, not "${security}"`);
  const rawPort = flags.smtpPort ?? env.WERKER_SMTP_PORT;
  const port = rawPort === undefined ? DEFAULT_PORT[security] : Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--smtp-port takes a port number, not "${rawPort}"`);
  const from = flags.smtpFrom ?? env.WERKER_SMTP_FROM;
  if (!from || !/^[^\s@<>]+@[^\s@<>]+$/.test(from.replace(/^.*<(.*)>\s*$/, '$1'))) {
    throw new UsageError(`--smtp-from (or WERKER_SMTP_FROM) takes the sender's address, not ${from === undefined ? 'nothing' : `"${from}"`}`, { hint: 'e.g. --smtp-from "werker <ci@example.com>"' });
  }
  const user = flags.smtpUser ?? env.WERKER_SMTP_USER;
  const password = readSecret(flags.smtpPasswordFile ?? env.WERKER_SMTP_PASSWORD_FILE, '--smtp-password-file') ?? env.WERKER_SMTP_PASSWORD;
  if (password !== undefined && !user) throw new UsageError('an SMTP password needs --smtp-user (or WERKER_SMTP_USER)');
  const caFile = flags.smtpCaFile ?? env.WERKER_SMTP_CA_FILE;
  return {
    host, port, security, from, ...(user ? { user } : {}), ...(password !== undefined ? { password } : {}),
    ...(caFile ? { ca: readSecret(caFile, '--smtp-ca-file')! } : {}),
  };
}

function readSecret(file: string | undefined, flag: string): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new UsageError(`${flag}: can't read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { hint: 'check the path and that the server\'s user may read it' });
  }
}
