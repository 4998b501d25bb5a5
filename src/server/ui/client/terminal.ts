/** What the page's script needs of the terminal's screen (terminal-screen.ts), which it loads only when the terminal is opened. */
type Screen = typeof import('./terminal-screen.ts');

/**
 * The run page's terminal into a failed step's box (docs/wercker-compat.md §8.4, werker's own):
 * `#terminal[data-ticket]` is where the page asks for a one-time ticket (POST with the CSRF
 * token), then the socket opens on this origin and xterm.js shows it. `#terminal[data-state]`
 * says where it is: idle, connecting, open, closed. xterm.js is most of the web UI's code and
 * only this button needs it, so it is a chunk of its own (terminal-screen.ts, bundled apart by
 * assets/client-bundle.ts) that the click imports: every other page loads a small script.
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
  // Both at once: the chunk comes while the server hands out the ticket.
  const [{ showTerminal }, socketPath] = await Promise.all([loadScreen(), askTicket(panel)]);
  showTerminal({ panel, screen, socketPath, say: (state, text) => say(panel, status, state, text) });
}

async function loadScreen(): Promise<Screen> {
  try {
    return await import('./terminal-screen.ts');
  } catch (err) {
    // A page of an older build asks for a chunk the server no longer has (its name holds its hash).
    throw new Error(`the terminal's script could not be loaded (${(err as Error).message}): reload the page and open the terminal again`);
  }
}

async function askTicket(panel: HTMLElement): Promise<string> {
  const res = await fetch(panel.dataset.ticket!, { method: 'POST', headers: { 'x-csrf-token': panel.dataset.csrf!, accept: 'application/json' }, credentials: 'same-origin' });
  const answer = (await res.json().catch(() => ({}))) as { path?: string; error?: string };
  if (!res.ok || !answer.path) throw new Error(answer.error ?? `the server answered ${res.status}`);
  return answer.path;
}

function say(panel: HTMLElement, status: HTMLElement, state: string, text: string): void {
  panel.dataset.state = state;
  status.textContent = text;
}
