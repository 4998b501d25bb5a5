import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on loopback (smtp-server, from the nodemailer project) for the mail steps'
 * tests: it offers STARTTLS (smtp-server's own self-signed certificate) and AUTH PLAIN/LOGIN,
 * refuses a login before STARTTLS as mail providers do, checks the one user and password it
 * knows, and keeps every message it accepts with its envelope and whether TLS carried it.
 */
export interface ReceivedMail {
  user: string;
  secure: boolean;
  from: string;
  to: string[];
  raw: string;
  /** The message's header fields, lower-cased names, unfolded, encoded words decoded. */
  headers: Record<string, string>;
  body: string;
  /** When the message's data ended (Date.now()), for latency measurements. */
  receivedAt: number;
}

export interface SmtpServer {
  host: string;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

/** RFC 2047 encoded words (=?charset?B|Q?text?=) decoded; UTF-8 and ASCII only. */
const decodeWords = (value: string): string =>
  value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_m, _charset: string, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_h, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'));

/** A message split into its header fields and its body (line ends as LF). */
export function parseMail(raw: string): { headers: Record<string, string>; body: string } {
  const text = raw.replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  let body = end < 0 ? '' : text.slice(end + 2);
  if (/base64/i.test(headers['content-transfer-encoding'] ?? '')) body = Buffer.from(body, 'base64').toString('utf8');
  return { headers, body };
}

/** `tls`: the server's key and certificate for STARTTLS (default: smtp-server's own self-signed one). */
export async function startSmtpServer(login: { user: string; password: string }, tls?: { key: string; cert: string }): Promise<SmtpServer> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    ...(tls ?? {}),
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === login.user && auth.password === login.password) return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          user: String(session.user), secure: session.secure, raw, ...parseMail(raw), receivedAt: Date.now(),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
