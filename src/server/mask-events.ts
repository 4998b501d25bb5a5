import type { RunEventBody } from '../engine/events.ts';
import { Masker } from '../report/mask.ts';

/**
 * The server's own pass over incoming events: the engine masks output already, but a runner's
 * own messages (a failed clone, an error) pass here too, so a protected value can't reach the
 * store by any path. Masks every string field, nested ones included.
 */
export function maskEvent<T extends RunEventBody>(masker: Masker, event: T): T {
  if (masker.empty) return event;
  return maskValue(masker, event) as T;
}

function maskValue(masker: Masker, v: unknown): unknown {
  if (typeof v === 'string') return masker.mask(v);
  if (Array.isArray(v)) return v.map((x) => maskValue(masker, x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'type' ? x : maskValue(masker, x)]));
  return v;
}

export const maskerFor = (variables: { value: string; protected: boolean }[]): Masker => new Masker(variables.filter((v) => v.protected && v.value).map((v) => v.value));
