import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import xtermCss from '@xterm/xterm/css/xterm.css';

/** The messages of the terminal's socket (runner/terminal-protocol.ts; the browser's half). */
type FromBox = { type: 'output'; data: string } | { type: 'notice'; text: string } | { type: 'exit'; code: number | null };

/**
 * The run page's terminal into a failed step's box (docs/wercker-compat.md §8.4, werker's own):
 * `#terminal[data-ticket]` is where the page asks for a one-time ticket (POST with the CSRF
 * token), then the socket opens on this origin and xterm.js shows it. `#terminal[data-state]`
 * says where it is: idle, connecting, open, closed.
 */
export function setUpTerminal(doc: Document): void {
  const panel = doc.getElementById('terminal');
  const button = doc.getElementById('terminal-open');
  const screen = doc.getElementById('terminal-screen');
  const status = doc.getElementById('terminal-status');
  if (!panel || !button || !screen || !status || !panel.dataset.ticket || !panel.dataset.csrf) return;
  button.addEventListener('click', () => {
    button.hidden = true;
    void open(panel, screen, status).catch((err: Error) => {
      say(panel, status, 'closed', err.message);
      button.hidden = false;
    });
  });
}

async function open(panel: HTMLElement, screen: HTMLElement, status: HTMLElement): Promise<void> {
  say(panel, status, 'connecting', 'connecting to the box…');
  const res = await fetch(panel.dataset.ticket!, { method: 'POST', headers: { 'x-csrf-token': panel.dataset.csrf!, accept: 'application/json' }, credentials: 'same-origin' });
  const answer = (await res.json().catch(() => ({}))) as { path?: string; error?: string };
  if (!res.ok || !answer.path) throw new Error(answer.error ?? `the server answered ${res.status}`);
  addStylesheet(panel.ownerDocument);
  const term = new Terminal({ convertEol: false, cursorBlink: true, fontFamily: '"DejaVu Sans Mono", monospace', fontSize: 14, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  screen.hidden = false;
  term.open(screen);
  fit.fit();
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${answer.path}`);
  const send = (m: object) => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify(m));
  socket.onopen = () => {
    say(panel, status, 'open', 'connected: the shell opens in the failed step\'s directory');
    send({ type: 'resize', rows: term.rows, cols: term.cols });
    term.focus();
  };
  socket.onmessage = (message: MessageEvent<string>) => show(term, message.data);
  socket.onclose = (e) => {
    say(panel, status, 'closed', `the terminal is closed${e.reason ? `: ${e.reason}` : ''}`);
    term.options.disableStdin = true;
  };
  term.onData((data) => send({ type: 'input', data }));
  term.onResize(({ rows, cols }) => send({ type: 'resize', rows, cols }));
  window.addEventListener('resize', () => fit.fit());
}

function show(term: Terminal, text: string): void {
  let m: FromBox;
  try {
    m = JSON.parse(text) as FromBox;
  } catch {
    return;
  }
  if (m.type === 'output') term.write(m.data);
  else if (m.type === 'notice') term.write(`\r\n\x1b[2m[werker] ${m.text}\x1b[0m\r\n`);
  else if (m.type === 'exit') term.write(`\r\n\x1b[2m[werker] the shell exited${m.code === null ? '' : ` with status ${m.code}`}\x1b[0m\r\n`);
}

function say(panel: HTMLElement, status: HTMLElement, state: string, text: string): void {
  panel.dataset.state = state;
  status.textContent = text;
}

function addStylesheet(doc: Document): void {
  if (doc.getElementById('xterm-css')) return;
  const style = doc.createElement('style');
  style.id = 'xterm-css';
  style.textContent = xtermCss;
  doc.head.append(style);
}
