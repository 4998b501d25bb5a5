import { CancelledError, SshError } from '../errors.ts';
import type { ReleaseCommands } from './commands.ts';
import { ReleaseError, type Remote } from './remote.ts';
import { watchRelease } from './watch.ts';

/** What the deploy knows when nginx has just switched to the new release. */
export interface Switched {
  name: string;
  port: number;
  /** The release that served before, still running through the window; undefined on a first deploy. */
  old: { name: string; port: number } | undefined;
  /** The `previous` pointer before the switch, put back when the deploy switches back. */
  previous: string | undefined;
  /** Where the access log was when nginx switched: 5xx are counted after it. */
  logOffset: number;
}

/** The moves of release.ts the watch needs, passed in (release.ts calls this file). */
export interface SwitchMoves {
  /** Health gate (it was serving a moment ago), static files, nginx back to it, pointers restored. */
  switchBack(old: { name: string; port: number }, previous: string | undefined): Promise<void>;
  /** Drain what is left of the drain period counted from `since` (default: the switch), then stop it (kept, no restart policy). */
  retire(name: string, since?: number): Promise<void>;
}

/**
 * The watch window (README "Releasing to servers", `watch`): the old release
 * keeps running, so that going back is a switch like any other. Passed: the deploy goes on
 * (the old one is retired). Failed: nginx goes back to the old release, the new one is drained
 * and stopped (kept for a look), the step fails saying why. Cancelled (Ctrl-C): the new release
 * stays live (it passed its gate and every check so far), the old one is stopped and kept for
 * `werker rollback`. A failure or cancel sets the audit result, then throws.
 */
export async function watchAfterSwitch(r: Remote, c: ReleaseCommands, s: Switched, signal: AbortSignal | undefined, moves: SwitchMoves, setAudit: (result: string) => void): Promise<void> {
  let res;
  try {
    res = await watchRelease(r, c, s.name, s.port, s.logOffset, signal);
  } catch (err) {
    if (!(err instanceof SshError)) throw err;
    const oldPart = s.old ? `${s.old.name} is still running, not retired: \`werker rollback\` returns to it` : 'nothing else was live';
    throw new ReleaseError(`${r.host}: lost SSH during the watch of ${s.name} (${err.message}); nginx sends traffic to ${s.name}, ${oldPart}`,
      'the lock went with the connection; no audit line could be written. Check the host, then deploy again or roll back');
  }
  if (res.outcome === 'passed') return;
  if (res.outcome === 'cancelled') {
    const kept = s.old ? `; ${s.old.name} is stopped and kept (\`werker rollback\` returns to it)` : '';
    r.say(`watch of ${s.name} cancelled after ${res.secs}s: ${s.name} stays live (it passed every check so far)${kept}`);
    if (s.old) await moves.retire(s.old.name);
    setAudit(`cancelled: the watch was stopped after ${res.secs}s; ${s.name} stays live`);
    throw new CancelledError(`the release's watch was cancelled after ${res.secs}s; ${s.name} stays live on ${r.host}${kept}`);
  }
  const why = `${r.host}: ${s.name} failed its watch after ${res.secs}s of ${c.spec.watch!.seconds}s: ${res.reason}`;
  if (!s.old) {
    setAudit(`failed: watch: ${res.reason}; nothing to switch back to, ${s.name} stays live`);
    throw new ReleaseError([`${why}`, ...res.details, `  there was no release before it to switch back to: ${s.name} stays live`].join('\n'), res.hint);
  }
  r.say(`${s.name} failed its watch (${res.reason}); switching back to ${s.old.name}`);
  try {
    await moves.switchBack(s.old, s.previous);
  } catch (err) {
    setAudit(`failed: watch: ${res.reason}; switching back to ${s.old.name} failed, ${s.name} stays live`);
    throw new ReleaseError(`${why}\n  switching back to ${s.old.name} failed: ${(err as Error).message}; ${s.name} stays live`, 'look at both releases on the host (docker ps), then roll back or deploy again');
  }
  await moves.retire(s.name, Date.now());
  setAudit(`failed: watch: ${res.reason}; switched back to ${s.old.name}`);
  throw new ReleaseError([why, ...res.details, `  switched back: ${s.old.name} serves again; ${s.name} is stopped and kept for a look (docker logs ${s.name})`].join('\n'),
    res.hint ?? `its log (docker logs ${s.name} on ${r.host}) says why it failed; fix it and deploy again`);
}
