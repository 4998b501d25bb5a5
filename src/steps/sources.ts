import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors.ts';

/**
 * Where a registry step that is not built in can come from (docs/wercker-compat.md §7.2, werker):
 * a git repository found by a URL template, a directory of step packages (offline machines), or
 * a registry speaking wercker's steps API.
 */
export type StepSource =
  | { kind: 'git'; template: string }
  | { kind: 'dir'; dir: string }
  | { kind: 'registry'; url: string };

/** The project's own settings file, next to wercker.yml (not a name wercker.yml discovery looks at). */
export const PROJECT_CONFIG_FILE = 'werker.config.yml';
export const DEFAULT_GITHUB_BASE = 'https://github.com';

/** The conventions wercker's steps used for their repositories on GitHub (§7.2). */
export function githubConventions(base = DEFAULT_GITHUB_BASE): StepSource[] {
  const b = base.replace(/\/+$/, '');
  return ['step-{name}', 'wercker-step-{name}', '{name}'].map((repo) => ({ kind: 'git' as const, template: `${b}/{owner}/${repo}` }));
}

/** The user's settings file: $XDG_CONFIG_HOME/werker/config.yml (default ~/.config/werker/config.yml). */
export function userConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), '.config');
  return path.join(base, 'werker', 'config.yml');
}

interface SettingsFile {
  file: string;
  sources: string[];
  githubBase?: string;
  stepsRegistry?: string;
}

/** Reads `step-sources:` (a list), `github-base:` and `steps-registry:` from a settings file; absent is fine. */
export function readSettingsFile(file: string): SettingsFile | undefined {
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, { hint: 'fix the file, or move it away' });
  }
  if (doc === null || doc === undefined) return { file, sources: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`${file}: expected a mapping with step-sources:, github-base:, steps-registry:`);
  const map = doc as Record<string, unknown>;
  const list = map['step-sources'] ?? [];
  if (!Array.isArray(list)) throw new UsageError(`${file}: step-sources must be a list`, { hint: 'step-sources:\n  - https://git.example.com/{owner}/step-{name}.git\n  - dir:/opt/werker-steps' });
  const sources = list.map((entry, i) => {
    if (typeof entry === 'string') return entry;
    if (entry && typeof entry === 'object' && typeof (entry as Record<string, unknown>).dir === 'string') return `dir:${(entry as Record<string, string>).dir}`;
    throw new UsageError(`${file}: step-sources[${i}] must be a URL template, "dir:PATH", "registry:URL" or "github"`);
  });
  const out: SettingsFile = { file, sources };
  if (typeof map['github-base'] === 'string') out.githubBase = map['github-base'];
  if (typeof map['steps-registry'] === 'string') out.stepsRegistry = map['steps-registry'];
  return out;
}

export interface SourceInputs {
  /** `--step-source` values, in order. */
  flags?: string[];
  /** `--steps-registry`. */
  stepsRegistry?: string;
  env?: NodeJS.ProcessEnv;
  /** The directory of wercker.yml (its werker.config.yml), when there is a project. */
  projectDir?: string;
  /** false: leave out the GitHub conventions unless a list names `github` (internal/publish-step's default). */
  withGithub?: boolean;
}

/**
 * The ordered sources: `--step-source` flags (which replace WERKER_STEP_SOURCES), then the
 * project's werker.config.yml, then the user's config.yml, then a steps registry if one is set
 * (`--steps-registry`, STEPS_REGISTRY, or a file's steps-registry:), then the GitHub conventions
 * — unless a list already placed them with `github` or left them out with `no-github`.
 */
export function stepSources(inputs: SourceInputs): StepSource[] {
  const env = inputs.env ?? process.env;
  const project = inputs.projectDir ? readSettingsFile(path.join(inputs.projectDir, PROJECT_CONFIG_FILE)) : undefined;
  const user = readSettingsFile(userConfigFile(env));
  const githubBase = env.WERKER_STEP_GITHUB_BASE || project?.githubBase || user?.githubBase || DEFAULT_GITHUB_BASE;
  const flagOrEnv = inputs.flags?.length ? inputs.flags : splitList(env.WERKER_STEP_SOURCES);
  const entries: { text: string; base: string }[] = [
    ...flagOrEnv.map((text) => ({ text, base: process.cwd() })),
    ...(project?.sources ?? []).map((text) => ({ text, base: path.dirname(project!.file) })),
    ...(user?.sources ?? []).map((text) => ({ text, base: path.dirname(user!.file) })),
  ];
  const registry = inputs.stepsRegistry || env.STEPS_REGISTRY || project?.stepsRegistry || user?.stepsRegistry;
  if (registry) entries.push({ text: `registry:${registry}`, base: process.cwd() });
  const words = entries.map((e) => e.text.trim());
  if (inputs.withGithub !== false && !words.includes('github') && !words.includes('no-github')) entries.push({ text: 'github', base: process.cwd() });
  const out: StepSource[] = [];
  for (const { text, base } of entries) out.push(...parseSource(text.trim(), base, githubBase));
  return dedupe(out);
}

const splitList = (v: string | undefined): string[] => (v ?? '').split(/[\s,]+/).filter(Boolean);

/** One entry: `github`, `no-github`, `registry:URL`, `dir:PATH` (or a plain path), or a git URL template with {name}. */
export function parseSource(text: string, base: string, githubBase = DEFAULT_GITHUB_BASE): StepSource[] {
  if (text === 'github') return githubConventions(githubBase);
  if (text === 'no-github' || text === '') return [];
  if (text.startsWith('registry:')) return [{ kind: 'registry', url: text.slice('registry:'.length).replace(/\/+$/, '') }];
  if (text.startsWith('dir:')) return [{ kind: 'dir', dir: path.resolve(base, expandHome(text.slice(4))) }];
  if (text.includes('{name}')) return [{ kind: 'git', template: text }];
  if (!text.includes('://')) return [{ kind: 'dir', dir: path.resolve(base, expandHome(text)) }];
  throw new UsageError(`step source "${text}" is not one werker knows`, {
    hint: 'a git URL template with {owner} and {name} (https://git.example.com/{owner}/step-{name}.git), dir:PATH, registry:URL, github or no-github',
  });
}

const expandHome = (p: string): string => (p.startsWith('~/') ? path.join(homedir(), p.slice(2)) : p);

function dedupe(list: StepSource[]): StepSource[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    const key = describeSource(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function describeSource(s: StepSource): string {
  return s.kind === 'git' ? s.template : s.kind === 'dir' ? `dir:${s.dir}` : `registry:${s.url}`;
}

/** The repository URL a git source gives for a step. */
export function expandTemplate(template: string, owner: string, name: string): string {
  return template.replaceAll('{owner}', owner).replaceAll('{name}', name);
}
