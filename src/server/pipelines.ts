import type { AppRow } from '../store/applications.ts';
import { assertBranchName } from './branch-name.ts';
import type { PipelineList } from './context.ts';
import type { RepoMirrors } from './repos.ts';
import type { ServerConfigReader } from './werckeryml.ts';

/**
 * The pipelines and workflows of the application's wercker.yml at `ref` (default: its default
 * branch), read from the server's mirror; `problem` says why none could be read.
 */
export async function listPipelines(mirrors: RepoMirrors, configs: ServerConfigReader, app: AppRow, ref?: string): Promise<PipelineList> {
  const want = ref || app.default_branch;
  if (!/^[0-9a-f]{7,40}$/.test(want)) assertBranchName(want);
  const list: PipelineList = { ref: want, commit: null, pipelines: [], workflows: [] };
  // A repository that can't be fetched says so (git's words), not that the branch is missing.
  const commit = await mirrors.resolve(app.id, app.repository, want).catch((err: Error) => err);
  if (commit instanceof Error) return { ...list, problem: commit.message };
  if (!commit) return { ...list, problem: `no branch or commit ${want} in ${app.repository}` };
  list.commit = commit;
  const read = await configs.read(app.id, commit);
  if (read === undefined) return { ...list, problem: `no wercker.yml at ${commit.slice(0, 8)}` };
  const { config, diagnostics } = read;
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!config || errors.length) return { ...list, problem: `wercker.yml at ${commit.slice(0, 8)} is invalid: ${errors.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`).slice(0, 3).join('; ')}` };
  list.pipelines = Object.keys(config.pipelines);
  list.workflows = config.workflows.map((w) => ({ name: w.name, pipelines: w.pipelines.map((p) => ({ name: p.name, pipelineName: p.pipelineName, requires: p.requires })) }));
  return list;
}
