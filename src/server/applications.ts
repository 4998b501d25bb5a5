import { rm } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { Selectable } from 'kysely';
import { isoNow, type Store } from '../store/db.ts';
import { deleteRunsOf } from '../store/runs.ts';
import type { Database } from '../store/schema.ts';
import { assertBranchName } from './branch-name.ts';
import { InputError, type Application, type KeyPair, type PipelineList, type ServerContext, type User, type Variable } from './context.ts';
import { managesApplication, requireAdmin, requireManager } from './policy.ts';
import { generateKeyPair } from './keys.ts';
import { newSecret } from './passwords.ts';
import { checkRepository } from './repo-policy.ts';
import type { RepoMirrors } from './repos.ts';
import type { ServerConfigReader } from './werckeryml.ts';

type AppRow = Selectable<Database['applications']>;
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const toApplication = (r: AppRow): Application => ({
  id: r.id, name: r.name, repository: r.repository, defaultBranch: r.default_branch, workflow: r.workflow, createdAt: r.created_at,
});

type AppMembers = Pick<ServerContext, 'listApplications' | 'getApplication' | 'createApplication' | 'deleteApplication' | 'listPipelines' | 'getWebhookSecret'
  | 'listVariables' | 'setVariable' | 'deleteVariable' | 'listKeyPairs' | 'createKeyPair' | 'deleteKeyPair'
  | 'canManageApplication' | 'listMaintainers' | 'addMaintainer' | 'removeMaintainer'>;

type Internal = {
  appRow(id: number): Promise<AppRow>;
  /** The webhook secret for checking a delivery's signature (no user involved). */
  webhookSecret(appId: number): Promise<string>;
  jobVariables(appId: number, pipeline: string): Promise<{ name: string; value: string; protected: boolean }[]>;
};

/**
 * Applications, their variables and key pairs, and who manages them: any user reads and creates
 * applications (the creator becomes a maintainer); variables, key pairs, the webhook secret and
 * deletion are for the application's maintainers and admins (policy.ts).
 */
export function applicationService(store: Store, mirrors: RepoMirrors, configs: ServerConfigReader): AppMembers & Internal {
  const db = store.db;
  const manager = async (appId: number, by: User, what: string) => {
    await appRow(appId);
    await requireManager(store, appId, by, what);
  };
  const appRow = async (id: number): Promise<AppRow> => {
    const row = await db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new InputError(`no application ${id}`, 404);
    return row;
  };

  return {
    appRow,
    async listApplications() {
      return (await db.selectFrom('applications').selectAll().orderBy('name').execute()).map(toApplication);
    },
    async getApplication(key) {
      const q = db.selectFrom('applications').selectAll();
      const row = await (typeof key === 'number' ? q.where('id', '=', key) : q.where('name', '=', key)).executeTakeFirst();
      return row && toApplication(row);
    },
    async createApplication(input, by) {
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
      checkRepository(repository, mirrors.allowLocal);
      if (await db.selectFrom('applications').select('id').where('name', '=', name).executeTakeFirst()) throw new InputError(`there is already an application ${name}`, 409);
      const row = await db.insertInto('applications').values({
        name, repository, default_branch: input.defaultBranch?.trim() || '', workflow: input.workflow?.trim() || null, webhook_secret: newSecret(), created_at: isoNow(),
      }).returningAll().executeTakeFirstOrThrow();
      try {
        await mirrors.sync(row.id, repository);
      } catch (err) {
        await db.deleteFrom('applications').where('id', '=', row.id).execute();
        await mirrors.remove(row.id);
        throw err;
      }
      if (!row.default_branch) {
        const branch = await mirrors.headBranch(row.id);
        await db.updateTable('applications').set({ default_branch: branch }).where('id', '=', row.id).execute();
        row.default_branch = branch;
      }
      await db.insertInto('application_maintainers').values({ application_id: row.id, user_id: by.id, created_at: isoNow() }).execute();
      return toApplication(row);
    },
    async deleteApplication(appId, by) {
      await manager(appId, by, 'delete it');
      const outputs = await db.selectFrom('runs').select('output_path').where('application_id', '=', appId).where('output_path', 'is not', null).execute();
      await db.transaction().execute(async (tx) => {
        await deleteRunsOf(store, tx, appId);
        await tx.deleteFrom('variables').where('application_id', '=', appId).execute();
        await tx.deleteFrom('key_pairs').where('application_id', '=', appId).execute();
        await tx.deleteFrom('application_maintainers').where('application_id', '=', appId).execute();
        await tx.deleteFrom('webhook_deliveries').where('application_id', '=', appId).execute();
        await tx.deleteFrom('applications').where('id', '=', appId).execute();
      });
      await mirrors.remove(appId);
      configs.forget(appId);
      for (const o of outputs) if (o.output_path) await rm(o.output_path, { force: true });
    },
    async listPipelines(appId, ref) {
      const app = await appRow(appId);
      const want = ref || app.default_branch;
      if (!/^[0-9a-f]{7,40}$/.test(want)) assertBranchName(want);
      const list: PipelineList = { ref: want, commit: null, pipelines: [], workflows: [] };
      // A repository that can't be fetched says so (git's words), not that the branch is missing.
      const commit = await mirrors.resolve(appId, app.repository, want).catch((err: Error) => err);
      if (commit instanceof Error) return { ...list, problem: commit.message };
      if (!commit) return { ...list, problem: `no branch or commit ${want} in ${app.repository}` };
      list.commit = commit;
      const read = await configs.read(appId, commit);
      if (read === undefined) return { ...list, problem: `no wercker.yml at ${commit.slice(0, 8)}` };
      const { config, diagnostics } = read;
      const errors = diagnostics.filter((d) => d.severity === 'error');
      if (!config || errors.length) return { ...list, problem: `wercker.yml at ${commit.slice(0, 8)} is invalid: ${errors.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`).slice(0, 3).join('; ')}` };
      list.pipelines = Object.keys(config.pipelines);
      list.workflows = config.workflows.map((w) => ({ name: w.name, pipelines: w.pipelines.map((p) => ({ name: p.name, pipelineName: p.pipelineName, requires: p.requires })) }));
      return list;
    },
    async webhookSecret(appId) {
      return (await appRow(appId)).webhook_secret;
    },
    async getWebhookSecret(appId, by) {
      await manager(appId, by, 'see its webhook secret');
      return (await appRow(appId)).webhook_secret;
    },
    canManageApplication: (appId, user) => managesApplication(store, appId, user),
    async listMaintainers(appId) {
      await appRow(appId);
      return db.selectFrom('application_maintainers').innerJoin('users', 'users.id', 'application_maintainers.user_id')
        .select(['users.id', 'users.name']).where('application_maintainers.application_id', '=', appId).orderBy('users.name').execute();
    },
    async addMaintainer(appId, userName, by) {
      requireAdmin(by, 'choose an application\'s maintainers');
      await appRow(appId);
      const user = await db.selectFrom('users').select('id').where('name', '=', userName).executeTakeFirst();
      if (!user) throw new InputError(`no user ${userName}`, 404);
      const known = await db.selectFrom('application_maintainers').select('user_id').where('application_id', '=', appId).where('user_id', '=', user.id).executeTakeFirst();
      if (!known) await db.insertInto('application_maintainers').values({ application_id: appId, user_id: user.id, created_at: isoNow() }).execute();
    },
    async removeMaintainer(appId, userId, by) {
      requireAdmin(by, 'choose an application\'s maintainers');
      const r = await db.deleteFrom('application_maintainers').where('application_id', '=', appId).where('user_id', '=', userId).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw new InputError(`user ${userId} is no maintainer of this application`, 404);
    },

    async listVariables(appId) {
      await appRow(appId);
      const rows = await db.selectFrom('variables').selectAll().where('application_id', '=', appId).orderBy('pipeline').orderBy('name').execute();
      return rows.map(toVariable);
    },
    async setVariable(appId, input, by) {
      await manager(appId, by, 'set its variables');
      if (input.value.includes('\0')) throw new InputError('a variable value can\'t hold a NUL byte (no shell variable can)');
      const name = input.name.trim();
      if (!SHELL_NAME.test(name)) throw new InputError(`"${name}" is not a variable name: letters, digits and "_", not starting with a digit`);
      const pipeline = input.pipeline?.trim() ?? '';
      const existing = await db.selectFrom('variables').selectAll().where('application_id', '=', appId).where('pipeline', '=', pipeline).where('name', '=', name).executeTakeFirst();
      const isProtected = Boolean(input.protected) || existing?.protected === 1;
      const values = { value: input.value, protected: isProtected ? 1 : 0, updated_at: isoNow() };
      const row = existing
        ? await db.updateTable('variables').set(values).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow()
        : await db.insertInto('variables').values({ application_id: appId, pipeline, name, ...values }).returningAll().executeTakeFirstOrThrow();
      return toVariable(row);
    },
    async deleteVariable(appId, variableId, by) {
      await manager(appId, by, 'delete its variables');
      const r = await db.deleteFrom('variables').where('application_id', '=', appId).where('id', '=', variableId).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw new InputError(`no variable ${variableId} in this application`, 404);
    },

    async listKeyPairs(appId) {
      await appRow(appId);
      const rows = await db.selectFrom('key_pairs').select(['id', 'name', 'public_key', 'fingerprint', 'created_at']).where('application_id', '=', appId).orderBy('name').execute();
      return rows.map(toKeyPair);
    },
    async createKeyPair(appId, rawName, by) {
      await manager(appId, by, 'make its key pairs');
      const name = rawName.trim().toUpperCase();
      if (!SHELL_NAME.test(name)) throw new InputError(`"${rawName}" is not a key name: letters, digits and "_" (pipelines get ${'<NAME>'}_PUBLIC and _PRIVATE)`);
      if (await db.selectFrom('key_pairs').select('id').where('application_id', '=', appId).where('name', '=', name).executeTakeFirst()) throw new InputError(`there is already a key pair ${name}`, 409);
      const pair = generateKeyPair(name);
      const row = await db.insertInto('key_pairs').values({ application_id: appId, name, public_key: pair.publicKey, private_key: pair.privateKey, fingerprint: pair.fingerprint, created_at: isoNow() })
        .returning(['id', 'name', 'public_key', 'fingerprint', 'created_at']).executeTakeFirstOrThrow();
      return toKeyPair(row);
    },
    async deleteKeyPair(appId, keyPairId, by) {
      await manager(appId, by, 'delete its key pairs');
      const r = await db.deleteFrom('key_pairs').where('application_id', '=', appId).where('id', '=', keyPairId).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw new InputError(`no key pair ${keyPairId} in this application`, 404);
    },

    /** What a run of `pipeline` gets: app-wide variables, then the pipeline's own (they win), then key pairs. */
    async jobVariables(appId, pipeline) {
      const vars = await db.selectFrom('variables').selectAll().where('application_id', '=', appId).where('pipeline', 'in', ['', pipeline]).execute();
      vars.sort((a, b) => (a.pipeline === b.pipeline ? 0 : a.pipeline === '' ? -1 : 1));
      const keys = await db.selectFrom('key_pairs').selectAll().where('application_id', '=', appId).orderBy('name').execute();
      return [
        ...vars.map((v) => ({ name: v.name, value: v.value, protected: v.protected === 1 })),
        ...keys.flatMap((k) => [{ name: `${k.name}_PUBLIC`, value: k.public_key, protected: false }, { name: `${k.name}_PRIVATE`, value: k.private_key, protected: true }]),
      ];
    },
  };
}

function toVariable(r: Selectable<Database['variables']>): Variable {
  const isProtected = r.protected === 1;
  return { id: r.id, pipeline: r.pipeline || null, name: r.name, value: isProtected ? null : r.value, protected: isProtected, updatedAt: r.updated_at };
}

function toKeyPair(r: { id: number; name: string; public_key: string; fingerprint: string; created_at: string }): KeyPair {
  return { id: r.id, name: r.name, publicKey: r.public_key, fingerprint: r.fingerprint, createdAt: r.created_at };
}
