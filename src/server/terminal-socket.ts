import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { LEASE_HEADER } from '../runner/protocol.ts';
import { TERMINAL_MAX_FRAME } from '../runner/terminal-protocol.ts';
import { socketChannel } from '../runner/terminal-socket.ts';
import { SESSION_COOKIE, bearerToken } from './auth.ts';
import { InputError, type User } from './context.ts';
import type { ServerCore } from './core.ts';
import type { RunnerSide } from './runner-backend.ts';

const BROWSER_PATH = /^\/api\/runs\/([1-9][0-9]{0,15})\/terminal$/;
const RUNNER_PATH = /^\/api\/runner\/runs\/([1-9][0-9]{0,15})\/terminals\/([A-Za-z0-9_-]{8,64})$/;
/** A socket that answers no ping within this is dropped (a runner or browser gone without a word). */
const PING_MS = 15_000;

class Refusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * The terminal's WebSockets (docs/wercker-compat.md §8.4, werker's own), on the server's HTTP
 * upgrade: `/api/runs/:id/terminal?ticket=` from a browser (its Origin must be the server's
 * own, its session cookie a user who may open the terminal, its ticket the one the page
 * minted, used once), and `/api/runner/runs/:id/terminals/:tid` from the remote runner holding
 * the box (its token and lease). Anything else is refused before the upgrade.
 */
export function attachTerminalSockets(server: Server, core: ServerCore, log: (line: string) => void): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: TERMINAL_MAX_FRAME });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    void accept(req, core).then(
      (attach) => wss.handleUpgrade(req, socket, head, (ws) => {
        keepAlive(ws);
        attach(ws);
      }),
      (err: unknown) => refuse(socket, err, log),
    );
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  };
}

/** The checks of an upgrade; resolves with what to do with the socket once open. */
async function accept(req: IncomingMessage, core: ServerCore): Promise<(ws: WebSocket) => void> {
  const url = new URL(req.url ?? '/', 'http://werker.invalid');
  const browser = BROWSER_PATH.exec(url.pathname);
  if (browser) {
    const runId = Number(browser[1]);
    const user = await browserUser(req, core);
    await core.terminals.admit(runId, user, url.searchParams.get('ticket') ?? '').catch(rethrow);
    const address = req.socket.remoteAddress ?? 'unknown';
    return (ws) => void core.terminals.attach(runId, user, socketChannel(ws), address);
  }
  const runner = RUNNER_PATH.exec(url.pathname);
  if (runner) {
    const runId = Number(runner[1]);
    const side = await runnerSide(req, core, runId);
    const lease = String(req.headers[LEASE_HEADER] ?? '');
    if (!(await side.holds(runId, lease))) throw new Refusal(409, 'this runner no longer holds the run');
    return (ws) => {
      const channel = socketChannel(ws);
      void side.connectTerminal(runId, lease, runner[2]!, channel).then((ok) => {
        if (!ok) channel.close('nobody waits for this terminal any more');
      });
    };
  }
  throw new Refusal(404, 'no such socket');
}

/** Same origin (the server's own, from --base-url or where it listens) and a signed-in session. */
async function browserUser(req: IncomingMessage, core: ServerCore): Promise<User> {
  const own = new URL(core.baseUrl).origin;
  if (req.headers.origin !== own) throw new Refusal(403, `a terminal opens from a page of ${own} only (Origin ${req.headers.origin ?? 'missing'})`);
  const cookie = cookieValue(req.headers.cookie ?? '', SESSION_COOKIE);
  const found = cookie ? await core.authenticator.sessionUser(cookie) : undefined;
  if (!found) throw new Refusal(401, 'sign in first');
  return found.user;
}

async function runnerSide(req: IncomingMessage, core: ServerCore, runId: number): Promise<RunnerSide> {
  const token = bearerToken(req.headers.authorization);
  const found = token ? await core.authenticator.tokenUser(token) : undefined;
  if (found?.kind !== 'runner') throw new Refusal(401, 'a runner token is required');
  if (!(await core.tokenClaimed(runId, found.tokenId))) throw new Refusal(403, 'this runner token never claimed the run');
  return core.runnersFor(found.tokenId) as RunnerSide;
}

function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

function rethrow(err: unknown): never {
  if (err instanceof InputError) throw new Refusal(err.status, err.message);
  throw err;
}

/** An HTTP answer on the raw socket: the upgrade never happens. */
function refuse(socket: Duplex, err: unknown, log: (line: string) => void): void {
  const status = err instanceof Refusal ? err.status : 500;
  const message = err instanceof Error ? err.message : String(err);
  if (status === 500) log(`werker server: terminal socket: ${message}`);
  const body = JSON.stringify({ error: status === 500 ? 'the server could not open the terminal; its log has the details' : message });
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' }[status] ?? 'Internal Server Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** Pings the socket; one that missed the last pong is dropped (its close ends the terminal cleanly). */
function keepAlive(ws: WebSocket): void {
  let alive = true;
  ws.on('pong', () => (alive = true));
  const timer = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
  }, PING_MS);
  ws.on('close', () => clearInterval(timer));
}
