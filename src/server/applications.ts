import { rm } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import {
  applicationNameTaken, deleteApplicationAndAll, deleteApplicationRow, findApplicationRow, getApplicationRow, insertApplication,
  listApplicationRows, setApplicationPrivate, setDefaultBranch, type AppRow,
} from '../store/applications.ts';
import type { Store } from '../store/db.ts';
import { insertMaintainer } from '../store/maintainers.ts';
import { outputPathsOf } from '../store/outputs.ts';
import type { SharedCache } from './cache.ts';
import { assertBranchName } from './branch-name.ts';
import { InputError, type Application, type NewApplication, type ServerContext, type User } from './context.ts';
import { newSecret } from './passwords.ts';
import { listPipelines } from './pipelines.ts';
import { requireManager } from './policy.ts';
import { checkRepository } from './repo-policy.ts';
import type { RepoMirrors } from './repos.ts';
import type { ServerConfigReader } from './werckeryml.ts';

export const toApplication = (r: AppRow): Application => ({
  id: r.id, name: r.name, repository: r.repository, defaultBranch: r.default_branch, workflow: r.workflow, private: r.private === 1, createdAt: r.created_at,
});

type AppMembers = Pick<ServerContext, 'listApplications' | 'getApplication' | 'createApplication' | 'deleteApplication' | 'listPipelines' | 'getWebhookSecret' | 'setApplicationPrivate'>;

type Internal = {
  /** The webhook secret for checking a delivery's signature (no user involved). */
  webhookSecret(appId: number): Promise<string>;
};

/** The application's row; 404 when there is none. */
export async function requireApplication(store: Store, id: number): Promise<AppRow> {
  const row = await getApplicationRow(store, id);
  if (!row) throw new InputError(`no application ${id}`, 404);
  return row;
}

/** The application exists and `by` manages it (policy.ts), else 404 / 403 naming `what` was refused. */
export async function requireManagedApplication(store: Store, appId: number, by: User, what: string): Promise<void> {
  await requireApplication(store, appId);
  await requireManager(store, appId, by, what);
}

/**
 * Applications: any user reads and creates them (the creator becomes a maintainer); the webhook
 * secret and deletion are for the application's maintainers and admins (policy.ts). Their
 * variables, key pairs and maintainers: variables.ts, key-pairs.ts, maintainers.ts.
 */
export function applicationService(store: Store, mirrors: RepoMirrors, configs: ServerConfigReader, cache: Pick<SharedCache, 'forgetApplication'>): AppMembers & Internal {
  return {
    async listApplications() {
      return (await listApplicationRows(store)).map(toApplication);
    },
    async getApplication(key) {
      const row = await findApplicationRow(store, key);
      return row && toApplication(row);
    },
    createApplication: (input, by) => createApplication(store, mirrors, input, by),
    async deleteApplication(appId, by) {
      await requireManagedApplication(store, appId, by, 'delete it');
      const outputs = await outputPathsOf(store, appId);
      await deleteApplicationAndAll(store, appId);
      await mirrors.remove(appId);
      configs.forget(appId);
      for (const file of outputs) await rm(file, { force: true });
      await cache.forgetApplication(appId);
    },
    async setApplicationPrivate(appId, isPrivate, by) {
      await requireManagedApplication(store, appId, by, 'make it private or public');
      await setApplicationPrivate(store, appId, isPrivate);
      return toApplication(await requireApplication(store, appId));
    },
    listPipelines: async (appId, ref) => listPipelines(mirrors, configs, await requireApplication(store, appId), ref),
    async webhookSecret(appId) {
      return (await requireApplication(store, appId)).webhook_secret;
    },
    async getWebhookSecret(appId, by) {
      await requireManagedApplication(store, appId, by, 'see its webhook secret');
      return (await requireApplication(store, appId)).webhook_secret;
    },
  };
}

/** Registers an application once its repository could be mirrored; its creator maintains it. */
async function createApplication(store: Store, mirrors: RepoMirrors, input: NewApplication, by: User): Promise<Application> {
  const { name, repository } = checkNewApplication(input, mirrors.allowLocal);
  if (await applicationNameTaken(store, name)) throw new InputError(`there is already an application ${name}`, 409);
  const row = await insertApplication(store, { name, repository, default_branch: input.defaultBranch?.trim() || '', workflow: input.workflow?.trim() || null, webhook_secret: newSecret() });
  try {
    await mirrors.sync(row.id, repository);
  } catch (err) {
    await deleteApplicationRow(store, row.id);
    await mirrors.remove(row.id);
    throw err;
  }
  if (!row.default_branch) {
    const branch = await mirrors.headBranch(row.id);
    await setDefaultBranch(store, row.id, branch);
    row.default_branch = branch;
  }
  await insertMaintainer(store, row.id, by.id);
  return toApplication(row);
}

/** The name and repository of a new application, checked: what the user gave, trimmed. */
function checkNewApplication(input: NewApplication, allowLocal: readonly string[]): { name: string; repository: string } {
  const name = input.name.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name)) throw new InputError('an application name is letters, digits, "-", "_" or "." (it appears in URLs)');
  const repository = input.repository.trim();
  if (!repository) throw new InputError('the repository is a git URL or the absolute path of a local repository');
  if (!isAbsolute(repository) && !/^(https?|ssh|git|file):\/\/|^[\w.-]+@[\w.-]+:/.test(repository)) {
    throw new InputError(`"${repository}" is neither a git URL nor an absolute path`);
  }
  if (/^\w+:\/\/[^/@]*:[^/@]*@/.test(repository)) {
    throw new InputError('the repository URL carries a password: use an SSH URL with a deploy key, or a git credential helper on the server and runners');
  }
  if (input.defaultBranch?.trim()) assertBranchName(input.defaultBranch.trim(), 'default branch');
  checkRepository(repository, allowLocal);
  return { name, repository };
}
