import { UsageError, WerkerError } from '../../errors.ts';
import type { RunEvent } from '../../engine/events.ts';
import { lineReporter } from '../../report/reporters.ts';
import type { Run } from '../../server/context.ts';
import type { Output } from '../output.ts';
import { branchNameProblem } from '../../server/branch-name.ts';

export interface RemoteFlags {
  server?: string;
  token?: string;
  branch?: string;
  commit?: string;
  pipeline?: string;
  workflow?: string;
  follow: boolean;
}

/**
 * `werker remote build|deploy APP`: queues a run on a werker server through its API and prints
 * its live log to the end. Exit code: 0 passed, 1 failed, 130 cancelled. The token comes from
 * --token or WERKER_TOKEN, and travels only in the Authorization header.
 */
export async function remoteCommand(kind: 'build' | 'deploy', app: string, flags: RemoteFlags, out: Output): Promise<number> {
  const server = (flags.server ?? process.env.WERKER_SERVER)?.replace(/\/+$/, '');
  const token = flags.token ?? process.env.WERKER_TOKEN;
  if (!server) throw new UsageError('werker remote needs --server URL (or WERKER_SERVER)');
  if (!token) throw new UsageError('werker remote needs an API token', { hint: 'WERKER_TOKEN=… (make one in the web UI, POST /api/tokens, or `werker server --create-token NAME --user U`)' });
  const badBranch = flags.branch === undefined ? undefined : branchNameProblem(flags.branch);
  if (badBranch) throw new UsageError(`--branch ${JSON.stringify(flags.branch)} is not a valid branch name (git check-ref-format): ${badBranch}`);
  const headers = { authorization: `Bearer ${token}` };
  const pipeline = flags.workflow ? `workflow:${flags.workflow}` : (flags.pipeline ?? kind);
  const res = await fetch(`${server}/api/applications/${encodeURIComponent(app)}/runs`, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ pipeline, trigger: 'cli', ...(flags.branch ? { branch: flags.branch } : {}), ...(flags.commit ? { commit: flags.commit } : {}) }),
  }).catch((err: Error) => {
    throw new WerkerError(`could not reach ${server}: ${err.message}`, 3, { hint: 'is `werker server` running there?' });
  });
  const body = (await res.json().catch(() => ({}))) as { run?: Run; error?: string };
  if (!res.ok || !body.run) {
    const auth = res.status === 401 || res.status === 403;
    throw new WerkerError(`the server refused: ${body.error ?? `HTTP ${res.status}`}`, auth ? 2 : 1, { hint: refusedHint(res.status, app, server) });
  }
  const run = body.run;
  out.stderr(`--> run ${run.id}: ${run.applicationName} ${run.pipeline} on ${run.branch} at ${run.commit.slice(0, 12)} (${server}/runs/${run.id})`);
  if (!flags.follow) {
    out.stdout(String(run.id));
    return 0;
  }
  let status = await followRun(server, headers, run.id, out);
  out.stderr(`--> run ${run.id} ${status}`);
  // A workflow goes on after each passed run: follow its next runs too, in order.
  const followed = new Set([run.id]);
  while (status === 'passed' && run.workflowRunId !== null) {
    const next = await nextWorkflowRun(server, headers, app, run.workflowRunId, followed);
    if (!next) break;
    followed.add(next.id);
    out.stderr(`--> run ${next.id}: ${next.pipeline} of workflow ${next.workflow ?? ''}`);
    status = await followRun(server, headers, next.id, out);
    out.stderr(`--> run ${next.id} ${status}`);
  }
  return status === 'passed' ? 0 : status === 'cancelled' ? 130 : 1;
}

/** What to do about a refused trigger, by the answer's status. */
function refusedHint(status: number, app: string, server: string): string {
  if (status === 401 || status === 403) return 'check the token: a user token (not a runner token), not revoked; make one in the web UI or with `werker server --create-token NAME --user U`';
  if (status === 404) return `is ${app} registered on the server? See ${server}/apps`;
  if (status >= 500) return 'the server log has the details';
  return `check --branch, --commit, --pipeline and --workflow against ${server}/apps/${encodeURIComponent(app)}`;
}

/** The workflow's next run not followed yet; the server queues it as the previous one finishes, so wait a moment. */
async function nextWorkflowRun(server: string, headers: Record<string, string>, app: string, group: number, followed: Set<number>): Promise<Run | undefined> {
  for (let i = 0; i < 10; i++) {
    // A failed request is one more try, as a queue still without the next run is.
    const res = await fetch(`${server}/api/applications/${encodeURIComponent(app)}/runs?limit=50`, { headers }).catch(() => undefined);
    if (res?.ok) {
      const { runs } = (await res.json()) as { runs: Run[] };
      const next = runs.filter((r) => r.workflowRunId === group && !followed.has(r.id)).sort((a, b) => a.id - b.id)[0];
      if (next) return next;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return undefined;
}

/** Reads the run's SSE stream to run.finished, reconnecting from the last seq if the connection drops. */
export async function followRun(server: string, headers: Record<string, string>, runId: number, out: Output): Promise<string> {
  const show = lineReporter((t) => out.write(t), out.color);
  let last = 0;
  // 30 connections in a row that bring nothing new give up; one that brings events starts the count again.
  for (let fruitless = 0; fruitless < 30; ) {
    const before = last;
    try {
      const res = await fetch(`${server}/api/runs/${runId}/events`, { headers: { ...headers, accept: 'text/event-stream', ...(last ? { 'last-event-id': String(last) } : {}) } });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (!data) continue;
          const event = JSON.parse(data) as RunEvent;
          last = event.seq;
          show(event);
          if (event.type === 'run.finished') return event.status;
        }
      }
    } catch (err) {
      out.stderr(`(log stream interrupted: ${(err as Error).message}; reconnecting)`);
    }
    fruitless = last > before ? 0 : fruitless + 1;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new WerkerError(`lost the log of run ${runId}`, 1, { hint: `see ${server}/runs/${runId}` });
}
