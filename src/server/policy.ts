import type { Store } from '../store/db.ts';
import { isMaintainer } from '../store/maintainers.ts';
import { InputError, type User } from './context.ts';

/**
 * Who may do what (src/server/README.md, "Roles"). Checked in the core, so the API, the web UI
 * and anything added later obey the same rules; the UI only hides what would be refused.
 */
export function requireAdmin(user: User, what: string): void {
  if (user.role !== 'admin') throw new InputError(`only an admin may ${what}`, 403);
}

/**
 * Who may see an application (its badges too): anyone, unless it is private; then a signed-in,
 * enabled user (every member reads every application, README "Roles"). Visitors, runner tokens
 * and disabled users are not users here (`user` undefined).
 */
export function maySeeApplication(app: { private: boolean }, user: User | undefined): boolean {
  return !app.private || user !== undefined;
}

/** Admins manage every application; a member only those they maintain. */
export async function managesApplication(store: Store, appId: number, user: User): Promise<boolean> {
  if (user.role === 'admin') return true;
  return isMaintainer(store, appId, user.id);
}

export async function requireManager(store: Store, appId: number, user: User, what: string): Promise<void> {
  if (!(await managesApplication(store, appId, user))) {
    throw new InputError(`only the application's maintainers and admins may ${what}; ask an admin to make you a maintainer`, 403);
  }
}

/**
 * Who may open a terminal into a run's box (docs/wercker-compat.md §8.4, werker's own): those who
 * manage the application. A member reads every run's (masked) output, but a shell holds the
 * run's protected values in its environment, and masking is no boundary against someone typing
 * commands (`base64 <<<"$SECRET"`): only those who may set the values may have that.
 */
export async function requireTerminalAccess(store: Store, appId: number, user: User): Promise<void> {
  if (!(await managesApplication(store, appId, user))) {
    throw new InputError('only the application\'s maintainers and admins may open a terminal into its runs (the shell holds its protected values); ask an admin to make you a maintainer', 403);
  }
}
