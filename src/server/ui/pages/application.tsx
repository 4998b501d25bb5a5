import type { FC } from 'hono/jsx';
import type { Application, ForgeSettings, KeyPair, NotificationRule, PipelineList, RunPage, Schedule, User, Variable } from '../../context.ts';
import { ErrorBox, Layout, PostForm, Section, formatTime } from '../components.tsx';
import { Notifications } from './notifications.tsx';
import { ForgeSection } from './forge-settings.tsx';
import { Badges } from './badges.tsx';
import { RunTable } from './run-table.tsx';
import { Schedules, type ScheduleFormState } from './schedules.tsx';

export interface ApplicationProps {
  user: User;
  csrf: string;
  app: Application;
  pipelines: PipelineList;
  variables: Variable[];
  keyPairs: KeyPair[];
  runs: RunPage;
  /** The history page being shown (`?before=`); undefined for the newest. */
  before: number | undefined;
  /** Undefined `secret` when the user does not manage the application (only its maintainers and admins see it). */
  webhook: { url: string; secret?: string };
  /** Where commit statuses go and what pull requests run (the token never: only whether one is set). */
  forge: ForgeSettings;
  /** The user manages the application (variables, key pairs, webhook secret): else those forms are not drawn (the core would refuse them). */
  manage: boolean;
  /** The notification rules (undefined when the user does not manage the application), and whether the server sends email. */
  notifications?: { rules: NotificationRule[] | undefined; emailEnabled: boolean; madeSecret?: { ruleId: number; secret: string } | undefined };
  schedules: Schedule[];
  /** A schedule form refused: drawn again with what was typed and the error (in the form, not at the top). */
  scheduleForm?: ScheduleFormState | undefined;
  /** The server's public URL, for the badges' Markdown. */
  baseUrl: string;
  error?: string;
}

export const ApplicationPage: FC<ApplicationProps> = (props) => (
  <Layout title={props.app.name} user={props.user} csrf={props.csrf}>
    <div class="crumbs">
      <a href="/apps">Applications</a> /
    </div>
    <h1>{props.app.name}</h1>
    <div class="meta">
      <span>
        repository <b class="mono">{props.app.repository}</b>
      </span>
      <span>
        default branch <b class="mono">{props.app.defaultBranch}</b>
      </span>
      {props.app.private ? <span class="private">private</span> : null}
      {props.app.workflow ? (
        <span>
          a push starts workflow <b>{props.app.workflow}</b>
        </span>
      ) : null}
    </div>
    <ErrorBox message={props.error} />
    <Pipelines {...props} />
    <Section title="Runs" id="runs">
      <RunTable runs={props.runs.runs} showApplication={false} />
      <div class="pager">
        {props.before !== undefined ? <a href={`/apps/${props.app.id}#runs`}>Newest runs</a> : null}
        {props.runs.nextBefore !== null ? <a href={`/apps/${props.app.id}?before=${props.runs.nextBefore}#runs`}>Older runs</a> : null}
      </div>
    </Section>
    <Schedules {...props} />
    <Variables {...props} />
    <KeyPairs {...props} />
    <Webhook {...props} />
    {props.notifications ? (
      <Notifications app={props.app} csrf={props.csrf} pipelines={props.pipelines.pipelines} {...props.notifications} />
    ) : null}
    <ForgeSection app={props.app} forge={props.forge} csrf={props.csrf} manage={props.manage} />
    <Badges {...props} />
  </Layout>
);

const Pipelines: FC<ApplicationProps> = ({ app, pipelines, csrf }) => (
  <Section title="Pipelines" id="pipelines">
    {pipelines.problem ? <ErrorBox message={pipelines.problem} /> : null}
    <p class="muted">
      From <code>wercker.yml</code> on <span class="mono">{pipelines.ref}</span>
      {pipelines.commit ? <> at <span class="mono">{pipelines.commit.slice(0, 10)}</span></> : null}.
    </p>
    {pipelines.pipelines.length ? (
      <table id="pipeline-list">
        <tbody>
          {pipelines.pipelines.map((name) => (
            <tr data-pipeline={name}>
              <td class="mono">{name}</td>
              <td>
                <RunForm app={app} csrf={csrf} pipeline={name} label={`Run ${name}`} />
              </td>
            </tr>
          ))}
          {pipelines.workflows.map((wf) => (
            <tr data-workflow={wf.name}>
              <td>
                workflow <b>{wf.name}</b>
                <div class="muted">{wf.pipelines.map((p) => (p.requires.length ? `${p.name} after ${p.requires.join(', ')}` : p.name)).join(' · ')}</div>
              </td>
              <td>
                <RunForm app={app} csrf={csrf} pipeline={`workflow:${wf.name}`} label={`Start ${wf.name}`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    ) : null}
  </Section>
);

const RunForm: FC<{ app: Application; csrf: string; pipeline: string; label: string }> = (props) => (
  <PostForm action={`/apps/${props.app.id}/runs`} csrf={props.csrf} class="row">
    <input type="hidden" name="pipeline" value={props.pipeline} />
    <label>
      branch
      <input name="branch" value={props.app.defaultBranch} aria-label={`branch for ${props.pipeline}`} />
    </label>
    <button type="submit">{props.label}</button>
  </PostForm>
);

const Variables: FC<ApplicationProps> = ({ app, variables, pipelines, csrf, manage }) => (
  <Section title="Variables" id="variables">
    {variables.length ? (
      <table id="variable-list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Pipelines</th>
            <th>Value</th>
            <th>Updated</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {variables.map((v) => (
            <tr data-variable={v.name}>
              <td class="mono">{v.name}</td>
              <td>{v.pipeline ?? <span class="muted">all</span>}</td>
              {/* A protected value never leaves the core (value is null); nothing to show but the fact. */}
              <td class="mono">{v.protected || v.value === null ? <span class="protected">protected</span> : v.value}</td>
              <td class="muted">{formatTime(v.updatedAt)}</td>
              <td>
                {manage ? (
                  <PostForm action={`/apps/${app.id}/variables/${v.id}/delete`} csrf={csrf} class="inline">
                    <button type="submit" class="danger">Delete</button>
                  </PostForm>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    ) : (
      <p class="muted">No variables yet.</p>
    )}
    {manage ? <NewVariable app={app} pipelines={pipelines} csrf={csrf} /> : <NotManaged what="variables" />}
  </Section>
);

const NotManaged: FC<{ what: string }> = ({ what }) => (
  <p class="muted">Only this application's maintainers and admins see or change its {what}.</p>
);

const NewVariable: FC<Pick<ApplicationProps, 'app' | 'pipelines' | 'csrf'>> = ({ app, pipelines, csrf }) => (
  <>
    <h2 style="margin-top: 1rem">Set a variable</h2>
    <PostForm action={`/apps/${app.id}/variables`} csrf={csrf} id="new-variable">
      <div class="row">
        <label>
          Name
          <input name="name" required placeholder="DEPLOY_TOKEN" autocomplete="off" />
        </label>
        <label style="flex: 1">
          Value
          <input name="value" autocomplete="off" style="width: 100%" />
        </label>
        <label>
          Pipelines
          <select name="pipeline">
            <option value="">all</option>
            {pipelines.pipelines.map((p) => (
              <option value={p}>{p}</option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" name="protected" value="on" /> protected
        </label>
        <button type="submit">Save</button>
      </div>
    </PostForm>
    <p class="muted">
      A protected value is write-only: it is never shown again, and is masked as <code>***</code> in every log. Setting an existing
      name replaces its value. Runs get every value exactly as written: <code>$</code>, quotes and backquotes are not expanded.
    </p>
  </>
);

const KeyPairs: FC<ApplicationProps> = ({ app, keyPairs, csrf, manage }) => (
  <Section title="SSH key pairs" id="keys">
    {keyPairs.map((k) => (
      <div class="keypair" data-key-pair={k.name}>
        <div class="row" style="justify-content: space-between; align-items: center">
          <span>
            <b class="mono">{k.name}</b> <span class="muted mono">{k.fingerprint}</span>
          </span>
          <span class="actions">
            <button type="button" class="secondary" data-copy={`public-key-${k.id}`}>
              Copy public key
            </button>
            {manage ? (
              <PostForm action={`/apps/${app.id}/keys/${k.id}/delete`} csrf={csrf} class="inline">
                <button type="submit" class="danger">Delete</button>
              </PostForm>
            ) : null}
          </span>
        </div>
        <pre id={`public-key-${k.id}`}>{k.publicKey}</pre>
        <p class="muted">
          Pipelines get <code>{`${k.name}_PUBLIC`}</code> and <code>{`${k.name}_PRIVATE`}</code> (protected). Add the public key to
          the target's <code>authorized_keys</code>.
        </p>
      </div>
    ))}
    {manage ? (
      <PostForm action={`/apps/${app.id}/keys`} csrf={csrf} id="new-key-pair">
        <div class="row">
          <label>
            Name
            <input name="name" required placeholder="DEPLOY_KEY" autocomplete="off" />
          </label>
          <button type="submit">Generate ed25519 key pair</button>
        </div>
      </PostForm>
    ) : (
      <NotManaged what="key pairs" />
    )}
  </Section>
);

const Webhook: FC<ApplicationProps> = ({ webhook }) => (
  <Section title="Webhook" id="webhook">
    <p>
      Payload URL <code id="webhook-url">{webhook.url}</code>{' '}
      <button type="button" class="secondary" data-copy="webhook-url">
        Copy
      </button>
    </p>
    <p class="muted">
      Content type <code>application/json</code>, events <code>push</code> and <code>pull_request</code>. The secret goes in the webhook's secret field, never in
      the URL: each delivery is signed with it (<code>X-Hub-Signature-256</code>) and an unsigned one starts nothing.
    </p>
    {webhook.secret === undefined ? (
      <NotManaged what="webhook secret" />
    ) : (
      <details>
        <summary>Show the webhook secret</summary>
        <p>
          <code id="webhook-secret">{webhook.secret}</code>{' '}
          <button type="button" class="secondary" data-copy="webhook-secret">
            Copy
          </button>
        </p>
      </details>
    )}
  </Section>
);
