import type { FC } from 'hono/jsx';
import type { Run } from '../../context.ts';
import { StatusBadge, formatDuration, formatTime, shortCommit } from '../components.tsx';

/** Run history rows, newest first; the application column only where runs of many are mixed. */
export const RunTable: FC<{ runs: Run[]; showApplication: boolean }> = ({ runs, showApplication }) =>
  runs.length === 0 ? (
    <p class="muted">No runs yet.</p>
  ) : (
    <table class="runs">
      <thead>
        <tr>
          <th>Run</th>
          {showApplication ? <th>Application</th> : null}
          <th>Pipeline</th>
          <th>Branch</th>
          <th>Commit</th>
          <th>Status</th>
          <th>Started by</th>
          <th>Created</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr data-run={run.id}>
            <td>
              <a href={`/runs/${run.id}`}>#{run.id}</a>
            </td>
            {showApplication ? (
              <td>
                <a href={`/apps/${run.applicationId}`}>{run.applicationName}</a>
              </td>
            ) : null}
            <td>
              {run.pipeline}
              {run.workflow ? <span class="muted"> ({run.workflow})</span> : null}
            </td>
            <td class="mono">{run.branch}</td>
            <td class="mono">{shortCommit(run.commit)}</td>
            <td>
              <StatusBadge status={run.status} />
            </td>
            <td class="muted">
              {run.trigger}: {run.triggeredBy}
            </td>
            <td class="muted">{formatTime(run.createdAt)}</td>
            <td class="mono">{formatDuration(run.durationMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
