import type { Store } from '../../store/db.ts';
import { forgeRow, saveForgeRow, type ForgeFields, type ForgeRow } from '../../store/forges.ts';
import { requireApplication, requireManagedApplication } from '../applications.ts';
import { InputError, type ForgeSettings, type ForgeSettingsInput, type ServerContext } from '../context.ts';
import { FORGE_KINDS, type ForgeConnection, type ForgeKind } from './forge.ts';
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
 * the settings (the token never: `tokenSet` only); its maintainers and admins change them.
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
    async forgeConnection(appId) {
      const r = await forgeRow(store, appId);
      if (!r?.kind || !r.api_url || !r.owner || !r.repo || !r.token) return undefined;
      return { kind: r.kind as ForgeKind, apiUrl: r.api_url, owner: r.owner, repo: r.repo, token: r.token };
    },
  };
}

function toSettings(r: ForgeRow | undefined): ForgeSettings {
  return {
    kind: (r?.kind as ForgeKind | null | undefined) ?? null, apiUrl: r?.api_url ?? null, owner: r?.owner ?? null, repo: r?.repo ?? null,
    tokenSet: Boolean(r?.token), pullRequestPipeline: r?.pr_pipeline ?? DEFAULT_PR_PIPELINE,
  };
}

/** The fields to store, each checked; an error names the field and what it takes. */
function checkInput(input: ForgeSettingsInput): ForgeFields {
  const fields: ForgeFields = {};
  if (input.pullRequestPipeline !== undefined) fields.pr_pipeline = checkPipeline(input.pullRequestPipeline.trim() || DEFAULT_PR_PIPELINE);
  if (input.kind !== undefined) Object.assign(fields, checkForge(input));
  if (input.clearToken) fields.token = null;
  else if (input.token?.trim()) fields.token = checkToken(input.token.trim());
  return fields;
}

function checkPipeline(name: string): string {
  if (!PIPELINE.test(name)) throw new InputError(`"pullRequestPipeline": ${JSON.stringify(name)} is not a pipeline name (letters, digits, "_.-") or workflow:NAME`);
  return name;
}

function checkForge(input: ForgeSettingsInput): ForgeFields {
  const kind = input.kind?.trim() || null;
  if (kind === null) return { kind: null, api_url: null, owner: null, repo: null, token: null };
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
