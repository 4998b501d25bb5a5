import type { DiagnosticBag, PathPart } from './diagnostics.ts';
import type { YNode } from './yaml-tree.ts';

/**
 * Text of a scalar field of a box, service or option: the literal text written
 * (`PORT: 0755` gives "0755", as wercker's Go strings did). Lists and maps are not text.
 */
export function scalarText(node: YNode): string | undefined {
  if (node.kind !== 'scalar') return undefined;
  return node.value === null ? '' : node.text;
}

/**
 * A step property as wercker passed it to the step, with the one deliberate difference from
 * wercker (docs/wercker-compat.md §9.7): numbers keep the text written instead of wercker's
 * conversion (`1.10` was "", `010` was "8"). Where that differs from what wercker gave, say so.
 */
export function propertyText(node: YNode, bag: DiagnosticBag, path: readonly PathPart[]): string {
  if (node.kind !== 'scalar') {
    bag.warn('lossy-value', node.span, path,
      `a ${node.kind === 'seq' ? 'list' : 'mapping'} is not a step property value; wercker passed an empty string and so does werker`,
      'write the value as a string (a block scalar `|` keeps several lines)');
    return '';
  }
  const { value, text } = node;
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && !node.quoted) {
    const wercker = Number.isInteger(value) ? String(value) : '';
    if (wercker !== text) {
      bag.warn('lossy-value', node.span, path,
        `wercker read ${text} as ${wercker === '' ? 'an empty string' : `"${wercker}"`}; werker passes the text as written ("${text}")`,
        `quote it ("${text}") to make the meaning plain`);
    }
    return text;
  }
  return text;
}
