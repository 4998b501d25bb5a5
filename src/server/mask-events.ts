import { Masker } from '../util/mask.ts';

/** The masker of a run's protected values (what the store masks its events and message with). */
export const maskerFor = (variables: { value: string; protected: boolean }[]): Masker => new Masker(variables.filter((v) => v.protected && v.value).map((v) => v.value));
