import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { describeSource, githubConventions, parseSource, stepSources } from './sources.ts';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'werker-sources-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A user config dir and a project dir with their settings files. */
function setup(user?: string, project?: string): { env: NodeJS.ProcessEnv; projectDir: string } {
  const xdg = temp();
  const projectDir = temp();
  if (user !== undefined) {
    mkdirSync(path.join(xdg, 'werker'));
    writeFileSync(path.join(xdg, 'werker', 'config.yml'), user);
  }
  if (project !== undefined) writeFileSync(path.join(projectDir, 'werker.config.yml'), project);
  return { env: { XDG_CONFIG_HOME: xdg }, projectDir };
}

const list = (inputs: Parameters<typeof stepSources>[0]): string[] => stepSources(inputs).map(describeSource);

describe('step sources (docs/wercker-compat.md §7.2)', () => {
  it('by default: the three GitHub conventions, owner and name filled in later', () => {
    const { env, projectDir } = setup();
    expect(list({ env, projectDir })).toEqual([
      'https://github.com/{owner}/step-{name}', 'https://github.com/{owner}/wercker-step-{name}', 'https://github.com/{owner}/{name}',
    ]);
  });

  it('flags, then the project file, then the user file, then a registry, then GitHub (whose base a setting moves)', () => {
    const { env, projectDir } = setup('step-sources:\n  - https://user.example/{owner}/{name}.git\ngithub-base: http://127.0.0.1:8\n', 'step-sources:\n  - dir: vendor-steps\n');
    expect(list({ env: { ...env, STEPS_REGISTRY: 'http://registry.example/' }, projectDir, flags: ['https://flag.example/{owner}/step-{name}'] })).toEqual([
      'https://flag.example/{owner}/step-{name}',
      `dir:${path.join(projectDir, 'vendor-steps')}`,
      'https://user.example/{owner}/{name}.git',
      'registry:http://registry.example',
      'http://127.0.0.1:8/{owner}/step-{name}', 'http://127.0.0.1:8/{owner}/wercker-step-{name}', 'http://127.0.0.1:8/{owner}/{name}',
    ]);
  });

  it('--step-source replaces WERKER_STEP_SOURCES; the variable is used without flags', () => {
    const { env, projectDir } = setup();
    const withEnv = { ...env, WERKER_STEP_SOURCES: 'https://env.example/{owner}/{name} no-github' };
    expect(list({ env: withEnv, projectDir })).toEqual(['https://env.example/{owner}/{name}']);
    expect(list({ env: withEnv, projectDir, flags: ['no-github'] })).toEqual([]);
  });

  it('`github` places the conventions where it is written; WERKER_STEP_GITHUB_BASE wins over the files', () => {
    const { env, projectDir } = setup(undefined, 'github-base: http://file.example\n');
    expect(list({ env: { ...env, WERKER_STEP_GITHUB_BASE: 'http://127.0.0.1:7' }, projectDir, flags: ['github', '/opt/steps'] })).toEqual([
      'http://127.0.0.1:7/{owner}/step-{name}', 'http://127.0.0.1:7/{owner}/wercker-step-{name}', 'http://127.0.0.1:7/{owner}/{name}', 'dir:/opt/steps',
    ]);
  });

  it('says what it takes when an entry is none of them, or a settings file is wrong', () => {
    expect(() => parseSource('https://example.com/steps', '/')).toThrow(UsageError);
    expect(() => parseSource('https://example.com/steps', '/')).toThrow(/not one werker knows/);
    const { env, projectDir } = setup('step-sources: https://x/{name}\n');
    expect(() => stepSources({ env, projectDir })).toThrow(/config\.yml: step-sources must be a list/);
    const bad = setup(undefined, 'step-sources: [\n');
    expect(() => stepSources({ env: bad.env, projectDir: bad.projectDir })).toThrow(/werker\.config\.yml: not valid YAML/);
  });

  it('githubConventions trims a trailing slash of the base', () => {
    expect(githubConventions('http://h:1/').map(describeSource)[0]).toBe('http://h:1/{owner}/step-{name}');
  });
});
