import { createHash } from 'node:crypto';
import { UsageError } from '../errors.ts';
import type { PlannedStep, RunPlan } from '../plan/types.ts';
import { stepVariables } from './step-runner.ts';

// What a failed run's snapshot records, and how a resumed run checks it (docs/wercker-compat.md
// §8.4, werker's own): pure, so the rules are unit-tested without an engine.

export const SNAPSHOT_REPO = 'werker-snapshot';
/** On every snapshot image: its key (project + pipeline). */
export const SNAPSHOT_LABEL = 'werker.snapshot';
const L = (k: string) => `${SNAPSHOT_LABEL}.${k}`;

/** Shell state that belongs to one shell, not to the pipeline (as internal/shell leaves out). */
const SHELL_OWN = new Set(['PWD', 'OLDPWD', 'SHLVL', '_', 'HOSTNAME']);
const HIDDEN_MARK = '\0werker-hidden:';
/** Snapshots made before the guest root was recorded ran under wercker's default. */
const DEFAULT_GUEST_ROOT = '/pipeline';

export interface SnapshotInfo {
  key: string;
  run: string;
  /** The failed step: its display name and index in `steps`. */
  step: string;
  stepIndex: number;
  ymlHash: string;
  sourceHash: string;
  box: string;
  /** `--guest-root` of the failed run: the snapshot's files, and the paths its exports hold, are under it. */
  guestRoot: string;
  /** Fingerprints of the main steps, in order, as the failed run planned them. */
  steps: string[];
  /** The exports to restore, hidden values replaced by their names. */
  env: [string, string][];
  project: string;
  pipeline: string;
}

const sha = (text: string, n = 64) => createHash('sha256').update(text).digest('hex').slice(0, n);

/** One snapshot per project + pipeline (+ deploy target): the image tag. */
export function snapshotKey(plan: Pick<RunPlan, 'projectDir' | 'pipeline' | 'options'>): string {
  return sha([plan.options.snapshotScope ?? plan.projectDir, plan.pipeline, plan.options.deployTarget ?? ''].join('\0'), 16);
}

export const snapshotRef = (key: string): string => `${SNAPSHOT_REPO}:${key}`;

/** What makes a step the same step again: what it runs and with what, not its per-run id. */
export function stepFingerprint(step: PlannedStep): string {
  const { id, kind, version, properties, cwd, files, scripts } = step;
  return sha(JSON.stringify({ id, kind, version, properties, cwd: cwd ?? null, files, scripts }), 16);
}

export const hashText = (text: string): string => sha(text, 16);

/**
 * The exports worth restoring from the shell's env at the failure: what the steps set or changed.
 * Left out: what the box starts with (image env, link variables of this run's services), the
 * pipeline env unchanged (the resumed run exports its own), the failed step's own variables and
 * the shell's. Hidden values are replaced by their names, so no secret is stored in a label.
 */
export function recordEnv(shellEnv: Map<string, string>, plan: RunPlan, failed: PlannedStep, boxEnv: string[]): [string, string][] {
  const initial = new Map(boxEnv.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const links = new Set(plan.services.flatMap((s) => s.linkVarNames));
  const stepOwn = new Set(stepVariables(plan, failed).map(([k]) => k));
  const planned = new Map(plan.env.map((v) => [v.name, v.value]));
  const kept: [string, string][] = [];
  for (const [name, value] of shellEnv) {
    if (SHELL_OWN.has(name) || links.has(name) || stepOwn.has(name) || /^WERCKER_(STEP|REPORT)_/.test(name)) continue;
    if (initial.get(name) === value || planned.get(name) === value) continue;
    kept.push([name, value]);
  }
  return kept.map(([name, value]) => [name, hideValues(value, plan)]);
}

function hidden(plan: RunPlan): [string, string][] {
  return plan.env.filter((v) => v.hidden && v.value !== '').map((v) => [v.name, v.value] as [string, string]).sort((a, b) => b[1].length - a[1].length);
}

function hideValues(value: string, plan: RunPlan): string {
  let out = value;
  for (const [name, secret] of hidden(plan)) out = out.split(secret).join(`${HIDDEN_MARK}${name}\0`);
  return out;
}

/** The recorded exports with this run's hidden values put back; a hidden value this run lacks is refused. */
export function restoreEnv(record: [string, string][], plan: RunPlan): [string, string][] {
  const values = new Map(plan.env.filter((v) => v.hidden).map((v) => [v.name, v.value]));
  return record.map(([name, value]) => [name, value.replace(/\0werker-hidden:([^\0]*)\0/g, (_m, hiddenName: string) => {
    const v = values.get(hiddenName);
    if (v === undefined) {
      throw new UsageError(`the snapshot's ${name} was made from the hidden value ${hiddenName}, which this run does not have`, {
        hint: `set ${hiddenName} as for the failed run, or run the whole pipeline again without --resume`,
      });
    }
    return v;
  })]);
}

export function snapshotLabels(info: SnapshotInfo): Record<string, string> {
  return {
    [SNAPSHOT_LABEL]: info.key, [L('project')]: info.project, [L('pipeline')]: info.pipeline, [L('run')]: info.run,
    [L('step')]: info.step, [L('step-index')]: String(info.stepIndex), [L('yml-hash')]: info.ymlHash,
    [L('source-hash')]: info.sourceHash, [L('box')]: info.box, [L('guest-root')]: info.guestRoot, [L('steps')]: info.steps.join(','),
    [L('env')]: Buffer.from(JSON.stringify(info.env)).toString('base64'),
  };
}

/** The snapshot's record from its image labels; undefined when they are not a snapshot's. */
export function readSnapshotLabels(labels: Record<string, string>): SnapshotInfo | undefined {
  const key = labels[SNAPSHOT_LABEL];
  if (!key) return undefined;
  const get = (k: string) => labels[L(k)] ?? '';
  let env: [string, string][] = [];
  try {
    env = JSON.parse(Buffer.from(get('env'), 'base64').toString('utf8')) as [string, string][];
  } catch {
    env = [];
  }
  return {
    key, project: get('project'), pipeline: get('pipeline'), run: get('run'), step: get('step'), stepIndex: Number(get('step-index')),
    ymlHash: get('yml-hash'), sourceHash: get('source-hash'), box: get('box'), guestRoot: get('guest-root') || DEFAULT_GUEST_ROOT, steps: get('steps').split(',').filter(Boolean), env,
  };
}

/**
 * Where a resumed run starts, checked against the snapshot: the failed step, or `fromStep` (its
 * name, `name:` or id). Refused when the box or any step before the start changed: the snapshot
 * holds their effects, so a different one would resume in a box no run of this wercker.yml made.
 */
export function checkResume(info: SnapshotInfo, plan: RunPlan, fromStep?: string): { fromIndex: number; notes: string[] } {
  const fromIndex = fromStep === undefined ? info.stepIndex : findStep(plan, fromStep);
  const step = plan.steps[fromIndex];
  if (!step || step.kind === 'init') {
    throw new UsageError(`the snapshot failed at step ${info.stepIndex} (${info.step}), which this wercker.yml's ${plan.pipeline} pipeline no longer has`, { hint: RERUN_HINT });
  }
  if (info.guestRoot !== plan.paths.root) {
    throw new UsageError(`run ${info.run} failed with --guest-root ${info.guestRoot}, this run asks for ${plan.paths.root}: the snapshot's files, and the paths its steps exported, are under ${info.guestRoot}`, {
      hint: `resume with --guest-root ${info.guestRoot}, or run the pipeline from the start (without --resume / --from-step) under ${plan.paths.root}`,
    });
  }
  if (info.box !== plan.box.image) {
    throw new UsageError(`the box changed since the snapshot (${info.box} then, ${plan.box.image} now): cannot resume in it`, { hint: RERUN_HINT });
  }
  const before = Math.min(fromIndex, info.stepIndex);
  for (let i = 0; i < before; i++) {
    const s = plan.steps[i]!;
    if (s.kind === 'init') continue;
    if (info.steps[i] !== stepFingerprint(s)) {
      throw new UsageError(`step ${s.displayName} (before ${step.displayName}) changed in the wercker.yml since the snapshot of run ${info.run}: the snapshot holds what the old step did`, { hint: RERUN_HINT });
    }
  }
  const notes: string[] = [];
  if (fromIndex > info.stepIndex) notes.push(`skipping ${plan.steps.slice(info.stepIndex, fromIndex).map((s) => s.displayName).join(', ')}, which did not pass in run ${info.run}`);
  return { fromIndex, notes };
}

const RERUN_HINT = 'run the pipeline from the start (without --resume / --from-step); `werker cleanup` removes the snapshot';

function findStep(plan: RunPlan, name: string): number {
  const matches = plan.steps.map((s, i) => ({ s, i })).filter(({ s }) => s.kind !== 'init' && (s.displayName === name || s.nameProperty === name || s.id === name));
  if (matches.length === 1) return matches[0]!.i;
  const names = plan.steps.filter((s) => s.kind !== 'init').map((s) => s.displayName).join(', ');
  if (!matches.length) throw new UsageError(`--from-step ${name}: the ${plan.pipeline} pipeline has no such step`, { hint: `its steps: ${names}` });
  throw new UsageError(`--from-step ${name}: ${matches.length} steps have that name`, { hint: 'give the step a unique name: in the wercker.yml' });
}
