import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, visit } from 'yaml';
import { resolvePlainScalar } from '../../src/config/yaml11-scalars.ts';
import { yamlV2Tags } from '../../src/config/yaml-tree.ts';
import { corpusDir, corpusFiles } from '../helpers/corpus.ts';
import { prng } from '../helpers/fuzz.ts';

// The fast reader's own YAML 1.1 plain-scalar resolution (src/config/yaml11-scalars.ts) against
// the yaml package with the options and tags src/config/yaml-tree.ts reads files with: every
// plain scalar of the corpus, and generated texts built from the characters numbers, booleans
// and nulls are made of.

const OPTIONS = { version: '1.1', schema: 'yaml-1.1', customTags: yamlV2Tags, merge: true, uniqueKeys: false } as const;

/** Every plain scalar in the documents of `text`, with the value the yaml package gives it (values only, not keys). */
function plainScalars(text: string): { source: string; value: unknown }[] {
  const out: { source: string; value: unknown }[] = [];
  for (const doc of parseAllDocuments(text, OPTIONS) as ReturnType<typeof parseAllDocuments> & unknown[]) {
    if (doc.errors.length) continue;
    visit(doc, {
      Scalar(key, node) {
        if (key !== 'key' && node.type === 'PLAIN' && typeof node.source === 'string') out.push({ source: node.source, value: node.value });
      },
    });
  }
  return out;
}

/** The package's value for one plain scalar text, or undefined when the text is not one plain scalar. */
function packageValue(text: string): { value: unknown } | undefined {
  const found = plainScalars(`k: ${text}\n`);
  return found.length === 1 && found[0]!.source === text ? { value: found[0]!.value } : undefined;
}

const same = (a: unknown, b: unknown) => Object.is(a, b);

/** Every upper/lower-case spelling of a word. */
function cases(word: string): string[] {
  let out = [''];
  for (const c of word) out = out.flatMap((p) => [...new Set([p + c.toLowerCase(), p + c.toUpperCase()])]);
  return out;
}

describe('YAML 1.1 plain-scalar resolution without the yaml package', () => {
  it('gives the yaml package\'s value for every plain scalar of the corpus', () => {
    const mismatches: string[] = [];
    let count = 0;
    for (const file of corpusFiles()) {
      const text = readFileSync(path.join(corpusDir, file), 'utf8').replace(/\r\n/g, '\n');
      for (const { source, value } of plainScalars(text)) {
        count++;
        const ours = resolvePlainScalar(source);
        // The tree keeps the text of a value that is no plain JS scalar (none is left in these tags).
        if (!same(ours, value)) mismatches.push(`${file}: ${JSON.stringify(source)} ours ${String(ours)} package ${String(value)}`);
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(count).toBeGreaterThan(5000);
  }, 120_000);

  it('gives the yaml package\'s value for every spelling of the YAML 1.1 words and for 30000 generated number-like texts', () => {
    const words = ['y', 'yes', 'n', 'no', 'on', 'off', 'true', 'false', 'null', '~', 'nul', 'ye', 'tru', 'nan', 'inf', 'infinity']
      .flatMap(cases).flatMap((w) => [w, `.${w}`, `-.${w}`, `+.${w}`, `-${w}`]);
    const rand = prng(1_1);
    const alphabet = '0123456789_.+-eExXbBoOaAfF:9';
    const generated = Array.from({ length: 30000 }, () => {
      const length = 1 + Math.floor(rand() * 9);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
      return text;
    });
    const fixed = ['0', '-0', '+0', '00', '0_', '0b', '0b_', '0b101', '-0b11', '0x', '0x_', '0xFF', '-0x1f', '0o17', '0755', '08', '0_8',
      '1_000', '1__0', '190:20:30', '8000:80', '.', '._', '-.', '1.', '1.5', '1.50', '-1_0.0_5', '1e3', '1E-3', 'e5', '.e5', '1.e5',
      '12345678901234567890', '0.1e', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '1_', '+', '-', '+1', '1,000', '0x1G'];
    const mismatches: string[] = [];
    let checked = 0;
    for (const text of [...words, ...fixed, ...generated]) {
      const theirs = packageValue(text);
      if (!theirs) continue;
      checked++;
      const ours = resolvePlainScalar(text);
      if (!same(ours, theirs.value)) mismatches.push(`${JSON.stringify(text)}: ours ${String(ours)} package ${String(theirs.value)}`);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(checked).toBeGreaterThan(25000);
  }, 120_000);
});
