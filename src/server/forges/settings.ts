import { createPrivateKey } from 'node:crypto';
import type { Store } from '../../store/db.ts';
import { forgeRow, saveForgeRow, type ForgeFields, type ForgeRow } from '../../store/forges.ts';
import { requireApplication, requireManagedApplication } from '../applications.ts';
import { InputError, type ForgeSettings, type ForgeSettingsInput, type ServerContext } from '../context.ts';
import { FORGE_KINDS, type ForgeConnection, type ForgeKind, type GitHubAppCredentials } from './forge.ts';
import { forgeOf } from './registry.ts';

export const DEFAULT_PR_PIPELINE = 'build';
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const PIPELINE = /^(workflow:)?[A-Za-z0-9_.-]{1,100}$/;

type SettingsMembers = Pick<ServerContext, 'getForgeSettings' | 'setForgeSettings'> & {
  /** What the application's pull requests run (`build` unless set). */
  pullRequestPipeline(appId: number): Promise<string>;
  /** The forge to post the application's statuses to, with its token; undefined when not fully set. */
  forgeConnection(appId: number): Promise<ForgeConnection | undefined>;
};

/**
 * An application's forge (commit statuses) and the pipeline its pull requests run. Anyone reads
 * the settings (the token and App key never: `tokenSet`, `privateKeySet` only); its maintainers and admins change them.
 */
export function forgeSettingsService(store: Store): SettingsMembers {
  return {
    async getForgeSettings(appId) {
      await requireApplication(store, appId);
      return toSettings(await forgeRow(store, appId));
    },
    async setForgeSettings(appId, input, by) {
      await requireManagedApplication(store, appId, by, 'change its forge settings');
      return toSettings(await saveForgeRow(store, appId, checkInput(input)));
    },
    pullRequestPipeline: async (appId) => (await forgeRow(store, appId))?.pr_pipeline ?? DEFAULT_PR_PIPELINE,
    forgeConnection: async (appId) => connectionOf(await forgeRow(store, appId)),
  };
}

/** The forge and its credentials: a token, or (GitHub) an App's id, installation and key, the App preferred. */
function connectionOf(r: ForgeRow | undefined): ForgeConnection | undefined {
  if (!r?.kind || !r.api_url || !r.owner || !r.repo) return undefined;
  const base = { kind: r.kind as ForgeKind, apiUrl: r.api_url, owner: r.owner, repo: r.repo, ...(r.token ? { token: r.token } : {}) };
  const githubApp = r.kind === 'github' ? appCredentialsOf(r) : undefined;
  if (githubApp) return { ...base, githubApp };
  return r.token ? base : undefined;
}

function appCredentialsOf(r: ForgeRow): GitHubAppCredentials | undefined {
  const { github_app_id: appId, github_installation_id: installationId, github_private_key: privateKey } = r;
  return appId && installationId && privateKey ? { appId, installationId, privateKey } : undefined;
}

function toSettings(r: ForgeRow | undefined): ForgeSettings {
  return {
    kind: (r?.kind as ForgeKind | null | undefined) ?? null, apiUrl: r?.api_url ?? null, owner: r?.owner ?? null, repo: r?.repo ?? null,
    tokenSet: Boolean(r?.token), pullRequestPipeline: r?.pr_pipeline ?? DEFAULT_PR_PIPELINE,
    appId: r?.github_app_id ?? null, installationId: r?.github_installation_id ?? null, privateKeySet: Boolean(r?.github_private_key),
  };
}

/** The fields to store, each checked; an error names the field and what it takes. */
function checkInput(input: ForgeSettingsInput): ForgeFields {
  const fields: ForgeFields = {};
  if (input.pullRequestPipeline !== undefined) fields.pr_pipeline = checkPipeline(input.pullRequestPipeline.trim() || DEFAULT_PR_PIPELINE);
  if (input.kind !== undefined) Object.assign(fields, checkForge(input));
  if (input.clearToken) fields.token = null;
  else if (input.token?.trim()) fields.token = checkToken(input.token.trim());
  return { ...fields, ...checkAppInput(input) };
}

/** GitHub App credentials: ids are numbers, the key an RSA private key in PEM; `clearApp` removes all three. */
function checkAppInput(input: ForgeSettingsInput): ForgeFields {
  if (input.clearApp) return { github_app_id: null, github_installation_id: null, github_private_key: null };
  const fields: ForgeFields = {};
  const appId = input.appId?.trim(), installationId = input.installationId?.trim(), key = input.privateKey?.trim();
  if (!appId && !installationId && !key) return fields;
  if (input.kind !== undefined && input.kind?.trim() !== 'github') throw new InputError('"appId": GitHub App credentials are for the GitHub forge only (set "kind": "github", or use "token")');
  if (appId) fields.github_app_id = checkNumericId('appId', appId);
  if (installationId) fields.github_installation_id = checkNumericId('installationId', installationId);
  if (key) fields.github_private_key = checkPrivateKey(key);
  return fields;
}

function checkNumericId(field: 'appId' | 'installationId', value: string): string {
  if (!/^[1-9][0-9]{0,18}$/.test(value)) throw new InputError(`"${field}": ${JSON.stringify(value.slice(0, 40))} is not a number (the GitHub App's settings page shows it)`);
  return value;
}

/** An RSA private key in PEM, as GitHub hands it out when an App's key is generated. Never echoed in errors. */
function checkPrivateKey(pem: string): string {
  const wrong = '"privateKey": give the GitHub App\'s private key as GitHub downloads it (a PEM file starting "-----BEGIN RSA PRIVATE KEY-----")';
  if (!/^-----BEGIN (RSA )?PRIVATE KEY-----\r?\n[\s\S]+\r?\n-----END (RSA )?PRIVATE KEY-----$/.test(pem)) throw new InputError(wrong);
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch {
    throw new InputError(`${wrong}: this one cannot be read`);
  }
  if (type !== 'rsa') throw new InputError(`${wrong}: this is a ${type ?? 'non-RSA'} key, GitHub signs with RSA`);
  return `${pem}\n`;
}

function checkPipeline(name: string): string {
  if (!PIPELINE.test(name)) throw new InputError(`"pullRequestPipeline": ${JSON.stringify(name)} is not a pipeline name (letters, digits, "_.-") or workflow:NAME`);
  return name;
}

function checkForge(input: ForgeSettingsInput): ForgeFields {
  const kind = input.kind?.trim() || null;
  if (kind === null) return { kind: null, api_url: null, owner: null, repo: null, token: null, github_app_id: null, github_installation_id: null, github_private_key: null };
  if (!FORGE_KINDS.includes(kind as ForgeKind)) throw new InputError(`"kind": ${JSON.stringify(kind)} is not a forge werker knows (${FORGE_KINDS.join(', ')})`);
  const forge = forgeOf(kind);
  if (!forge) throw new InputError(`"kind": ${kind} is not supported by this server yet`);
  const [owner, repo] = input.repository?.trim() ? input.repository.trim().split('/', 2) : [input.owner?.trim(), input.repo?.trim()];
  if (!owner || !NAME.test(owner) || !repo || !NAME.test(repo)) throw new InputError('"repository": give the repository on the forge as owner/name (letters, digits, "_.-")');
  return { kind, api_url: checkApiUrl(input.apiUrl?.trim() || forge.defaultApiUrl), owner, repo };
}

function checkApiUrl(value: string | undefined): string {
  if (!value) throw new InputError('"apiUrl": this forge has no default API address; give its REST API root (https://gitea.example.com/api/v1)');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`"apiUrl": ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError(`"apiUrl": must be http(s), not ${url.protocol}`);
  if (url.username || url.password) throw new InputError('"apiUrl": put the credentials in "token", not in the URL');
  return value.replace(/\/+$/, '');
}

function checkToken(token: string): string {
  if (/[\s\0]/.test(token)) throw new InputError('"token": a token has no spaces, newlines or NUL bytes');
  return token;
}
