import { describe, expect, it } from 'vitest';
import type { PlannedStep, RunPlan } from '../plan/types.ts';
import { checkResume, readSnapshotLabels, recordEnv, restoreEnv, snapshotLabels, stepFingerprint, type SnapshotInfo } from './snapshot-record.ts';
import { parseEnvDump } from './failure-state.ts';

const step = (name: string, code: string, kind: PlannedStep['kind'] = 'script'): PlannedStep => ({
  index: 1, id: 'script', kind, owner: 'wercker', name: 'script', version: '0', displayName: name, safeId: `${name}-uuid`,
  properties: { code }, files: { 'run.sh': code }, scripts: { init: false, run: true }, status: 'ready',
});

function plan(steps: PlannedStep[], extra: Partial<RunPlan> = {}): RunPlan {
  return {
    runId: 'r2', kind: 'build', pipeline: 'build', projectDir: '/p', box: { image: 'alpine:3' }, services: [{ linkVarNames: ['DB_PORT'] }],
    steps, afterSteps: [], options: {}, paths: { root: '/pipeline', report: '/report' },
    env: [{ name: 'CI', value: 'true', hidden: false }, { name: 'X_TOKEN', value: 's3cret', hidden: true }],
    ...extra,
  } as unknown as RunPlan;
}

const steps = [step('wercker-init', '', 'init'), step('one', 'export A=1'), step('two', 'false'), step('three', 'echo ok')];

function info(p: RunPlan, stepIndex: number): SnapshotInfo {
  return {
    key: 'k', run: 'r1', step: p.steps[stepIndex]!.displayName, stepIndex, ymlHash: 'y', sourceHash: 's', box: p.box.image, guestRoot: '/pipeline',
    steps: p.steps.map(stepFingerprint), env: [], project: '/p', pipeline: 'build',
  };
}

describe('snapshots of a failed box (docs/wercker-compat.md §8.4, werker\'s own)', () => {
  it('records what the steps exported, and no hidden value: those are stored by name and put back from the resumed run', () => {
    const p = plan(steps);
    const shell = new Map([
      ['A', '1'], ['CI', 'true'], ['PATH', '/usr/bin:/x'], ['HOME', '/root'], ['DB_PORT', 'tcp://1.2.3.4:5432'], ['PWD', '/pipeline/source'],
      ['WERCKER_STEP_NAME', 'script'], ['DERIVED', 'Bearer s3cret!'], ['X_TOKEN', 's3cret'],
    ]);
    const record = recordEnv(shell, p, steps[2]!, ['PATH=/usr/bin', 'HOME=/root']);
    expect(record).toEqual([['A', '1'], ['PATH', '/usr/bin:/x'], ['DERIVED', 'Bearer \0werker-hidden:X_TOKEN\0!']]);
    expect(JSON.stringify(record)).not.toContain('s3cret');
    const labels = snapshotLabels({ ...info(p, 2), env: record });
    expect(JSON.stringify(labels)).not.toContain('s3cret');
    expect(readSnapshotLabels(labels)?.env).toEqual(record);
    const next = plan(steps, { env: [{ name: 'X_TOKEN', value: 'n3w', hidden: true }] });
    expect(restoreEnv(record, next)).toContainEqual(['DERIVED', 'Bearer n3w!']);
    expect(() => restoreEnv(record, plan(steps, { env: [] }))).toThrow(/hidden value X_TOKEN, which this run does not have/);
  });

  it('resumes at the failed step, or --from-step; refuses a changed step before it or a changed box', () => {
    const p = plan(steps);
    expect(checkResume(info(p, 2), p).fromIndex).toBe(2);
    expect(checkResume(info(p, 2), p, 'one').fromIndex).toBe(1);
    expect(checkResume(info(p, 2), p, 'three').notes).toEqual(['skipping two, which did not pass in run r1']);
    // The failed step itself may change: that is the fix being tried.
    const fixed = plan([steps[0]!, steps[1]!, step('two', 'true'), steps[3]!]);
    expect(checkResume(info(p, 2), fixed).fromIndex).toBe(2);
    const changed = plan([steps[0]!, step('one', 'export A=2'), steps[2]!, steps[3]!]);
    expect(() => checkResume(info(p, 2), changed)).toThrow(/step one \(before two\) changed in the wercker.yml/);
    expect(() => checkResume(info(p, 2), plan(steps, { box: { image: 'debian:12' } } as Partial<RunPlan>))).toThrow(/the box changed/);
    expect(() => checkResume(info(p, 2), p, 'nope')).toThrow(/has no such step/);
    expect(() => checkResume({ ...info(p, 2), stepIndex: 5 }, p)).toThrow(/no longer has/);
  });

  it('refuses to resume under another --guest-root than the failed run\'s, saying which to use; an older snapshot ran under /pipeline', () => {
    const p = plan(steps);
    const elsewhere = plan(steps, { paths: { root: '/build', report: '/report' } } as Partial<RunPlan>);
    expect(() => checkResume(info(p, 2), elsewhere)).toThrow(/run r1 failed with --guest-root \/pipeline, this run asks for \/build/);
    try {
      checkResume(info(p, 2), elsewhere);
    } catch (err) {
      expect((err as { exitCode?: number }).exitCode).toBe(2);
      expect((err as { hint?: string }).hint).toMatch(/^resume with --guest-root \/pipeline, or run the pipeline from the start/);
    }
    expect(checkResume({ ...info(p, 2), guestRoot: '/build' }, elsewhere).fromIndex).toBe(2);
    const labels = snapshotLabels(info(elsewhere, 2));
    expect(readSnapshotLabels({ ...labels, 'werker.snapshot.guest-root': '/build' })?.guestRoot).toBe('/build');
    const { ['werker.snapshot.guest-root']: _dropped, ...older } = labels;
    expect(readSnapshotLabels(older)?.guestRoot).toBe('/pipeline');
  });

  it('reads the trap\'s env dump with newlines in values (env -0), and plain env', () => {
    expect(parseEnvDump('A=1\0B=two\nlines\0')).toEqual(new Map([['A', '1'], ['B', 'two\nlines']]));
    expect(parseEnvDump('A=1\nB=2')).toEqual(new Map([['A', '1'], ['B', '2']]));
  });
});
