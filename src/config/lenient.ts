import type { z } from 'zod';
import type { DiagnosticBag, PathPart } from './diagnostics.ts';
import { nodeAt, toPlain, type YEntry, type YMap } from './yaml-tree.ts';

/**
 * wercker decoded known keys one by one and silently dropped a value of the wrong type (the
 * field stayed unset). werker keeps that outcome but says so: each entry of `map` is checked
 * against its field schema in `shape`; bad values and unknown keys become warnings and are left
 * out. Returns the entries that passed, by key.
 */
export function lenientEntries(
  map: YMap,
  shape: Record<string, z.ZodType>,
  path: PathPart[],
  bag: DiagnosticBag,
  what: string,
): Map<string, YEntry> {
  const ok = new Map<string, YEntry>();
  for (const entry of map.entries) {
    const field = shape[entry.key];
    if (!field) {
      bag.warn('unknown-key', entry.keySpan, [...path, entry.key],
        `unknown key "${entry.key}" in ${what}; wercker ignored it and so does werker`,
        `known keys: ${Object.keys(shape).filter((k) => !k.startsWith('aws-') && !k.startsWith('azure-')).join(', ')}`);
      continue;
    }
    const result = field.safeParse(toPlain(entry.value));
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const where = nodeAt(entry.value, issue.path as PathPart[]).node.span;
      bag.warn('ignored-value', where, [...path, entry.key, ...(issue.path as PathPart[])],
        `${issue.message.replace(/^Invalid input: /, '')}; wercker ignored this value and so does werker`);
      continue;
    }
    ok.set(entry.key, entry);
  }
  return ok;
}
