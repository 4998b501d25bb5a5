import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from './manifest.ts';

function pkg(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'werker-manifest-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

describe('readManifest (docs/wercker-compat.md §7.1)', () => {
  it('reads a list-form step.yml with its defaults', async () => {
    const m = await readManifest(pkg({ 'step.yml': 'name: s\nversion: 1.0.0\nproperties:\n  - name: color\n    default: blue\n' }), 's');
    expect(m.properties).toEqual([{ name: 'color', default: 'blue', required: false }]);
  });

  it('ignores a legacy wercker-step.yml: its defaults do not apply', async () => {
    const warnings: string[] = [];
    const m = await readManifest(pkg({ 'wercker-step.yml': 'name: s\nversion: 1.0.0\nproperties:\n  color:\n    default: blue\n' }), 's', (t) => warnings.push(t));
    expect(m.properties).toEqual([]);
    expect(m.file).toBe('');
    expect(warnings).toEqual([]);
  });

  it('warns that a step.yml with properties as a mapping cannot be read, and applies no defaults', async () => {
    const warnings: string[] = [];
    const dir = pkg({ 'step.yml': 'name: s\nversion: 1.0.0\nproperties:\n  color:\n    default: blue\n' });
    const m = await readManifest(dir, 's', (t) => warnings.push(t));
    expect(m.properties).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${path.join(dir, 'step.yml')}: "properties" is a mapping`);
  });
});
