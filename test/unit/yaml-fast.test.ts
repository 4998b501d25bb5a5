import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticBag } from '../../src/config/diagnostics.ts';
import { readBlockSubset } from '../../src/config/yaml-fast.ts';
import { parseWithYamlPackage, parseYaml } from '../../src/config/yaml-tree.ts';
import { corpusDir, corpusFiles } from '../helpers/corpus.ts';
import { mutate, prng } from '../helpers/fuzz.ts';

// The fast block-subset reader against the yaml package, tree for tree (kinds, positions with
// their ends, YAML 1.1 values, texts, keys in order, repeated keys) and diagnostic for
// diagnostic, on every corpus file and on the fuzz cases of config-fuzz.test.ts. Where the
// reader gives up, parseYaml must take the yaml package's road (the same result by definition).
const subset = { maxNodes: Number.MAX_SAFE_INTEGER };

function bothRoads(text: string): { fast: boolean; same: boolean; detail: string } {
  const fast = typeof readBlockSubset(text, subset) !== 'string';
  const viaFast = new DiagnosticBag('f.yml');
  const viaPackage = new DiagnosticBag('f.yml');
  const a = { root: parseYaml(text, viaFast).root, diagnostics: viaFast.items };
  const b = { root: parseWithYamlPackage(text, viaPackage).root, diagnostics: viaPackage.items };
  const same = JSON.stringify(a) === JSON.stringify(b);
  return { fast, same, detail: same ? '' : `${JSON.stringify(a).slice(0, 300)}\n${JSON.stringify(b).slice(0, 300)}` };
}

const decoded = (bytes: Buffer): string => bytes.toString('utf8').replace(/\r\n/g, '\n');

describe('the fast YAML block-subset reader', () => {
  it('gives the yaml package\'s tree and diagnostics for every corpus file it reads, and reads most of them', () => {
    const files = corpusFiles();
    const mismatches: string[] = [];
    let fast = 0;
    for (const file of files) {
      const { fast: tookFast, same, detail } = bothRoads(decoded(readFileSync(path.join(corpusDir, file))));
      if (tookFast) fast++;
      if (!same) mismatches.push(`${file}\n${detail}`);
    }
    expect(mismatches).toEqual([]);
    // 457 of 490 when written; the rest hold syntax errors, tabs, documents that are no mapping, …
    expect(fast).toBeGreaterThanOrEqual(450);
  }, 180_000);

  it('gives the yaml package\'s tree and diagnostics for 3000 fuzz mutants', () => {
    const files = corpusFiles().filter((f) => /\.ya?ml$/.test(f));
    const texts = files.map((f) => readFileSync(path.join(corpusDir, f), 'utf8'));
    const mismatches: string[] = [];
    let fast = 0;
    for (let n = 0; n < 3000; n++) {
      const seed = 20261124 + n;
      const rand = prng(seed);
      let input = texts[Math.floor(rand() * texts.length)]!;
      const rounds = 1 + Math.floor(rand() * 4);
      for (let r = 0; r < rounds; r++) input = mutate(input, rand);
      const { fast: tookFast, same, detail } = bothRoads(input.replace(/\r\n/g, '\n'));
      if (tookFast) fast++;
      if (!same) mismatches.push(`seed ${seed}\n${detail}`);
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(fast).toBeGreaterThan(1000);
  }, 600_000);

  it.each([
    ['comments after a last value, indented past its collection and not', 'a:\n  b: 1\n    # in the value\n  # in the map\n# at the root\nc:\n  - x\n\n      # in the item\n  # in the list\nd: 2\n'],
    ['a list at its key\'s indentation, empty values and items', 'a:\n- x\n-\n- y: \nb:\nc: ""\n'],
    ['a block scalar with no text under it, literal and folded ones', 'a:\n  s: |\n#  echo off\n  t: >-\n    one\n    two\n\n    three\n  u: |\n    keep\n\n      this\n\n'],
    ['a plain scalar over several lines, YAML 1.1 values, quotes and escapes', 'a: one\n  two\nb: yes\nc: Off\nd: 0755\ne: 1_000\nf: "t\\tab \\"q\\""\ng: \'it\'\'s\'\nh: ~\ni: 8000:80\n'],
    ['repeated keys, in a step item and in a map', 'build:\n  steps:\n    - script:\n      name: a\n      name: b\n  steps:\n    - x\n'],
  ])('reads %s as the yaml package does', (_what, text) => {
    expect(bothRoads(text)).toEqual({ fast: true, same: true, detail: '' });
  });

  it('leaves what is outside the subset to the yaml package', () => {
    const why = (text: string) => readBlockSubset(text, subset);
    expect(typeof why('box: node\nbuild:\n  steps:\n    - script:\n        code: |\n          echo hi\n')).toBe('object');
    expect(why('a: &x 1\nb: *x\n')).toBe('indicator starts a plain scalar');
    expect(why('a: {b: c}\n')).toBe('colon in a plain scalar');
    expect(why('---\na: 1\n')).toBe('document marker or directive');
    expect(why('a:\n\tb: 1\n')).toBe('tab, CR or control character');
    expect(why('a: b # note\n  c\n')).toBe('multi-line scalar');
    expect(why('a:\n  b:\n  # c\nd: 1\n')).toBe('empty value with a comment');
    expect(why('a: [1, 2]\n')).toBe('indicator starts a plain scalar');
    expect(why('a: b\na: c\n')).not.toBeTypeOf('string');
  });
});
