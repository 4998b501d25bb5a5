import { isMap, isScalar, isSeq, parseDocument, YAMLSeq } from 'yaml';
import { splitReference } from '../../src/plan/image-map.ts';

export interface ImageMapEdit {
  /** The file's new text (the same text when nothing was added). */
  text: string;
  added: string[];
  /** Rules not added because the file already maps that FROM elsewhere: the user's choice stands. */
  kept: string[];
}

/**
 * Adds `image-map:` rules to a user config file's text (scripts/test-env.sh writes the local
 * stand-ins this way): a rule already there is left as it is, a FROM the file maps to another
 * image keeps the user's rule, and every other key and comment of the file stays untouched.
 * Throws when the text is not a YAML mapping or its `image-map` is not a list: nothing is clobbered.
 */
export function addImageMapRules(text: string, rules: readonly string[]): ImageMapEdit {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new Error('expected a mapping at the top');
  const existing = doc.get('image-map', true);
  if (existing !== undefined && !(isScalar(existing) && existing.value === null) && !isSeq(existing)) throw new Error('image-map is not a list');
  const seq = isSeq(existing) ? existing : new YAMLSeq();
  const fromOf = (rule: string) => splitReference(rule.slice(0, rule.indexOf('=')).trim()).name + (rule.includes('/*=') ? '/*' : '');
  const present = new Map(seq.items.map((i) => String(isScalar(i) ? i.value : i)).filter((r) => r.includes('=')).map((r) => [fromOf(r), r.trim()]));
  const out: ImageMapEdit = { text, added: [], kept: [] };
  for (const rule of rules) {
    const have = present.get(fromOf(rule));
    if (have === rule) continue;
    if (have !== undefined) {
      out.kept.push(have);
      continue;
    }
    seq.add(rule);
    present.set(fromOf(rule), rule);
    out.added.push(rule);
  }
  if (!out.added.length) return out;
  if (!isSeq(existing)) doc.set('image-map', seq);
  out.text = doc.toString();
  return out;
}
