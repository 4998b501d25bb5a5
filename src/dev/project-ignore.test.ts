import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectIgnore } from './project-ignore.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'werker-ignore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('projectIgnore', () => {
  writeFileSync(path.join(dir, '.werckerignore'), 'dist/\n*.log\n');
  writeFileSync(path.join(dir, '.gitignore'), 'node_modules\n');
  const ignored = projectIgnore(dir, { workingDir: path.join(dir, 'wd'), ignoreFile: '.werckerignore' });

  it('skips dot and underscore directories, dot files and backups, as wercker did', () => {
    expect(ignored('.git', true)).toBe(true);
    expect(ignored('.git/index', false)).toBe(true);
    expect(ignored('app/__pycache__', true)).toBe(true);
    expect(ignored('app/.page.js.swp', false)).toBe(true);
    expect(ignored('page.js~', false)).toBe(true);
    expect(ignored('_private.js', false)).toBe(false);
  });

  it('skips the working dir inside the project and the ignore file\'s and .gitignore\'s patterns', () => {
    expect(ignored('wd', true)).toBe(true);
    expect(ignored('wd/logs/run.log', false)).toBe(true);
    expect(ignored('dist', true)).toBe(true);
    expect(ignored('server.log', false)).toBe(true);
    expect(ignored('node_modules', true)).toBe(true);
    expect(ignored('src/page.js', false)).toBe(false);
    expect(ignored('wdx/page.js', false)).toBe(false);
  });
});
