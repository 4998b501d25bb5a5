import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepSpec } from '../config/schema.ts';
import { installAtomically } from './cache.ts';
import { pickRef } from './git-fetch.ts';
import { lockKey, readLock, writeLock } from './lock.ts';
import { resolveStepPackages } from './resolve.ts';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'werker-resolve-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const step = (id: string, owner: string, name: string, version = '*', url?: string): StepSpec => ({
  id, kind: 'registry', owner, name, version, properties: {}, at: { line: 3, col: 7 }, ...(url ? { url } : {}),
});

function pkgIn(dir: string, version: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'step.yml'), `name: x\nversion: ${version}\nsummary: s\n`);
  writeFileSync(path.join(dir, 'run.sh'), 'true\n');
}

describe('resolving registry steps through sources (docs/wercker-compat.md §7.2)', () => {
  it('a directory source: the exact version, v<version>, or for * the highest there', async () => {
    const root = temp();
    pkgIn(path.join(root, 'acme/tool/1.2.0'), '1.2.0');
    pkgIn(path.join(root, 'acme/tool/v1.10.0'), '1.10.0');
    pkgIn(path.join(root, 'acme/tool/1.9.0'), '1.9.0');
    const wd = temp();
    const steps = [step('acme/tool@1.2.0', 'acme', 'tool', '1.2.0'), step('acme/tool@1.10.0', 'acme', 'tool', '1.10.0'), step('acme/tool', 'acme', 'tool')];
    const lookup = await resolveStepPackages(steps, { projectDir: wd, workingDir: wd, sources: [{ kind: 'dir', dir: root }] });
    expect(steps.map((s) => (lookup(s) as { source: string }).source)).toEqual([
      `dir ${path.join(root, 'acme/tool/1.2.0')}`, `dir ${path.join(root, 'acme/tool/v1.10.0')}`, `dir ${path.join(root, 'acme/tool/v1.10.0')}`,
    ]);
  });

  it('offline: git sources are not tried, URL steps count as given, and the message lists every source', async () => {
    const wd = temp();
    const root = temp();
    const steps = [step('acme/gone@1.0.0', 'acme', 'gone', '1.0.0'), step('x "https://h/x.tar.gz"', 'wercker', 'x', '*', 'https://h/x.tar.gz')];
    const lookup = await resolveStepPackages(steps, {
      projectDir: wd, workingDir: wd, offline: true, sources: [{ kind: 'dir', dir: root }, { kind: 'git', template: 'https://g/{owner}/step-{name}' }],
    });
    expect(lookup(steps[0]!)).toBe([
      'the step "acme/gone@1.0.0" is not available: werker has no built-in "gone" and no step source has it; tried:',
      `  dir:${root}: no acme/gone@1.0.0 with a step.yml`,
      '  https://g/{owner}/step-{name}: not tried (offline)',
      `Give its package as gone "file://path/to/dir" or gone "https://host/owner/step-gone.git", add a step source (--step-source), or put it in ${path.relative(process.cwd(), path.join(wd, 'steps/acme-gone@1.0.0'))}`,
    ].join('\n'));
    expect((lookup(steps[1]!) as { source: string }).source).toBe('url https://h/x.tar.gz (not fetched: offline)');
  });

  it('a built-in for other owners does not stop the sources, and the message says why it was not taken', async () => {
    const wd = temp();
    const builtinDir = temp();
    mkdirSync(path.join(builtinDir, 'npm-thing'));
    writeFileSync(path.join(builtinDir, 'npm-thing', 'step.yml'), 'name: npm-thing\nversion: 1.0.0\nwerker-owners: [wercker]\n');
    const lookup = await resolveStepPackages([step('other/npm-thing', 'other', 'npm-thing')], { projectDir: wd, workingDir: wd, builtinDir, sources: [], offline: true });
    expect(lookup(step('other/npm-thing', 'other', 'npm-thing'))).toContain('werker\'s built-in "npm-thing" is for wercker/npm-thing, not other/npm-thing');
  });

  it('the lock is read and written whole, sorted, through a temp file; a bad one says how to recover', async () => {
    const dir = temp();
    const file = path.join(dir, 'wercker-steps.lock');
    const lock = readLock(file);
    lock.entries.set(lockKey({ owner: 'b', name: 'n', version: '*' }), { source: 'http://h/b/n', ref: 'HEAD', commit: 'c'.repeat(40) });
    lock.entries.set(lockKey({ owner: 'a', name: 'n', version: '1.0.0', url: 'http://h/a.git' }), { source: 'http://h/a.git', ref: 'v1.0.0', commit: 'a'.repeat(40) });
    await writeLock(lock);
    expect(readdirSync(dir)).toEqual(['wercker-steps.lock']);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).steps)).toEqual(['a/n@1.0.0 "http://h/a.git"', 'b/n@*']);
    expect(readLock(file).entries.get('b/n@*')?.commit).toBe('c'.repeat(40));
    writeFileSync(file, '{ half');
    expect(() => readLock(file)).toThrow(/is not a werker lock file[\s\S]*/);
  });

  it('installAtomically leaves nothing behind when filling fails or the check refuses', async () => {
    const root = temp();
    const target = path.join(root, 'pkg');
    await expect(installAtomically(target, async (tmp) => {
      mkdirSync(tmp);
      writeFileSync(path.join(tmp, 'half'), 'x');
      throw new Error('network went away');
    })).rejects.toThrow('network went away');
    await expect(installAtomically(target, async (tmp) => mkdirSync(tmp), async () => {
      throw new Error('no step.yml');
    })).rejects.toThrow('no step.yml');
    expect(readdirSync(root)).toEqual([]);
    await installAtomically(target, async (tmp) => pkgIn(tmp, '1.0.0'));
    expect(existsSync(path.join(target, 'step.yml'))).toBe(true);
    expect(readdirSync(root)).toEqual(['pkg']);
  });

  it('pickRef: * the default branch, else the tag as written, else v<version>; otherwise the tags there are', () => {
    const refs = new Map([['HEAD', 'h'], ['refs/tags/1.0.0', 'a'], ['refs/tags/v1.0.0', 'b'], ['refs/tags/v2.0.0', 'c']]);
    expect(pickRef(refs, '*')).toEqual({ ref: 'HEAD', commit: 'h' });
    expect(pickRef(refs, '1.0.0')).toEqual({ ref: '1.0.0', commit: 'a' });
    expect(pickRef(refs, '2.0.0')).toEqual({ ref: 'v2.0.0', commit: 'c' });
    expect(() => pickRef(refs, '3.0.0')).toThrow('no tag 3.0.0 or v3.0.0 (tags: 1.0.0, v1.0.0, v2.0.0)');
  });
});
