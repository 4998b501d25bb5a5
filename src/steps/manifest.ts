import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';

export interface StepProperty {
  name: string;
  default?: string;
  required: boolean;
}

export interface StepManifest {
  name: string;
  version: string;
  summary: string;
  properties: StepProperty[];
  /** werker: owners whose step of this name has the same contract (built-in packages only). */
  owners: string[];
  /** Which file the manifest came from, for messages. */
  file: string;
}

const text = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'boolean' ? String(v) : typeof v === 'object' ? undefined : String(v);

/**
 * Reads a step package's manifest (docs/wercker-compat.md §7.1): `step.yml` only, as wercker did;
 * a legacy `wercker-step.yml` is ignored and its defaults do not apply. `properties` must be a
 * list: written as a mapping (the legacy form) the file is unreadable, so werker warns and applies
 * no defaults. A package without a readable manifest is still a step: its run.sh is all it needs.
 */
export async function readManifest(dir: string, fallbackName: string, warn: (text: string) => void = warnOnStderr): Promise<StepManifest> {
  const file = 'step.yml';
  const none: StepManifest = { name: fallbackName, version: '0.0.0', summary: '', properties: [], owners: [], file: '' };
  const raw = await readFile(path.join(dir, file), 'utf8').catch(() => undefined);
  if (raw === undefined) return none;
  const doc = (parse(raw, { version: '1.1' }) ?? {}) as Record<string, unknown>;
  const props = doc.properties;
  if (props !== undefined && props !== null && !Array.isArray(props)) {
    warn(`warning: ${path.join(dir, file)}: "properties" is a mapping, where step.yml wants a list of {name, default, ...}; ` +
      `the file cannot be read, so step "${fallbackName}" gets no defaults (as in wercker)`);
    return none;
  }
  const properties: StepProperty[] = (props ?? [])
    .filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null && typeof p.name === 'string')
    .map((p) => property(String(p.name), p));
  return {
    name: text(doc.name) ?? fallbackName, version: text(doc.version) ?? '0.0.0', summary: text(doc.summary ?? doc.description) ?? '',
    properties, owners: Array.isArray(doc['werker-owners']) ? doc['werker-owners'].map(String) : [], file,
  };
}

const warnOnStderr = (text: string): void => void process.stderr.write(`${text}\n`);

function property(name: string, p: Record<string, unknown>): StepProperty {
  const prop: StepProperty = { name, required: p.required === true };
  const def = text(p.default);
  if (def !== undefined) prop.default = def;
  return prop;
}
