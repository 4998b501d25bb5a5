import type { FC } from 'hono/jsx';
import type { Application, ForgeSettings } from '../../context.ts';
import { PostForm, Section } from '../components.tsx';

/** The forge's name as its users write it (the select below shows the same). */
const FORGE_NAMES: Record<NonNullable<ForgeSettings['kind']>, string> = { github: 'GitHub', gitea: 'Gitea / Forgejo' };

export interface ForgeSectionProps {
  app: Application;
  forge: ForgeSettings;
  csrf: string;
  manage: boolean;
}

/** Whether statuses go out as a GitHub App (all three set: the App wins over a token). */
const appSet = (f: ForgeSettings) => f.kind === 'github' && Boolean(f.appId && f.installationId && f.privateKeySet);

/**
 * The forge commit statuses go to, and what a pull request runs. The token and a GitHub App's
 * private key are write-only like a protected variable: the page says whether one is stored,
 * never what it is.
 */
export const ForgeSection: FC<ForgeSectionProps> = ({ app, forge, csrf, manage }) => (
  <Section title="Forge: commit statuses and pull requests" id="forge">
    <p class="muted">
      {forge.kind && forge.owner && forge.repo ? (
        <>
          Statuses go to <b class="mono">{`${forge.owner}/${forge.repo}`}</b> on {FORGE_NAMES[forge.kind]} (<span class="mono">{forge.apiUrl}</span>),
          {appSet(forge) ? (
            <>
              as GitHub App <b class="mono" id="forge-app-set">{forge.appId}</b> (installation <span class="mono">{forge.installationId}</span>, private key stored)
            </>
          ) : (
            <>token {forge.tokenSet ? <b id="forge-token-set">set</b> : <b id="forge-token-missing">not set (no statuses are posted)</b>}</>
          )}
          .
        </>
      ) : (
        'No forge set: runs post no commit statuses.'
      )}{' '}
      A pull request runs <b class="mono" id="forge-pr-pipeline">{forge.pullRequestPipeline}</b>; one from a fork runs without protected variables until an admin approves it.
    </p>
    {manage ? <ForgeForm app={app} forge={forge} csrf={csrf} /> : null}
  </Section>
);

const ForgeForm: FC<Omit<ForgeSectionProps, 'manage'>> = ({ app, forge, csrf }) => (
  <PostForm action={`/apps/${app.id}/forge`} csrf={csrf} id="forge-settings">
    <div class="row">
      <label>
        Forge
        <select name="kind">
          <option value="" selected={!forge.kind}>none</option>
          <option value="github" selected={forge.kind === 'github'}>GitHub</option>
          <option value="gitea" selected={forge.kind === 'gitea'}>Gitea / Forgejo</option>
        </select>
      </label>
      <label>
        Repository (owner/name)
        <input name="repository" value={forge.owner && forge.repo ? `${forge.owner}/${forge.repo}` : ''} placeholder="acme/shop" autocomplete="off" />
      </label>
      <label>
        API address
        <input name="apiUrl" value={forge.apiUrl ?? ''} placeholder="https://api.github.com" autocomplete="off" />
      </label>
    </div>
    <div class="row">
      <label>
        Token {forge.tokenSet ? '(stored; leave empty to keep it)' : ''}
        <input name="token" type="password" autocomplete="new-password" placeholder={forge.tokenSet ? '••••••••' : 'a token that may write commit statuses'} />
      </label>
      {forge.tokenSet ? (
        <label class="check">
          <input type="checkbox" name="clearToken" /> remove the stored token
        </label>
      ) : null}
      <label>
        Pull request pipeline
        <input name="pullRequestPipeline" value={forge.pullRequestPipeline} placeholder="build" autocomplete="off" />
      </label>
      <button type="submit">Save forge settings</button>
    </div>
    <GitHubAppFields forge={forge} />
  </PostForm>
);

/** A GitHub App instead of a token: its id, the installation's id, its private key (PEM, write-only). */
const GitHubAppFields: FC<{ forge: ForgeSettings }> = ({ forge }) => (
  <div class="row" id="forge-github-app">
    <label>
      GitHub App id
      <input name="appId" value={forge.appId ?? ''} placeholder="123456" inputmode="numeric" autocomplete="off" />
    </label>
    <label>
      Installation id
      <input name="installationId" value={forge.installationId ?? ''} placeholder="7654321" inputmode="numeric" autocomplete="off" />
    </label>
    <label>
      App private key {forge.privateKeySet ? '(stored; leave empty to keep it)' : '(PEM)'}
      <textarea name="privateKey" rows={2} autocomplete="off" placeholder={forge.privateKeySet ? '••••••••' : 'the .pem file GitHub gave for the App'}></textarea>
    </label>
    {forge.appId || forge.installationId || forge.privateKeySet ? (
      <label class="check">
        <input type="checkbox" name="clearApp" /> remove the GitHub App credentials
      </label>
    ) : null}
  </div>
);
