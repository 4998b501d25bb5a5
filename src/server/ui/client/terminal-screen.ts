import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import xtermCss from '@xterm/xterm/css/xterm.css';

/** The messages of the terminal's socket (runner/terminal-protocol.ts; the browser's half). */
type FromBox = { type: 'output'; data: string } | { type: 'notice'; text: string } | { type: 'exit'; code: number | null };

/** Where the terminal goes and how it reports its state (terminal.ts sets `#terminal[data-state]` and the status line). */
export interface TerminalPlace {
  panel: HTMLElement;
  screen: HTMLElement;
  /** The socket's path with its one-time ticket, as the server answered it. */
  socketPath: string;
  say(state: 'open' | 'closed', text: string): void;
}

/**
 * xterm.js on the page, joined to the box's shell by the terminal's WebSocket (docs/wercker-compat.md
 * §8.4, werker's own). A chunk of its own, imported by terminal.ts when the terminal is opened:
 * xterm.js and its stylesheet are most of the web UI's code, and no other page needs them.
 */
export function showTerminal({ panel, screen, socketPath, say }: TerminalPlace): void {
  addStylesheet(panel.ownerDocument);
  const term = new Terminal({ convertEol: false, cursorBlink: true, fontFamily: '"DejaVu Sans Mono", monospace', fontSize: 14, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  screen.hidden = false;
  term.open(screen);
  fit.fit();
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${socketPath}`);
  const send = (m: object) => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify(m));
  socket.onopen = () => {
    say('open', 'connected: the shell opens in the failed step\'s directory');
    send({ type: 'resize', rows: term.rows, cols: term.cols });
    term.focus();
  };
  socket.onmessage = (message: MessageEvent<string>) => show(term, message.data);
  socket.onclose = (e) => {
    say('closed', `the terminal is closed${e.reason ? `: ${e.reason}` : ''}`);
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

function addStylesheet(doc: Document): void {
  if (doc.getElementById('xterm-css')) return;
  const style = doc.createElement('style');
  style.id = 'xterm-css';
  style.textContent = xtermCss;
  doc.head.append(style);
}
