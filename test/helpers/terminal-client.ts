import WebSocket from 'ws';

/** A terminal socket as a test drives it: what came back so far, and waits for text in it. */
export interface TerminalClient {
  ws: WebSocket;
  /** Output and notices, in order, as the browser would show them. */
  transcript(): string;
  type(text: string): void;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `url` with headers; rejects with the HTTP status when the upgrade is refused. */
export function openTerminal(url: string, headers: Record<string, string>): Promise<TerminalClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    let text = '';
    const waiters = new Set<() => void>();
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; data?: string; text?: string; code?: number | null };
      if (m.type === 'output') {
        text += m.data;
        // A line editor asks where the cursor is (ESC [6n), as xterm.js would answer it.
        if (m.data!.includes('\x1b[6n')) ws.send(JSON.stringify({ type: 'input', data: '\x1b[1;1R' }));
      }
      else if (m.type === 'notice') text += `\n[werker] ${m.text}\n`;
      else if (m.type === 'exit') text += `\n[exit ${m.code}]\n`;
      for (const w of waiters) w();
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => {
      r({ code, reason: reason.toString() });
      for (const w of waiters) w();
    }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
    });
    ws.once('error', (err) => reject(err));
    ws.once('open', () => resolve({
      ws, closed,
      transcript: () => text,
      type: (t) => ws.send(JSON.stringify({ type: 'input', data: t })),
      waitFor: (pattern, timeoutMs = 20_000) => new Promise((ok, fail) => {
        const check = () => {
          if (pattern.test(text)) {
            waiters.delete(check);
            clearTimeout(timer);
            ok(text);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(new Error(`no ${pattern} in the terminal after ${timeoutMs} ms; it shows:\n${text}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    }));
  });
}
