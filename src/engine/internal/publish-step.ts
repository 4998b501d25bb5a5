import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-fs';
import { parse } from 'yaml';
import { readManifest } from '../../steps/manifest.ts';
import { DEFAULT_GITHUB_BASE, githubConventions, parseSource, stepSources, type StepSource } from '../../steps/sources.ts';
import { failed, passed, type InternalContext, type InternalStep, type StepOptions } from './context.ts';
import { publishTo } from './publish-step-targets.ts';

/**
 * internal/publish-step (docs/wercker-compat.md §6.8): publishes the step package in the source
 * dir (or its `path`) to step sources of werker's own (§7.2), since wercker's registry is gone:
 * `endpoint` names them (dir:PATH, a git URL template with {owner} {name}, or github; several
 * separated by spaces); without it, the first directory or git source of WERKER_STEP_SOURCES,
 * werker.config.yml or the user's config.yml. `owner` (default the application's owner),
 * `auth-token` (for the git push; masked), `private` (directory sources: readable by the owner only).
 */
export const publishStep: InternalStep = {
  sync: true,
  async run(ctx, step, o) {
    const owner = o.get('owner') || o.env.get('WERCKER_APPLICATION_OWNER_NAME') || '';
    if (!owner) return failed('publish-step: no owner', 'set owner: (the first part of the step id, as in owner/name)');
    const token = o.get('auth-token') || o.get('auth_token');
    // The token need not be a hidden variable (it may be written out): hidden here; the bus masks the rest.
    const mask = (s: string): string => (token ? s.replaceAll(token, '***') : s);
    let targets: StepSource[];
    try {
      targets = endpoints(o, path.dirname(ctx.plan.configFile));
    } catch (err) {
      return failed(`publish-step: ${(err as Error).message}`);
    }
    if (!targets.length) {
      return failed('publish-step: nowhere to publish to', 'set endpoint: (dir:PATH or a git URL template such as https://git.example.com/{owner}/step-{name}.git), or a step source in werker.config.yml / WERKER_STEP_SOURCES');
    }
    const from = path.posix.join(ctx.plan.paths.sourceDir, o.get('path'));
    const dir = await mkdtemp(path.join(tmpdir(), 'werker-publish-pkg-'));
    try {
      await copyOutOfBox(ctx, from, dir);
      const problem = await manifestProblem(dir, from);
      if (problem) return failed(`publish-step: ${problem}`, 'a step package needs a step.yml with name:, version: (x.y.z) and summary:');
      const manifest = await readManifest(dir, '');
      for (const target of targets) {
        try {
          const where = await publishTo(target, { owner, name: manifest.name, version: manifest.version, dir, token, private: o.bool('private') });
          ctx.print(mask(`published ${owner}/${manifest.name}@${manifest.version} to ${where}`));
        } catch (err) {
          return failed(mask(`publish-step: ${owner}/${manifest.name}@${manifest.version}: ${(err as Error).message}`));
        }
      }
      return passed();
    } catch (err) {
      return failed(mask((err as Error).message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** `endpoint` as written, else the first directory or git source the settings give (not the GitHub conventions, not a registry). */
function endpoints(o: StepOptions, projectDir: string): StepSource[] {
  const written = o.list('endpoint');
  const githubBase = process.env.WERKER_STEP_GITHUB_BASE || DEFAULT_GITHUB_BASE;
  if (written.length) return written.flatMap((e) => (e === 'github' ? githubConventions(githubBase).slice(0, 1) : parseSource(e, projectDir, githubBase)));
  return stepSources({ projectDir, flags: [], withGithub: false }).filter((s) => s.kind !== 'registry').slice(0, 1);
}

/** The package at `from` in the box, unpacked into `dir` (the archive's top entry stripped). */
async function copyOutOfBox(ctx: InternalContext, from: string, dir: string): Promise<void> {
  let archive;
  try {
    archive = await ctx.runtime.getArchive(ctx.containerId, from);
  } catch (err) {
    throw new Error(`publish-step: ${from} is not in the box (${(err as Error).message})`);
  }
  const extract = tar.extract(dir, { map: (h) => ({ ...h, name: h.name.split('/').slice(1).join('/') || '.' }) });
  await pipeline(archive, extract as unknown as NodeJS.WritableStream);
}

/** What step.yml lacks for publishing (name, x.y.z version, summary), read as written. */
async function manifestProblem(dir: string, from: string): Promise<string | undefined> {
  const raw = await readFile(path.join(dir, 'step.yml'), 'utf8').catch(() => undefined);
  if (raw === undefined) return `${from} has no step.yml`;
  let doc: Record<string, unknown>;
  try {
    doc = (parse(raw) ?? {}) as Record<string, unknown>;
  } catch (err) {
    return `${from}/step.yml is not valid YAML: ${(err as Error).message.split('\n')[0]}`;
  }
  if (typeof doc.name !== 'string' || !doc.name) return `${from}/step.yml has no name:`;
  if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(String(doc.version ?? ''))) return `${from}/step.yml: version "${String(doc.version ?? '')}" is not x.y.z`;
  if (!doc.summary && !doc.description) return `${from}/step.yml has no summary: (wercker required one to publish)`;
  return undefined;
}
