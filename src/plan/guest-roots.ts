import path from 'node:path';
import { UsageError } from '../errors.ts';

/**
 * The three roots of the guest paths (docs/wercker-compat.md §4.3): `--guest-root` (where the
 * source, cache, output and step dirs live), `--mnt-root` (where the host's step dirs and cache
 * are mounted read-only) and `--report-root` (the per-step report dirs).
 */
export interface GuestRoots {
  guest: string;
  mnt: string;
  report: string;
}

export const DEFAULT_GUEST_ROOTS: GuestRoots = { guest: '/pipeline', mnt: '/mnt', report: '/report' };

const FLAGS: Record<keyof GuestRoots, string> = { guest: '--guest-root', mnt: '--mnt-root', report: '--report-root' };

/** The box's own system directories: a root there would replace or shadow what the box runs on. */
const SYSTEM_DIRS = ['/', '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/root', '/run', '/sbin', '/sys', '/usr', '/var'];
/** Kernel file systems: nothing may be made or mounted anywhere inside them. */
const KERNEL_DIRS = ['/dev', '/proc', '/sys'];
/** The roots are written into the box's shell inside double quotes and into bind specs (`host:ctr:ro`). */
const SAFE_PATH = /^\/[A-Za-z0-9._+@/-]*$/;

/**
 * The roots the flags ask for, checked. Each must be an absolute path of plain characters, not a
 * system directory of the box, and none may hold another: werker removes and remakes dirs under
 * the guest root (`rm -rf <root>/cache`), while the mnt and report roots hold read-only and
 * host-backed mounts that a removal there would hit.
 */
export function guestRoots(asked: Partial<Record<keyof GuestRoots, string | undefined>>): GuestRoots {
  const roots = { ...DEFAULT_GUEST_ROOTS };
  for (const key of Object.keys(FLAGS) as (keyof GuestRoots)[]) {
    const value = asked[key];
    if (value !== undefined) roots[key] = checkedRoot(FLAGS[key], value);
  }
  const keys = Object.keys(roots) as (keyof GuestRoots)[];
  for (const a of keys) {
    for (const b of keys) {
      if (a === b || !within(roots[a], roots[b])) continue;
      const how = roots[a] === roots[b] ? 'is the same directory as' : 'is inside';
      throw new UsageError(`${FLAGS[a]} ${roots[a]} ${how} ${FLAGS[b]} ${roots[b]}: the roots must be separate directories`, {
        hint: `the defaults are ${FLAGS.guest} /pipeline, ${FLAGS.mnt} /mnt and ${FLAGS.report} /report; pick three paths none of which holds another`,
      });
    }
  }
  return roots;
}

function checkedRoot(flag: string, value: string): string {
  if (!path.posix.isAbsolute(value)) {
    throw new UsageError(`${flag} takes an absolute path in the box, not "${value}"`, { hint: `e.g. ${flag} /build` });
  }
  const root = path.posix.normalize(value).replace(/(.)\/$/, '$1');
  if (!SAFE_PATH.test(root)) {
    throw new UsageError(`${flag} "${value}" has characters werker does not put in a path in the box`, {
      hint: 'use letters, digits and . _ + @ - / only (the path is written into the box\'s shell commands and its mounts)',
    });
  }
  if (SYSTEM_DIRS.includes(root) || KERNEL_DIRS.some((dir) => within(root, dir))) {
    throw new UsageError(`${flag} ${root} is a system directory of the box: werker would make, remove or mount over directories in it`, {
      hint: `use a directory of its own, e.g. ${flag} /build`,
    });
  }
  return root;
}

/** `dir` is `parent` or inside it. */
function within(dir: string, parent: string): boolean {
  return dir === parent || dir.startsWith(parent === '/' ? '/' : `${parent}/`);
}
