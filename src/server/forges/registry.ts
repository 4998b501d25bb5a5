import type { Forge, ForgeKind } from './forge.ts';
import { gitea } from './gitea.ts';
import { githubForge } from './github.ts';

/** Every forge by kind; the webhook route `/hooks/:kind/:app` and the status reporter look them up here. */
const FORGES: Partial<Record<ForgeKind, Forge>> = { github: githubForge, gitea };

export function forgeOf(kind: string): Forge | undefined {
  return Object.hasOwn(FORGES, kind) ? FORGES[kind as ForgeKind] : undefined;
}
