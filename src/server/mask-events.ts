import { maskEventBody, type RunEventBody } from '../engine/events.ts';
import { Masker } from '../util/mask.ts';

/**
 * Where events enter the server's store: what a runner sends arrives over the network (from a
 * runner of any version, with the runner's own lines), and the server adds lines of its own
 * (claims, cancels, a runner's release reason, the end a runner reports), so the store masks
 * at its door with the bus's rule (every text field, nested ones included; events.ts).
 */
export function maskEvent<T extends RunEventBody>(masker: Masker, event: T): T {
  return maskEventBody(masker, event);
}

export const maskerFor = (variables: { value: string; protected: boolean }[]): Masker => new Masker(variables.filter((v) => v.protected && v.value).map((v) => v.value));
