import type { FC } from 'hono/jsx';
import { runResultText, stepKey } from '../../../report/event-lines.ts';
import { FINAL_STATUSES, type RunDetail, type RunStep, type User } from '../../context.ts';
import { Layout, PostForm, StatusBadge, formatDuration, formatTime, shortCommit } from '../components.tsx';

export interface RunPageProps {
  user: User;
  csrf: string;
  run: RunDetail;
  /** The server offers terminals (--terminal-minutes) and the user manages the application. */
  terminal?: { minutes: number };
}

/**
 * One run: what it is, its steps, and its log. The step sections are rendered from what the
 * store knows now; the live log (client/live-log.ts) fills in their output by
 * replaying the run's events and follows it live until `run.finished`.
 */
export const RunPage: FC<RunPageProps> = ({ user, csrf, run, terminal }) => {
  const finished = FINAL_STATUSES.includes(run.status);
  return (
    <Layout title={`${run.applicationName} #${run.id}`} user={user} csrf={csrf}>
      <div class="crumbs">
        <a href="/apps">Applications</a> / <a href={`/apps/${run.applicationId}`}>{run.applicationName}</a> /
      </div>
      <section id="run" data-run-id={String(run.id)} data-status={run.status} data-events={`/api/runs/${run.id}/events`} data-log="loading">
        <h1>
          Run #{run.id}: {run.pipeline} <StatusBadge status={run.status} id="run-status" />
          <span class="spacer"></span>
          <span class="actions">
            <PostForm action={`/runs/${run.id}/cancel`} csrf={csrf} class="inline">
              <button type="submit" class="danger" data-while-active hidden={finished}>
                Cancel
              </button>
            </PostForm>
            <PostForm action={`/runs/${run.id}/retry`} csrf={csrf} class="inline">
              <button type="submit" class="secondary" data-when-finished hidden={!finished}>
                Retry
              </button>
            </PostForm>
          </span>
        </h1>
        <RunMeta run={run} />
        <ForgeNotes run={run} user={user} csrf={csrf} />
        {run.message ? <div class={run.status === 'cancelled' ? 'notice' : 'error'}>{run.message}</div> : null}
        {run.status === 'queued' && run.steps.length === 0 ? (
          <p class="muted" id="run-waiting">
            Queued: waiting for a runner to take it.
          </p>
        ) : null}
        <div class="log" id="log">
          {run.steps.map((step) => (
            <StepSection step={step} retry={run.status === 'failed' && step.phase === 'main' && step.status === 'failed' ? { runId: run.id, csrf } : undefined} />
          ))}
        </div>
        {terminal && !finished ? <TerminalPanel runId={run.id} csrf={csrf} minutes={terminal.minutes} /> : null}
        <div id="run-result" class={`result ${finished ? run.status : ''}`}>
          {finished ? runResultText(run.status, run.durationMs) : ''}
        </div>
        <noscript>
          <p class="muted">
            The live log needs JavaScript; the stored events are at <a href={`/api/runs/${run.id}/events?format=json`}>this link</a>.
          </p>
        </noscript>
      </section>
    </Layout>
  );
};

const RunMeta: FC<{ run: RunDetail }> = ({ run }) => (
  <div class="meta">
    <span>
      branch <b class="mono">{run.branch}</b>
    </span>
    <span>
      commit <b class="mono">{shortCommit(run.commit)}</b>
    </span>
    <span>
      started by <b>{run.trigger}</b>: {run.triggeredBy}
    </span>
    <span>
      created <b>{formatTime(run.createdAt)}</b>
    </span>
    {run.durationMs !== null ? (
      <span>
        took <b>{formatDuration(run.durationMs)}</b>
      </span>
    ) : null}
    {run.workflow ? (
      <span>
        workflow <b>{run.workflow}</b>
        {run.workflowRunId !== null && run.workflowRunId !== run.id ? <> (after <a href={`/runs/${run.workflowRunId}`}>#{run.workflowRunId}</a>)</> : null}
      </span>
    ) : null}
    {run.sourceRunId !== null ? (
      <span>
        deploys the output of <a href={`/runs/${run.sourceRunId}`}>#{run.sourceRunId}</a>
      </span>
    ) : null}
    {run.pullRequest ? (
      <span>
        pull request <b>#{run.pullRequest}</b>
      </span>
    ) : null}
    {run.retryOf !== null ? (
      <span>
        retry of <a href={`/runs/${run.retryOf}`}>#{run.retryOf}</a>
      </span>
    ) : null}
    {run.attempt > 1 ? <span>attempt <b>{run.attempt}</b></span> : null}
    {run.runner ? (
      <span>
        runner <b>{run.runner}</b>
      </span>
    ) : null}
    {run.outputRemovedAt ? (
      <span>
        output removed by retention on <b>{formatTime(run.outputRemovedAt)}</b> (run the build again to deploy it)
      </span>
    ) : null}
  </div>
);

/**
 * What the forge side says about the run: a fork's pull request that ran without protected
 * variables (with the admin's approve button), who approved one, and a status that did not
 * reach the forge.
 */
const ForgeNotes: FC<RunPageProps> = ({ run, user, csrf }) => {
  const finished = FINAL_STATUSES.includes(run.status);
  return (
    <>
      {run.untrusted ? (
        <div class="notice" id="run-untrusted">
          Pull request{run.pullRequest ? ` #${run.pullRequest}` : ''} from a fork: this run has no protected variables or private keys.
          {user.role === 'admin' ? (
            finished ? (
              <PostForm action={`/runs/${run.id}/approve`} csrf={csrf} class="inline">
                {' '}
                <button type="submit" id="approve-run">
                  Approve: run it with the application's variables
                </button>
              </PostForm>
            ) : (
              ' An admin can approve it once it has finished.'
            )
          ) : (
            ' An admin can approve it to run it with them.'
          )}
        </div>
      ) : null}
      {run.approvedBy ? (
        <div class="meta" id="run-approved">
          <span>
            approved by <b>{run.approvedBy}</b>
            {run.approvedAt ? <> on {formatTime(run.approvedAt)}</> : null}
          </span>
        </div>
      ) : null}
      {run.forgeStatusError ? (
        <div class="error" id="run-forge-status-error">
          Commit status not delivered: {run.forgeStatusError}. Check the forge settings of the application (token, repository, API address).
        </div>
      ) : null}
    </>
  );
};

/**
 * The same shape the live log (client/live-log.ts) makes for steps it learns of later (keep them in step).
 * A failed run's failed step offers "Retry from this step" (the snapshot its runner kept; docs/wercker-compat.md §8.4).
 */
const StepSection: FC<{ step: RunStep; retry?: { runId: number; csrf: string } | undefined }> = ({ step, retry }) => (
  <details data-key={stepKey(step.phase, step.step)} data-state={step.status} open={step.status !== 'passed'}>
    <summary>
      <span class="state"></span>
      <span class="name">{step.name}</span>
      {step.phase === 'after' ? <span class="phase">after-step</span> : null}
      <span class="duration">{formatDuration(step.durationMs)}</span>
    </summary>
    {retry ? (
      <PostForm action={`/runs/${retry.runId}/retry`} csrf={retry.csrf} class="inline step-retry">
        <input type="hidden" name="fromStep" value={step.name} />
        <button type="submit" class="secondary">Retry from this step</button>
      </PostForm>
    ) : null}
    <pre class="output"></pre>
  </details>
);

/**
 * A terminal into the failed step's box while its runner holds it (client/terminal.ts): the
 * button asks for a one-time ticket, then the socket opens. Hidden once the run ends.
 */
const TerminalPanel: FC<{ runId: number; csrf: string; minutes: number }> = ({ runId, csrf, minutes }) => (
  <section id="terminal" class="terminal" data-ticket={`/api/runs/${runId}/terminal`} data-csrf={csrf} data-state="idle" data-while-active>
    <p class="muted">
      When a step fails, its runner keeps the box for {minutes} min: open a shell in it, in the step's directory with its environment (protected values are masked in what it shows).{' '}
      <button type="button" id="terminal-open" class="secondary">Open a terminal</button> <span id="terminal-status"></span>
    </p>
    <div id="terminal-screen" class="terminal-screen" hidden></div>
  </section>
);
