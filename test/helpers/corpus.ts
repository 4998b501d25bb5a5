import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConfig } from '../../src/config/check.ts';
import type { Diagnostic } from '../../src/config/diagnostics.ts';
import { decodeConfig } from '../../src/config/source.ts';
import { validateConfig } from '../../src/config/validate.ts';
import { ConfigError } from '../../src/errors.ts';
import type { WerckerConfig } from '../../src/config/schema.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared corpus sits beside the repository (CI clones main next to shared/). */
export const corpusDir = process.env.WERKER_CORPUS_DIR ?? path.resolve(repoRoot, '../shared/corpus');
export const expectationsFile = path.join(repoRoot, 'test/fixtures/corpus-expectations.tsv');

export function corpusFiles(): string[] {
  const manifest = readFileSync(path.join(corpusDir, 'MANIFEST.tsv'), 'utf8');
  return manifest.trim().split('\n').slice(1).map((line) => line.split('\t')[0]!);
}

export interface Outcome {
  file: string;
  outcome: 'ok' | 'warn' | 'reject';
  /** reject: `line:col code`; warn: the warning codes, sorted; ok: ''. */
  detail: string;
  reason: string;
  config?: WerckerConfig;
}

/** What `werker check-config FILE` makes of one corpus file. */
export function outcomeOf(file: string, bytes: Uint8Array): Outcome {
  let diagnostics: Diagnostic[];
  let config: WerckerConfig | undefined;
  try {
    const source = decodeConfig(file, bytes);
    const result = validateConfig(file, source.text, source.diagnostics);
    config = result.config;
    diagnostics = checkConfig(config, result.diagnostics);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    diagnostics = err.diagnostics;
  }
  const error = diagnostics.find((d) => d.severity === 'error');
  if (error) return { file, outcome: 'reject', detail: `${error.line}:${error.col} ${error.code}`, reason: oneLine(error) };
  if (diagnostics.length === 0) return { file, outcome: 'ok', detail: '', reason: '', ...(config ? { config } : {}) };
  const codes = [...new Set(diagnostics.map((d) => d.code))].sort();
  return { file, outcome: 'warn', detail: codes.join(','), reason: oneLine(diagnostics[0]!), ...(config ? { config } : {}) };
}

const oneLine = (d: Diagnostic): string => `${d.line}:${d.col} ${d.path ? `${d.path}: ` : ''}${d.message}`.replace(/\s+/g, ' ').slice(0, 220);

export function formatRow(o: Outcome): string {
  return [o.file, o.outcome, o.detail, o.reason].join('\t');
}
