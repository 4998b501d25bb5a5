import { parseRule, type ImageMapRule } from '../../src/plan/image-map.ts';

/** Rules as `--image-map` flags give them. */
export const flagRules = (texts: readonly string[]): ImageMapRule[] => texts.map((t) => parseRule(t, { kind: 'flag' }));
