import WebSocket from 'ws';
import { parseTerminalMessage, TERMINAL_MAX_FRAME, type TerminalChannel, type TerminalMessage } from './terminal-protocol.ts';

/** How long a terminal's socket may take to open before the runner gives up on it. */
const OPEN_TIMEOUT_MS = 10_000;

/**
 * A WebSocket as a terminal channel (both legs use it: the server's end of the browser's socket,
 * and a remote runner's socket to the server). Frames are JSON text; anything else is dropped.
 */
export function socketChannel(ws: WebSocket): TerminalChannel {
  const closers: ((reason: string) => void)[] = [];
  let closed = false;
  const ended = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const fn of closers) fn(reason);
  };
  ws.on('close', (code, why) => ended(why.toString() || `the socket closed (${code})`));
  ws.on('error', (err) => ended(`the socket failed: ${err.message}`));
  return {
    send: (m: TerminalMessage) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
    },
    onMessage: (fn) => ws.on('message', (data, binary) => {
      if (binary) return;
      const m = parseTerminalMessage(data.toString());
      if (m) fn(m);
    }),
    onClose: (fn) => void closers.push(fn),
    close: (reason = 'closed') => {
      // A close frame's reason is at most 123 bytes.
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000, Buffer.from(reason).subarray(0, 120).toString());
      ended(reason);
    },
  };
}

/** Opens a socket (a remote runner's end of a terminal), with headers; undefined when the server refuses it. */
export function openSocket(url: string, headers: Record<string, string>): Promise<TerminalChannel | undefined> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, maxPayload: TERMINAL_MAX_FRAME, handshakeTimeout: OPEN_TIMEOUT_MS });
    ws.once('open', () => resolve(socketChannel(ws)));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      if (res.statusCode === 404 || res.statusCode === 409) resolve(undefined);
      else reject(new Error(`the server refused the terminal's socket (HTTP ${res.statusCode})`));
    });
    ws.once('error', reject);
  });
}
