import type { FC } from 'hono/jsx';
import type { Application, NotificationRule } from '../../context.ts';
import { PostForm, Section, formatTime } from '../components.tsx';

export interface NotificationsProps {
  app: Application;
  csrf: string;
  /** Undefined when the user does not manage the application (the rules are for its maintainers and admins). */
  rules: NotificationRule[] | undefined;
  emailEnabled: boolean;
  pipelines: string[];
  /** A signing secret the server just made: shown this once. */
  madeSecret?: { ruleId: number; secret: string } | undefined;
}

const WHEN_TEXT: Record<NotificationRule['when'], string> = { failure: 'a run fails', recovery: 'a run passes after a failure', always: 'any run ends' };
const CHANNEL_TEXT: Record<NotificationRule['channel'], string> = { webhook: 'signed webhook', slack: 'Slack-compatible webhook', email: 'email' };

/** The notifications section of the application page: its rules with their last delivery, and a form for a new one. */
export const Notifications: FC<NotificationsProps> = (props) => (
  <Section title="Notifications" id="notifications">
    {props.rules === undefined ? (
      <p class="muted">Only this application's maintainers and admins see or change its notifications.</p>
    ) : (
      <>
        {props.madeSecret ? <MadeSecret {...props.madeSecret} /> : null}
        {props.rules.length ? <RuleTable app={props.app} csrf={props.csrf} rules={props.rules} /> : <p class="muted">No notification rules yet.</p>}
        <NewRule {...props} />
      </>
    )}
  </Section>
);

const MadeSecret: FC<{ ruleId: number; secret: string }> = ({ ruleId, secret }) => (
  <div class="notice" role="status">
    Signing secret of rule {ruleId}: <code id="notification-secret">{secret}</code>{' '}
    <button type="button" class="secondary" data-copy="notification-secret">
      Copy
    </button>
    <div class="muted">Copy it now into the receiver: it is not shown again.</div>
  </div>
);

const RuleTable: FC<{ app: Application; csrf: string; rules: NotificationRule[] }> = ({ app, csrf, rules }) => (
  <table id="notification-list">
    <thead>
      <tr>
        <th>When</th>
        <th>Pipelines · branches</th>
        <th>Sends to</th>
        <th>Last delivery</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      {rules.map((r) => (
        <tr data-rule={r.id}>
          <td>{WHEN_TEXT[r.when]}</td>
          <td>
            {r.pipelines.length ? r.pipelines.join(', ') : <span class="muted">all</span>} · {r.branches.length ? r.branches.join(', ') : <span class="muted">all</span>}
          </td>
          <td>
            {CHANNEL_TEXT[r.channel]} <span class="mono">{r.target}</span>
          </td>
          <td data-delivery={r.lastDelivery?.status ?? 'none'}>
            {r.lastDelivery ? (
              <>
                <b>{r.lastDelivery.status}</b> <a href={`/runs/${r.lastDelivery.runId}`}>run #{r.lastDelivery.runId}</a>, {r.lastDelivery.attempts} attempt(s)
                <div class="muted">
                  {r.lastDelivery.detail} · {formatTime(r.lastDelivery.at)}
                </div>
              </>
            ) : (
              <span class="muted">nothing sent yet</span>
            )}
          </td>
          <td>
            <PostForm action={`/apps/${app.id}/notifications/${r.id}/delete`} csrf={csrf} class="inline">
              <button type="submit" class="danger">Delete</button>
            </PostForm>
          </td>
        </tr>
      ))}
    </tbody>
  </table>
);

const NewRule: FC<NotificationsProps> = ({ app, csrf, emailEnabled, pipelines }) => (
  <>
    <h2 style="margin-top: 1rem">Add a rule</h2>
    <PostForm action={`/apps/${app.id}/notifications`} csrf={csrf} id="new-notification">
      <div class="row">
        <label>
          When
          <select name="when">
            <option value="failure">a run fails</option>
            <option value="recovery">a run passes after a failure</option>
            <option value="always">any run ends</option>
          </select>
        </label>
        <label>
          Pipelines
          <input name="pipelines" placeholder={pipelines.join(', ') || 'all'} autocomplete="off" />
        </label>
        <label>
          Branches
          <input name="branches" placeholder="all (or main, release/*)" autocomplete="off" />
        </label>
      </div>
      <div class="row" style="margin-top: .5rem">
        <label>
          Send as
          <select name="channel">
            <option value="webhook">signed webhook (JSON)</option>
            <option value="slack">Slack-compatible webhook</option>
            {emailEnabled ? <option value="email">email</option> : null}
          </select>
        </label>
        <label style="flex: 1">
          Webhook URL
          <input name="url" type="url" placeholder="https://…" autocomplete="off" style="width: 100%" />
        </label>
        {emailEnabled ? (
          <label style="flex: 1">
            Email recipients
            <input name="recipients" placeholder="dev@example.com, ops@example.com" autocomplete="off" style="width: 100%" />
          </label>
        ) : null}
        <label>
          Signing secret
          <input name="secret" type="password" placeholder="made by the server" autocomplete="new-password" />
        </label>
        <button type="submit">Add rule</button>
      </div>
    </PostForm>
    <p class="muted">
      Empty pipelines or branches: all. A webhook gets the run as JSON, signed with HMAC-SHA256 of the body under the rule's secret
      (<code>X-Werker-Signature: sha256=…</code>, with <code>X-Werker-Delivery</code> and <code>X-Werker-Timestamp</code>, also inside
      the signed body, to refuse replays). A Slack-compatible webhook (Slack, Mattermost, Rocket.Chat) gets a message. The URL and the
      secret are write-only: only the URL's host is shown again.
      {emailEnabled ? null : ' Email needs the server started with --smtp-host and --smtp-from.'}
    </p>
  </>
);
