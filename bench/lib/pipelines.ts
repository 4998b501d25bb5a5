import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ScriptStep {
  name: string;
  code: string;
}

export interface ServiceSpec {
  id: string;
  name: string;
  env: Record<string, string>;
}

/** A wercker.yml with one `build` pipeline of script steps (and services, if any). */
export function buildYml(box: string, steps: ScriptStep[], services: ServiceSpec[] = []): string {
  const lines = [`box: ${box}`, 'build:'];
  if (services.length) {
    lines.push('  services:');
    for (const s of services) {
      lines.push(`    - id: ${s.id}`, `      name: ${s.name}`, '      env:');
      for (const [k, v] of Object.entries(s.env)) lines.push(`        ${k}: ${JSON.stringify(v)}`);
    }
  }
  lines.push('  steps:');
  for (const step of steps) {
    lines.push('    - script:', `        name: ${JSON.stringify(step.name)}`, '        code: |');
    for (const line of step.code.split('\n')) lines.push(`          ${line}`);
  }
  return lines.join('\n') + '\n';
}

/** `count` steps named `step 1` … that each run `code`. */
export function trivialSteps(count: number, code = 'true'): ScriptStep[] {
  return Array.from({ length: count }, (_, i) => ({ name: `step ${i + 1}`, code }));
}

/** Writes a project directory holding just this wercker.yml. */
export async function writeProject(dir: string, yml: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'wercker.yml'), yml);
  return dir;
}
