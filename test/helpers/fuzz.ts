import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkConfig } from '../../src/config/check.ts';
import { decodeConfig } from '../../src/config/source.ts';
import { validateConfig } from '../../src/config/validate.ts';
import { ConfigError } from '../../src/errors.ts';
import { corpusDir, corpusFiles } from './corpus.ts';

/** A small seeded PRNG (mulberry32), so a failing case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [':', '- ', '{', '}', '[', ']', '"', "'", '\t', '&a ', '*a', '<<: *a', '|', '>', '#', '? ', '!!int ', '%', '@', '`', '\u00e9', '\r\n', '\0', '---\n', '...\n', '  ', 'steps:', 'box:', '- script:', 'code: |', '${X}'];

/** One structural or textual mutation of a YAML text. */
export function mutate(text: string, rand: () => number): string {
  const lines = text.split('\n');
  const pick = (n: number) => Math.floor(rand() * n);
  const i = pick(lines.length);
  switch (pick(8)) {
    case 0: lines.splice(i, 1); break;
    case 1: lines.splice(i, 0, lines[pick(lines.length)] ?? ''); break;
    case 2: lines[i] = ' '.repeat(pick(6)) + (lines[i] ?? '').trimStart(); break;
    case 3: {
      const line = lines[i] ?? '';
      const at = pick(line.length + 1);
      lines[i] = line.slice(0, at) + TOKENS[pick(TOKENS.length)] + line.slice(at);
      break;
    }
    case 4: {
      const line = lines[i] ?? '';
      const at = pick(line.length + 1);
      lines[i] = line.slice(0, at) + line.slice(at + 1 + pick(4));
      break;
    }
    case 5: return text.slice(0, pick(text.length + 1));
    case 6: {
      const j = pick(lines.length);
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      break;
    }
    default: lines[i] = (lines[i] ?? '').replace(/:\s/, pick(2) ? ': ' + TOKENS[pick(TOKENS.length)] : ' ');
  }
  return lines.join('\n');
}

export interface FuzzFailure { seed: number; file: string; problem: string; input: string }

/**
 * Mutates corpus files `count` times and checks the one promise: every input yields a model or
 * positioned diagnostics, and nothing throws. Returns the failures (empty when all is well).
 */
export function runFuzz(count: number, seed: number): { failures: FuzzFailure[]; cases: number } {
  const files = corpusFiles().filter((f) => /\.ya?ml$/.test(f));
  const texts = files.map((f) => readFileSync(path.join(corpusDir, f), 'utf8'));
  const failures: FuzzFailure[] = [];
  for (let n = 0; n < count; n++) {
    const caseSeed = seed + n;
    const rand = prng(caseSeed);
    const k = Math.floor(rand() * texts.length);
    let input = texts[k]!;
    const rounds = 1 + Math.floor(rand() * 4);
    for (let r = 0; r < rounds; r++) input = mutate(input, rand);
    const problem = checkOne(input);
    if (problem) failures.push({ seed: caseSeed, file: files[k]!, problem, input });
  }
  return { failures, cases: count };
}

function checkOne(input: string): string | undefined {
  try {
    let diagnostics;
    let hasConfig = false;
    try {
      const source = decodeConfig('fuzz.yml', new TextEncoder().encode(input));
      const result = validateConfig('fuzz.yml', source.text, source.diagnostics);
      hasConfig = result.config !== undefined;
      diagnostics = checkConfig(result.config, result.diagnostics);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      diagnostics = err.diagnostics;
    }
    const lineCount = input.split('\n').length;
    for (const d of diagnostics) {
      if (d.line < 0 || d.line > lineCount + 1 || d.col < 0) return `diagnostic out of range: ${JSON.stringify(d)}`;
      if (d.line === 0 && d.code !== 'empty' && d.path === '') return `unpositioned diagnostic: ${JSON.stringify(d)}`;
    }
    if (!hasConfig && !diagnostics.some((d) => d.severity === 'error')) return 'no model and no error';
    return undefined;
  } catch (err) {
    return `threw: ${(err as Error).stack ?? String(err)}`;
  }
}
