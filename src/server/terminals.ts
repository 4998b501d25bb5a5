import { randomBytes } from 'node:crypto';
import type { Store } from '../store/db.ts';
import type { TerminalChannel } from '../runner/terminal-protocol.ts';
import { InputError, type User } from './context.ts';
import { requireTerminalAccess } from './policy.ts';
import type { RunChanges } from './run-changes.ts';
import type { RunRecorder } from './run-events.ts';
import { requireRun } from './run-history.ts';
import { TerminalHub } from './terminal-hub.ts';

/** A page's ticket for one terminal socket: used once, within this long. */
const TICKET_MS = 60_000;

export interface TerminalOptions {
  /** `--terminal-minutes` in ms; 0: no terminals. */
  windowMs: number;
  log(line: string): void;
}

export interface Terminals {
  readonly windowMs: number;
  readonly hub: TerminalHub;
  /** `POST /api/runs/:id/terminal` (cookie + CSRF): a one-time ticket for the socket, after the checks. */
  mintTicket(runId: number, user: User): Promise<{ ticket: string; path: string }>;
  /** The socket's checks: the ticket (once, same user and run) and the same rules again. */
  admit(runId: number, user: User, ticket: string): Promise<void>;
  /** The browser's socket is open: ask the runner for a shell; both ends are audited. */
  attach(runId: number, user: User, browser: TerminalChannel, address: string): Promise<void>;
}

/**
 * Terminals into a failed step's box (docs/wercker-compat.md §8.4, werker's own): who may open
 * one (requireTerminalAccess), whether the run's box is held now, the one-time tickets the
 * page mints, and the audit (a line in the run's log and in the server's log at open and close).
 */
export function terminalService(store: Store, recorder: RunRecorder, changes: RunChanges, options: TerminalOptions): Terminals {
  const hub = new TerminalHub();
  const tickets = new Map<string, { runId: number; userId: number; expires: number }>();
  // A run that stops running (finished after the window, cancelled, requeued) takes its terminals with it.
  changes.on((run) => {
    if (run.status !== 'running') hub.endRun(run.id, `the run is ${run.status}`);
  });
  const check = async (runId: number, user: User) => {
    const row = await requireRun(store, runId);
    await requireTerminalAccess(store, row.application_id, user);
    if (!options.windowMs) throw new InputError('this server offers no terminals: start it with --terminal-minutes N', 409);
    if (row.status !== 'running' || !hub.holding(runId)) {
      throw new InputError(`run ${runId} has no box to open a terminal in: a runner keeps a failed step's box for ${options.windowMs / 60_000} min after the failure, while the run is still running`, 409);
    }
  };
  const audit = (runId: number, text: string) => {
    options.log(`werker server: run ${runId}: ${text}`);
    return recorder.record(runId, [{ type: 'log', level: 'info', text }], (r) => r.status === 'running').catch(() => undefined);
  };
  return {
    windowMs: options.windowMs,
    hub,
    async mintTicket(runId, user) {
      await check(runId, user);
      const now = Date.now();
      for (const [t, v] of tickets) if (v.expires < now) tickets.delete(t);
      const ticket = randomBytes(24).toString('base64url');
      tickets.set(ticket, { runId, userId: user.id, expires: now + TICKET_MS });
      return { ticket, path: `/api/runs/${runId}/terminal?ticket=${ticket}` };
    },
    async admit(runId, user, ticket) {
      const t = tickets.get(ticket);
      tickets.delete(ticket);
      if (!t || t.runId !== runId || t.userId !== user.id || t.expires < Date.now()) {
        throw new InputError('no valid terminal ticket: open the terminal from the run\'s page again', 403);
      }
      await check(runId, user);
    },
    async attach(runId, user, browser, address) {
      const opened = Date.now();
      await audit(runId, `terminal opened by ${user.name} (from ${address})`);
      browser.onClose((reason) => void audit(runId, `terminal of ${user.name} closed after ${Math.round((Date.now() - opened) / 1000)} s: ${reason}`));
      hub.ask(runId, user.name, browser, await recorder.maskerOf(runId));
    },
  };
}
