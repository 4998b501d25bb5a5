import { hostname } from 'node:os';

/** Every object a run creates carries these, so leftovers can always be found. */
export const RUN_LABEL = 'werker.run';
export const OWNER_LABEL = 'werker.owner';

export function runLabels(runId: string): Record<string, string> {
  return { [RUN_LABEL]: runId, [OWNER_LABEL]: `${hostname()}:${process.pid}` };
}

/** True when the labels name a werker process on this host that is no longer alive. */
export function ownerIsGone(labels: Record<string, string>): boolean {
  const owner = labels[OWNER_LABEL];
  if (!owner) return true;
  const sep = owner.lastIndexOf(':');
  const host = owner.slice(0, sep);
  const pid = Number(owner.slice(sep + 1));
  if (host !== hostname()) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
