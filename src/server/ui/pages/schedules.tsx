import type { FC } from 'hono/jsx';
import type { Application, PipelineList, Schedule } from '../../context.ts';
import { wallClock } from '../../schedule-times.ts';
import { ErrorBox, PostForm, Section, StatusBadge, formatTime } from '../components.tsx';

/** A schedule form that came back refused: what was typed, why, and where in the expression (1-based column). */
export interface ScheduleFormState {
  /** 'new', or the id of the schedule being edited. */
  target: 'new' | number;
  values: Record<string, string>;
  error: string;
  column?: number;
}

export interface SchedulesProps {
  app: Application;
  csrf: string;
  manage: boolean;
  schedules: Schedule[];
  pipelines: PipelineList;
  scheduleForm?: ScheduleFormState | undefined;
}

/** The application's schedules: when each runs next and what its last occurrence queued; maintainers add, edit and delete them. */
export const Schedules: FC<SchedulesProps> = (props) => (
  <Section title="Schedules" id="schedules">
    {props.schedules.length ? (
      <table id="schedule-list">
        <thead>
          <tr>
            <th>Name</th>
            <th>When</th>
            <th>Branch</th>
            <th>Pipeline</th>
            <th>Last run</th>
            <th>Next run</th>
          </tr>
        </thead>
        <tbody>
          {props.schedules.map((s) => <ScheduleRow {...props} schedule={s} />)}
        </tbody>
      </table>
    ) : (
      <p class="muted">No schedules yet.</p>
    )}
    {props.manage ? <NewSchedule {...props} /> : <p class="muted">Only this application's maintainers and admins add or change its schedules.</p>}
  </Section>
);

const ScheduleRow: FC<SchedulesProps & { schedule: Schedule }> = ({ schedule: s, ...props }) => (
  <tr data-schedule={s.name}>
    <td>
      <b>{s.name}</b>
      {props.manage ? <EditSchedule {...props} schedule={s} /> : null}
    </td>
    <td>
      <code class="expression">{s.expression}</code> <span class="muted time-zone">{s.timeZone}</span>
    </td>
    <td class="mono">{s.branch}</td>
    <td class="mono">{s.pipeline}</td>
    <td class="last-run">
      {s.lastRun ? (
        <>
          <a href={`/runs/${s.lastRun.id}`}>#{s.lastRun.id}</a> {s.lastRun.status ? <StatusBadge status={s.lastRun.status} /> : null}
        </>
      ) : s.lastError ? (
        <span class="error-text" title={s.lastOccurrenceAt ?? ''}>no run: {s.lastError}</span>
      ) : (
        <span class="muted">none yet</span>
      )}
    </td>
    <td class="next-run">
      {s.nextRunAt ? (
        <>
          {wallClock(s.nextRunAt, s.timeZone)} <span class="muted">{s.timeZone}</span>
          <div class="muted">{formatTime(s.nextRunAt)}</div>
        </>
      ) : (
        <span class="muted">{s.enabled ? 'never' : 'disabled'}</span>
      )}
    </td>
  </tr>
);

const EditSchedule: FC<SchedulesProps & { schedule: Schedule }> = ({ schedule: s, ...props }) => {
  const refused = props.scheduleForm?.target === s.id ? props.scheduleForm : undefined;
  const values = refused?.values ?? { name: s.name, expression: s.expression, timeZone: s.timeZone, branch: s.branch, pipeline: s.pipeline, enabled: s.enabled ? 'on' : '' };
  return (
    <details open={Boolean(refused)}>
      <summary>Edit</summary>
      <PostForm action={`/apps/${props.app.id}/schedules/${s.id}`} csrf={props.csrf} class="schedule-form">
        <ScheduleFields {...props} values={values} refused={refused} />
        <button type="submit">Save</button>
      </PostForm>
      <PostForm action={`/apps/${props.app.id}/schedules/${s.id}/delete`} csrf={props.csrf} class="inline">
        <button type="submit" class="danger">Delete</button>
      </PostForm>
    </details>
  );
};

const NewSchedule: FC<SchedulesProps> = (props) => {
  const refused = props.scheduleForm?.target === 'new' ? props.scheduleForm : undefined;
  const values = refused?.values ?? { timeZone: 'UTC', branch: props.app.defaultBranch, enabled: 'on' };
  return (
    <>
      <h2 style="margin-top: 1rem">Add a schedule</h2>
      <PostForm action={`/apps/${props.app.id}/schedules`} csrf={props.csrf} id="new-schedule" class="schedule-form">
        <ScheduleFields {...props} values={values} refused={refused} />
        <button type="submit">Add schedule</button>
      </PostForm>
      <p class="muted">
        Five fields (minute hour day-of-month month day-of-week, e.g. <code>0 3 * * MON-FRI</code>) or a keyword (<code>@hourly</code>,{' '}
        <code>@daily</code>, <code>@weekly</code>, <code>@monthly</code>, <code>@yearly</code>), read in the time zone given. Each occurrence
        queues one run at the branch's newest commit; an occurrence missed while the server was down runs once when it is back.
      </p>
    </>
  );
};

const ScheduleFields: FC<SchedulesProps & { values: Record<string, string>; refused: ScheduleFormState | undefined }> = ({ values, refused, pipelines }) => (
  <>
    {refused ? <ErrorBox message={refused.error} /> : null}
    {refused?.column !== undefined ? <ErrorCaret expression={values.expression ?? ''} column={refused.column} /> : null}
    <div class="row">
      <label>
        Name
        <input name="name" required value={values.name ?? ''} placeholder="nightly" autocomplete="off" />
      </label>
      <label>
        Cron expression
        <input name="expression" required value={values.expression ?? ''} placeholder="0 3 * * *" autocomplete="off" class="mono" />
      </label>
      <label>
        Time zone
        <input name="timeZone" value={values.timeZone ?? 'UTC'} placeholder="Europe/Berlin" autocomplete="off" />
      </label>
      <label>
        Branch
        <input name="branch" value={values.branch ?? ''} autocomplete="off" />
      </label>
      <PipelineSelect pipelines={pipelines} selected={values.pipeline} />
      <label class="check">
        <input type="checkbox" name="enabled" value="on" checked={values.enabled === 'on'} /> enabled
      </label>
    </div>
  </>
);

/** The pipelines and workflows of wercker.yml; a schedule's own choice stays listed even when the file no longer names it. */
const PipelineSelect: FC<{ pipelines: PipelineList; selected: string | undefined }> = ({ pipelines, selected }) => {
  const choices = [...pipelines.pipelines, ...pipelines.workflows.map((w) => `workflow:${w.name}`)];
  if (selected && !choices.includes(selected)) choices.push(selected);
  return (
    <label>
      Pipeline
      <select name="pipeline">
        {choices.map((p) => (
          <option value={p} selected={p === selected}>
            {p}
          </option>
        ))}
      </select>
    </label>
  );
};

/** The refused expression with a caret under the character at fault. */
const ErrorCaret: FC<{ expression: string; column: number }> = ({ expression, column }) => (
  <pre class="cron-caret" aria-label={`the error is at character ${column}`}>
    {expression}
    {'\n'}
    {`${' '.repeat(Math.max(0, column - 1))}^`}
  </pre>
);
