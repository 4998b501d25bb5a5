import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assembleWorkflowSource } from './workflow-source.ts';

const temps: string[] = [];
const dir = (files: Record<string, string> = {}) => {
  const d = mkdtempSync(path.join(tmpdir(), 'werker-wf-src-'));
  temps.push(d);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
    writeFileSync(path.join(d, name), text);
  }
  return d;
};
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('assembleWorkflowSource (docs/wercker-compat.md §4.11)', () => {
  it('gives the project, or the one output, as they are', async () => {
    const project = dir({ 'a.txt': 'a' });
    const out = dir({ 'b.txt': 'b' });
    const outputs = async (name: string) => (name === 'build' ? out : 'nope');
    expect(await assembleWorkflowSource({ layout: 'project' }, { projectDir: project, scratchDir: '' }, outputs)).toBe(project);
    expect(await assembleWorkflowSource({ layout: 'output', from: 'build' }, { projectDir: project, scratchDir: '' }, outputs)).toBe(out);
  });

  it('merges several outputs into <project>/<name>/ on a copy of the project, leaving out the working dir', async () => {
    const project = dir({ 'a.txt': 'a', '.wercker/builds/x': 'old run', 'left/keep.txt': 'project file' });
    const outs: Record<string, string> = { left: dir({ 'l.txt': 'l' }), right: dir({ 'r.txt': 'r' }) };
    const scratch = path.join(dir(), 'merged');
    const got = await assembleWorkflowSource({ layout: 'merged', from: ['left', 'right'] }, { projectDir: project, scratchDir: scratch, skip: [path.join(project, '.wercker')] }, async (n) => outs[n]!);
    expect(got).toBe(scratch);
    const read = (f: string) => readFileSync(path.join(scratch, f), 'utf8');
    expect([read('a.txt'), read('left/l.txt'), read('left/keep.txt'), read('right/r.txt')]).toEqual(['a', 'l', 'project file', 'r']);
    expect(() => read('.wercker/builds/x')).toThrow();
  });

  it('refuses an entry name that is not one directory name', async () => {
    const project = dir();
    await expect(assembleWorkflowSource({ layout: 'merged', from: ['ok', '../escape'] }, { projectDir: project, scratchDir: path.join(dir(), 'm') }, async () => dir({ 'x': 'x' })))
      .rejects.toThrow('workflow pipeline name "../escape" cannot be a directory name in the source');
  });
});
