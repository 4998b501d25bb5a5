import type { Store } from '../store/db.ts';
import { latestPassedBuild, type NewRun } from '../store/runs.ts';
import { requireApplication } from './applications.ts';
import { assertBranchName } from './branch-name.ts';
import { InputError, type RunOrigin, type ServerContext, type TriggerOptions, type User } from './context.ts';
import type { RepoMirrors } from './repos.ts';
import { runOf } from './run-history.ts';
import type { RunQueue } from './run-queue.ts';
import type { WorkflowBase, Workflows } from './workflows.ts';

/** Who a run is triggered by, as stored: a user's name, or what the caller says (the webhook). */
export const byName = (by: User | string): string => (typeof by === 'string' ? by : by.name);

/**
 * Triggering runs: every trigger (API, web form, webhook, `werker remote`) passes here. The
 * branch or commit is resolved in the server's mirror; `workflow:NAME` starts that workflow
 * (workflows.ts), any other name queues one pipeline.
 */
export function runTriggering(store: Store, mirrors: RepoMirrors, workflows: Workflows, queue: RunQueue): Pick<ServerContext, 'triggerRun'> {
  return {
    async triggerRun(appId, pipeline, opts, by) {
      const base = await resolveTrigger(store, mirrors, appId, opts, by);
      if (pipeline.startsWith('workflow:')) return runOf(store, await workflows.start(base, pipeline.slice('workflow:'.length)));
      return runOf(store, await queue.enqueue(await pipelineRun(store, base, pipeline)));
    },
  };
}

/** The application, branch and commit a trigger names, resolved in the server's mirror (InputError when there is no such branch or commit). */
export async function resolveTrigger(store: Store, mirrors: RepoMirrors, appId: number, opts: TriggerOptions, by: User | string): Promise<WorkflowBase> {
  const app = await requireApplication(store, appId);
  // A branch is a git ref or nothing.
  const branch = assertBranchName(opts.branch || app.default_branch);
  if (opts.commit !== undefined && !/^[0-9a-f]{7,40}$/.test(opts.commit)) throw new InputError(`"commit" is a commit id (7 to 40 hex digits), not ${JSON.stringify(opts.commit)}`);
  const commit = await mirrors.resolve(appId, app.repository, opts.commit ?? branch);
  if (!commit) throw new InputError(opts.commit ? `no commit ${opts.commit} in ${app.repository}` : `no branch ${branch} in ${app.repository}`);
  return { application_id: appId, branch, commit_sha: commit, trigger: opts.trigger ?? 'api', triggered_by: byName(by), ...originFields(opts.origin) };
}

/** A forge webhook's origin as run columns (a retry and a workflow's later runs keep them). */
function originFields(origin: RunOrigin | undefined): Partial<WorkflowBase> {
  if (!origin) return {};
  return { forge: origin.forge, pull_request: origin.pullRequest ?? null, untrusted: origin.untrusted ? 1 : 0 };
}

/** The run of one pipeline, not queued yet: `deploy` as a deploy, any other as a build. */
export async function pipelineRun(store: Store, base: WorkflowBase, pipeline: string): Promise<NewRun> {
  if (!/^[A-Za-z0-9_.-]+$/.test(pipeline)) throw new InputError(`"${pipeline}" is not a pipeline name`);
  const kind = pipeline === 'deploy' ? 'deploy' : 'build';
  // A deploy on its own starts from the latest passed build of the branch, as `werker deploy` does locally.
  const source = kind === 'deploy' ? await latestPassedBuild(store, base.application_id, base.branch) : undefined;
  return { ...base, pipeline, kind, source_run_id: source?.id ?? null };
}
