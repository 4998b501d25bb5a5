import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../config/load.ts';
import { preparePlan, type PrepareInput, type PrepareOptions } from './prepare.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(yml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'werker-prepare-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'wercker.yml'), yml);
  return dir;
}

const ASKED: PrepareOptions = {
  artifacts: false, directMount: false, exposePorts: false, publish: [], pull: 'missing', noRemove: false, enableVolumes: false,
  imageMap: [], commandTimeoutMs: 25 * 60_000, noResponseTimeoutMs: 5 * 60_000,
};

const input = (dir: string, extra: Partial<PrepareInput> = {}): PrepareInput => ({
  project: { dir }, pipeline: 'build', kind: 'build', workingDir: path.join(dir, '.werker'), options: ASKED,
  variables: { from: 'host', env: {}, envFile: [] }, git: { branch: 'main', commit: 'abc', tag: '' }, ...extra,
});

const STEPS = 'build:\n  steps:\n    - script: {name: s, code: "true"}\n';

describe('preparePlan: load → plan for every caller', () => {
  it('lets the wercker.yml\'s timeouts replace the asked ones, and its ignore file fill in (docs/wercker-compat.md §4.9)', async () => {
    const dir = project(`box: alpine\ncommand-timeout: 7\nno-response-timeout: 3\nignore-file: .myignore\n${STEPS}`);
    const { plan } = await preparePlan(input(dir));
    expect(plan.options).toMatchObject({ commandTimeoutMs: 7 * 60_000, noResponseTimeoutMs: 3 * 60_000, ignoreFile: '.myignore' });
    const flagged = await preparePlan(input(dir, { options: { ...ASKED, ignoreFile: '.flagignore' } }));
    expect(flagged.plan.options.ignoreFile).toBe('.flagignore');
    // A local service's nested build keeps its parent run's timeouts.
    const kept = await preparePlan(input(dir, { keepTimeouts: true }));
    expect(kept.plan.options).toMatchObject({ commandTimeoutMs: 25 * 60_000, noResponseTimeoutMs: 5 * 60_000, ignoreFile: '.myignore' });
  });

  it('takes the asked timeouts and .werckerignore when the wercker.yml sets none', async () => {
    const { plan } = await preparePlan(input(project(`box: alpine\n${STEPS}`)));
    expect(plan.options).toMatchObject({ commandTimeoutMs: 25 * 60_000, noResponseTimeoutMs: 5 * 60_000, ignoreFile: '.werckerignore' });
  });

  it('gives a server\'s variables as X_ and protected ones as hidden XXX_, the later of a name winning, all literal (§3.6)', async () => {
    const variables = [
      { name: 'REGION', value: 'eu', protected: false }, { name: 'TOKEN', value: 'first', protected: false },
      { name: 'TOKEN', value: 's3cret-$HOME', protected: true },
    ];
    const { plan } = await preparePlan(input(project(`box: alpine\n${STEPS}`), { variables: { from: 'server', variables } }));
    const named = (name: string) => plan.env.filter((v) => v.name === name);
    expect(named('REGION')).toEqual([{ name: 'REGION', value: 'eu', hidden: false, literal: true }]);
    expect(named('TOKEN')).toEqual([{ name: 'TOKEN', value: 's3cret-$HOME', hidden: true, literal: true }]);
    expect(plan.env.every((v) => v.literal)).toBe(true);
  });

  it('reads the host env and the ENVIRONMENT file\'s entries, not literally', async () => {
    const variables = { from: 'host' as const, env: { X_FROM_ENV: 'env', PATH: '/bin' }, envFile: [['X_FROM_FILE', 'file']] as [string, string][] };
    const { plan } = await preparePlan(input(project(`box: alpine\n${STEPS}`), { variables }));
    expect(plan.env.find((v) => v.name === 'FROM_ENV')).toMatchObject({ value: 'env', hidden: false });
    expect(plan.env.find((v) => v.name === 'FROM_FILE')).toMatchObject({ value: 'file' });
    expect(plan.env.some((v) => v.literal)).toBe(false);
  });

  it('tells the run\'s warnings, not those of other pipelines, and returns them', async () => {
    // A step's value beside its properties is dropped with a warning (config/validate.test.ts).
    const dropped = (name: string) => `  steps:\n    - script: {code: lost}\n      name: ${name}\n`;
    const dir = project(`box: alpine\nbuild:\n${dropped('kept')}deploy:\n${dropped('other')}`);
    const told: string[] = [];
    const prepared = await preparePlan(input(dir, { warn: (w) => told.push(...w.map((d) => d.path)) }));
    expect(told).toEqual(prepared.warnings.map((d) => d.path));
    expect(told.some((p) => p.startsWith('build'))).toBe(true);
    expect(told.some((p) => p.startsWith('deploy'))).toBe(false);
  });

  it('plans a pipeline its caller loaded already, without reading the file again', async () => {
    const dir = project(`box: alpine\n${STEPS}`);
    const loaded = await loadPipeline(dir, 'build');
    rmSync(path.join(dir, 'wercker.yml'));
    const { plan } = await preparePlan(input(dir, { project: { dir, loaded } }));
    expect(plan.steps.map((s) => s.displayName)).toEqual(['wercker-init', 's']);
  });

  it('refuses a working dir that is the project dir', async () => {
    const dir = project(`box: alpine\n${STEPS}`);
    await expect(preparePlan(input(dir, { workingDir: dir }))).rejects.toThrow("Project path can't be the same as the working dir");
  });
});
