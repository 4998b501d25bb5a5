import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { checkWorkflow, IMAGE_FIELD_CHECKS, TOP_LEVEL_KEYS, type FieldCheck } from '../../src/config/field-checks.ts';
import { ImageObjectInput, WerckerYmlInput, WorkflowInput } from '../../src/config/schema.ts';
import { prng } from '../helpers/fuzz.ts';

// The zod-free checks that check-config runs (src/config/field-checks.ts) against the zod
// schemas they stand for (src/config/schema.ts): the same verdict, and on failure the first
// issue's path and message, over many generated values of every shape a YAML document gives.

type Issue = { path: PropertyKey[]; message: string } | undefined;

function zodVerdict(schema: z.ZodType, value: unknown): Issue {
  const result = schema.safeParse(value);
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  return { path: issue.path, message: issue.message };
}

const KEYS = ['id', 'tag', 'env', 'ports', 'wait', 'command', 'http', 'port', 'log', 'timeout', 'name', 'pipelines', 'pipelineName',
  'requires', 'artifactPipeline', 'envFile', 'PATH', 'x', '0', '12', '__proto__', 'constructor', 'toString', 'aws-region', ''];
const SCALARS: unknown[] = [null, '', 'a', 'yes', '0755', 0, -0, 1, 1.5, -7, 2 ** 60, NaN, Infinity, -Infinity, true, false];

/** A random YAML-shaped value: scalars, lists and mappings (keys from a list that hits the checked fields), `depth` deep at most. */
function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth <= 0 || r < 0.45) return SCALARS[Math.floor(rand() * SCALARS.length)];
  const size = Math.floor(rand() * 4);
  if (r < 0.7) return Array.from({ length: size }, () => randomValue(rand, depth - 1));
  return Object.fromEntries(Array.from({ length: size }, () => [KEYS[Math.floor(rand() * KEYS.length)]!, randomValue(rand, depth - 1)]));
}

/** A workflow that is right or nearly right, so the checks of the inner fields are reached too. */
function nearWorkflow(rand: () => number): unknown {
  const maybe = (good: unknown): unknown => (rand() < 0.15 ? randomValue(rand, 2) : good);
  const pipeline = () => {
    const p: Record<string, unknown> = { name: maybe('build') };
    for (const k of ['pipelineName', 'artifactPipeline', 'envFile']) if (rand() < 0.4) p[k] = maybe('deploy');
    if (rand() < 0.5) p.requires = maybe(Array.from({ length: Math.floor(rand() * 3) }, () => maybe('build')));
    if (rand() < 0.1) p[KEYS[Math.floor(rand() * KEYS.length)]!] = randomValue(rand, 1);
    if (rand() < 0.2) delete p.name;
    return maybe(p);
  };
  const wf: Record<string, unknown> = { name: maybe('main'), pipelines: maybe(Array.from({ length: Math.floor(rand() * 4) }, pipeline)) };
  if (rand() < 0.2) delete wf[rand() < 0.5 ? 'name' : 'pipelines'];
  return wf;
}

/** A value meant for one image field: mostly of the right shape, with wrong parts mixed in. */
function nearImageField(key: string, rand: () => number): unknown {
  if (rand() < 0.4) return randomValue(rand, 3);
  const scalar = () => (rand() < 0.8 ? SCALARS[Math.floor(rand() * SCALARS.length)] : randomValue(rand, 2));
  if (key === 'env') return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, () => [KEYS[Math.floor(rand() * KEYS.length)]!, scalar()]));
  if (key === 'ports') return Array.from({ length: Math.floor(rand() * 4) }, scalar);
  if (key === 'wait') return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, () => [KEYS[4 + Math.floor(rand() * 6)]!, scalar()]));
  return scalar();
}

function disagreements(check: FieldCheck, schema: z.ZodType, values: unknown[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    const ours = check(value);
    const theirs = zodVerdict(schema, value);
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) out.push(`${String(JSON.stringify(value))}: ours ${JSON.stringify(ours)}, zod ${JSON.stringify(theirs)}`);
  }
  return out;
}

describe('the zod-free field checks', () => {
  it('check the same fields, in the same order, as the zod schemas', () => {
    expect([...IMAGE_FIELD_CHECKS.keys()]).toEqual(Object.keys(ImageObjectInput.shape));
    expect([...TOP_LEVEL_KEYS]).toEqual(Object.keys(WerckerYmlInput.shape));
  });

  it.each([...IMAGE_FIELD_CHECKS.keys()])('give zod\'s verdict, path and message for the image field %s over 3000 generated values', (key) => {
    const rand = prng(20261205 + key.length * 7919 + key.charCodeAt(0));
    const values = [...SCALARS, ...Array.from({ length: 3000 }, () => nearImageField(key, rand))];
    const field = (ImageObjectInput.shape as Record<string, z.ZodType>)[key]!;
    expect(disagreements(IMAGE_FIELD_CHECKS.get(key)!, field, values).slice(0, 5)).toEqual([]);
    // The generated values must reach both verdicts, or the comparison says little.
    const failing = values.filter((v) => IMAGE_FIELD_CHECKS.get(key)!(v)).length;
    expect(failing).toBeGreaterThan(100);
    expect(values.length - failing).toBeGreaterThan(100);
  });

  it('give zod\'s verdict, path and message for a workflow over 20000 generated values', () => {
    const rand = prng(8080);
    const values = [...SCALARS, ...Array.from({ length: 20000 }, () => (rand() < 0.2 ? randomValue(rand, 4) : nearWorkflow(rand)))];
    expect(disagreements(checkWorkflow, WorkflowInput, values).slice(0, 5)).toEqual([]);
    const issues = values.map(checkWorkflow);
    expect(issues.filter((i) => i === undefined).length).toBeGreaterThan(1000);
    // Issues deep inside a workflow (pipelines.N.field.M) are among them.
    expect(issues.some((i) => i && i.path.length >= 4)).toBe(true);
  });
});
