import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.ts';
import { guestRoots } from './guest-roots.ts';
import { planRun } from './plan.ts';
import type { RunOptions } from './types.ts';

const options: RunOptions = {
  artifacts: false, directMount: false, exposePorts: false, publish: [], pull: 'missing', noRemove: false, enableVolumes: false,
  ignoreFile: '.werckerignore', imageMap: [], commandTimeoutMs: 60_000, noResponseTimeoutMs: 60_000,
};

function planWith(yml: string, roots?: RunOptions['guestRoots']) {
  const { config } = validateConfig('wercker.yml', yml);
  return planRun({
    config: config!, pipeline: config!.pipelines.build!, kind: 'build', projectDir: '/src/shop', workingDir: '/src/shop/.werker',
    hostEnv: new Map(), git: { branch: '', commit: '', tag: '' }, options: roots ? { ...options, guestRoots: roots } : options, overrides: { runId: 'r1' },
  });
}

const envOf = (plan: ReturnType<typeof planWith>) => Object.fromEntries(plan.env.map((v) => [v.name, v.value]));

describe('--guest-root, --mnt-root, --report-root (docs/wercker-compat.md §4.3)', () => {
  it('puts every guest path and WERCKER_* directory under the roots asked for; base-path still wins for the source', () => {
    const yml = 'box: a\nbuild:\n  steps: [script: {code: x}]\n';
    const plan = planWith(yml, guestRoots({ guest: '/build/', mnt: '/wmnt', report: '/rep' }));
    expect(plan.paths).toEqual({
      root: '/build', base: '/build/source', sourceDir: '/build/source', cache: '/build/cache', output: '/build/output', report: '/rep', mnt: '/wmnt',
    });
    expect(envOf(plan)).toMatchObject({
      WERCKER_ROOT: '/build/source', WERCKER_SOURCE_DIR: '/build/source', WERCKER_CACHE_DIR: '/build/cache',
      WERCKER_OUTPUT_DIR: '/build/output', WERCKER_PIPELINE_DIR: '/build', WERCKER_REPORT_DIR: '/build/report',
    });
    const based = planWith('box: a\nbuild:\n  base-path: /go/src/app\n  source-dir: cmd\n  steps: [script: {code: x}]\n', guestRoots({ guest: '/build' }));
    expect(based.paths).toMatchObject({ base: '/go/src/app', sourceDir: '/go/src/app/cmd', cache: '/build/cache', mnt: '/mnt', report: '/report' });
    expect(envOf(based).WERCKER_ROOT).toBe('/build/source');
  });

  it('keeps wercker\'s /pipeline, /mnt and /report without the flags', () => {
    const plan = planWith('box: a\nbuild:\n  steps: [script: {code: x}]\n');
    expect(plan.paths).toMatchObject({ root: '/pipeline', base: '/pipeline/source', cache: '/pipeline/cache', report: '/report', mnt: '/mnt' });
    expect(envOf(plan)).toMatchObject({ WERCKER_ROOT: '/pipeline/source', WERCKER_REPORT_DIR: '/pipeline/report' });
    expect(guestRoots({})).toEqual({ guest: '/pipeline', mnt: '/mnt', report: '/report' });
  });

  it('refuses a relative path, odd characters, a system directory and roots that hold one another, naming the flag', () => {
    expect(() => guestRoots({ guest: 'build' })).toThrow('--guest-root takes an absolute path in the box, not "build"');
    expect(() => guestRoots({ report: '/r"; rm -rf /' })).toThrow(/--report-root .* has characters werker does not put in a path/);
    expect(() => guestRoots({ mnt: '/a b' })).toThrow(/--mnt-root "\/a b" has characters/);
    for (const dir of ['/', '/usr', '/etc/', '/proc/x', '/sys/fs']) expect(() => guestRoots({ guest: dir })).toThrow(/--guest-root \S+ is a system directory of the box/);
    expect(() => guestRoots({ guest: '/build', mnt: '/build/mnt' })).toThrow('--mnt-root /build/mnt is inside --guest-root /build');
    expect(() => guestRoots({ report: '/pipeline/report' })).toThrow('--report-root /pipeline/report is inside --guest-root /pipeline');
    expect(() => guestRoots({ guest: '/mnt' })).toThrow('--guest-root /mnt is the same directory as --mnt-root /mnt');
    for (const bad of [{ guest: '/x' }, { mnt: '/y' }]) expect(() => guestRoots(bad)).not.toThrow();
    const thrown = (() => {
      try {
        guestRoots({ guest: '/usr' });
      } catch (err) {
        return err as { exitCode: number };
      }
    })();
    expect(thrown?.exitCode).toBe(2);
  });
});
