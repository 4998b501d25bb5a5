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
 * Reads a step package's manifest: `step.yml` (properties as a list), else the legacy
 * `wercker-step.yml` (properties as a map name → {type, default, required}). A package with
 * neither is still a step: its run.sh is all it needs.
 */
export async function readManifest(dir: string, fallbackName: string): Promise<StepManifest> {
  for (const file of ['step.yml', 'wercker-step.yml']) {
    const raw = await readFile(path.join(dir, file), 'utf8').catch(() => undefined);
    if (raw === undefined) continue;
    const doc = (parse(raw, { version: '1.1' }) ?? {}) as Record<string, unknown>;
    const props = doc.properties;
    const properties: StepProperty[] = Array.isArray(props)
      ? props.filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null && typeof p.name === 'string')
        .map((p) => property(String(p.name), p))
      : props && typeof props === 'object'
        ? Object.entries(props as Record<string, unknown>).map(([name, p]) => property(name, (p ?? {}) as Record<string, unknown>))
        : [];
    return {
      name: text(doc.name) ?? fallbackName, version: text(doc.version) ?? '0.0.0', summary: text(doc.summary ?? doc.description) ?? '',
      properties, owners: Array.isArray(doc['werker-owners']) ? doc['werker-owners'].map(String) : [], file,
    };
  }
  return { name: fallbackName, version: '0.0.0', summary: '', properties: [], owners: [], file: '' };
}

function property(name: string, p: Record<string, unknown>): StepProperty {
  const prop: StepProperty = { name, required: p.required === true };
  const def = text(p.default);
  if (def !== undefined) prop.default = def;
  return prop;
}
