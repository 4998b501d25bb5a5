import { connect } from 'node:net';

/** PostgreSQL's default port: a service exposing it gets the protocol-level readiness check. */
export const PG_PORT = 5432;

/** SQLSTATE 57P03, cannot_connect_now: "the database system is starting up" (or shutting down, or in recovery). */
const CANNOT_CONNECT_NOW = '57P03';

/**
 * True when the port takes TCP connections and the server there does not answer a startup
 * message with "the database system is starting up". PostgreSQL listens a few ms (on a volume
 * with data to recover, much longer) before it takes queries; a bare TCP connect would call it
 * ready in that window, and a first step that connects at once would fail. Sends what pg_isready
 * sends (a startup message, then nothing: no password ever goes out) and reads the first reply:
 * an authentication request or any other answer means the server is taking connections.
 * Anything that is not PostgreSQL on this port counts as ready once it accepts the connection.
 */
export function pgAccepting(host: string, port: number, user = 'postgres'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let connected = false;
    let reply = Buffer.alloc(0);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(connected));
    socket.once('error', () => done(false));
    socket.once('close', () => done(connected));
    socket.once('connect', () => {
      connected = true;
      socket.write(startupMessage(user));
    });
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (reply[0] !== 0x45 /* 'E' */) return done(true);
      if (reply.length < 5) return;
      const length = reply.readInt32BE(1);
      if (reply.length < 1 + length) return;
      done(errorCode(reply.subarray(5, 1 + length)) !== CANNOT_CONNECT_NOW);
    });
  });
}

/** Protocol 3.0 startup message: length, version, then `user`/`database` pairs and a final NUL. */
function startupMessage(user: string): Buffer {
  const params = Buffer.from(`user\0${user}\0database\0${user}\0application_name\0werker-ready-check\0\0`);
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, params]);
}

/** The `C` (SQLSTATE) field of an ErrorResponse body: type byte, NUL-terminated value, … */
function errorCode(body: Buffer): string | undefined {
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const end = body.indexOf(0, at + 1);
    if (end < 0) return undefined;
    if (body[at] === 0x43 /* 'C' */) return body.toString('utf8', at + 1, end);
    at = end + 1;
  }
  return undefined;
}
