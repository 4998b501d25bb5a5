import type { PathPart } from './diagnostics.ts';

/**
 * The run-time checks of a box or service mapping's fields and of a workflow, without zod.
 * src/config/schema.ts stays the description of the written form (the TypeScript types and the
 * JSON Schema of `werker schema`), but compiling zod took ~50 ms of every `werker check-config`
 * start (docs/performance.md, "Session 8"). These checks give the verdict, the issue path and
 * the message zod gives for those schemas (test/unit/field-checks.test.ts compares them over
 * generated values), so the warnings read as before.
 */
export interface FieldIssue { path: PathPart[]; message: string }

/** Checks one value; undefined when it passes, else the first issue zod would report. */
export type FieldCheck = (value: unknown) => FieldIssue | undefined;

/** zod's name for the type of a value it did not expect (plain YAML values only: no dates, maps, …). */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : String(value);
  return typeof value;
}

const wrongType = (expected: string, value: unknown): FieldIssue => ({ path: [], message: `Invalid input: expected ${expected}, received ${typeName(value)}` });
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const inside = (part: PathPart, issue: FieldIssue | undefined): FieldIssue | undefined => issue && { path: [part, ...issue.path], message: issue.message };

/** A scalar read as text (`Text` in schema.ts): a string, a boolean or a finite number. */
const isText = (value: unknown): boolean =>
  typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
/** A union that matched no option: zod says no more than this. */
const NO_OPTION: FieldIssue = { path: [], message: 'Invalid input' };
const text: FieldCheck = (value) => (isText(value) ? undefined : NO_OPTION);
const textOrNull: FieldCheck = (value) => (value === null || isText(value) ? undefined : NO_OPTION);
const string: FieldCheck = (value) => (typeof value === 'string' ? undefined : wrongType('string', value));

/** A field that may be left out (an `undefined` value is left out). */
const optional = (check: FieldCheck): FieldCheck => (value) => (value === undefined ? undefined : check(value));

const arrayOf = (item: FieldCheck): FieldCheck => (value) => {
  if (!Array.isArray(value)) return wrongType('array', value);
  for (let i = 0; i < value.length; i++) {
    const issue = inside(i, item(value[i]));
    if (issue) return issue;
  }
  return undefined;
};

/** A record of string keys, in the order the keys are listed (`__proto__` is not looked at, as in zod). */
const recordOf = (item: FieldCheck): FieldCheck => (value) => {
  if (!isObject(value)) return wrongType('record', value);
  for (const key of Object.keys(value)) {
    if (key === '__proto__') continue;
    const issue = inside(key, item(value[key]));
    if (issue) return issue;
  }
  return undefined;
};

/** An object with these fields, checked in this order; other keys are allowed (and not looked at). */
const objectOf = (fields: Record<string, FieldCheck>): FieldCheck => {
  const entries = Object.entries(fields);
  return (value) => {
    if (!isObject(value)) return wrongType('object', value);
    for (const [key, check] of entries) {
      const issue = inside(key, check(Object.hasOwn(value, key) ? value[key] : undefined));
      if (issue) return issue;
    }
    return undefined;
  };
};

/** The keys of a wercker.yml's top level that are not pipelines (WerckerYmlInput's fields in schema.ts). */
export const TOP_LEVEL_KEYS = ['box', 'services', 'command-timeout', 'no-response-timeout', 'source-dir', 'ignore-file', 'workflows'] as const;

/** The fields of a box or service mapping, in schema.ts's order (the "known keys" hint lists them so). */
export const IMAGE_FIELD_CHECKS: ReadonlyMap<string, FieldCheck> = new Map<string, FieldCheck>([
  ['id', text],
  ...['tag', 'name', 'cmd', 'entrypoint'].map((k) => [k, text] as const),
  ['env', recordOf(textOrNull)],
  ['ports', arrayOf(text)],
  ...['volumes', 'url', 'username', 'password', 'registry'].map((k) => [k, text] as const),
  ...['access-key', 'secret-key', 'region', 'registry-id', 'strict-auth'].map((k) => [`aws-${k}`, text] as const),
  ...['client-id', 'client-secret', 'subscription-id', 'tenant-id', 'resource-group', 'registry-name', 'login-server'].map((k) => [`azure-${k}`, text] as const),
  ['wait', objectOf(Object.fromEntries(['command', 'http', 'port', 'log', 'timeout'].map((k) => [k, optional(text)])))],
]);

/** One item of `workflows:` (WorkflowInput in schema.ts). */
export const checkWorkflow: FieldCheck = objectOf({
  name: string,
  pipelines: arrayOf(objectOf({
    name: string,
    pipelineName: optional(string),
    requires: optional(arrayOf(string)),
    artifactPipeline: optional(string),
    envFile: optional(string),
  })),
});
