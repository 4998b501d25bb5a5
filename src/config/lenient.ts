import type { DiagnosticBag, PathPart } from './diagnostics.ts';
import type { FieldCheck } from './field-checks.ts';
import { nodeAt, toPlain, type YEntry, type YMap } from './yaml-tree.ts';

/**
 * wercker decoded known keys one by one and silently dropped a value of the wrong type (the
 * field stayed unset). werker keeps that outcome but says so: each entry of `map` is checked
 * with its field's check in `fields`; bad values and unknown keys become warnings and are left
 * out. Returns the entries that passed, by key.
 */
export function lenientEntries(
  map: YMap,
  fields: ReadonlyMap<string, FieldCheck>,
  path: PathPart[],
  bag: DiagnosticBag,
  what: string,
): Map<string, YEntry> {
  const ok = new Map<string, YEntry>();
  for (const entry of map.entries) {
    const check = fields.get(entry.key);
    if (!check) {
      bag.warn('unknown-key', entry.keySpan, [...path, entry.key],
        `unknown key "${entry.key}" in ${what}; wercker ignored it and so does werker`,
        `known keys: ${[...fields.keys()].filter((k) => !k.startsWith('aws-') && !k.startsWith('azure-')).join(', ')}`);
      continue;
    }
    const issue = check(toPlain(entry.value));
    if (issue) {
      const where = nodeAt(entry.value, issue.path).node.span;
      bag.warn('ignored-value', where, [...path, entry.key, ...issue.path],
        `${issue.message.replace(/^Invalid input: /, '')}; wercker ignored this value and so does werker`);
      continue;
    }
    ok.set(entry.key, entry);
  }
  return ok;
}
