import { rm } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { Selectable } from 'kysely';
import { isoNow, type Store } from '../store/db.ts';
import { deleteRunsOf } from '../store/runs.ts';
import type { Database } from '../store/schema.ts';
import { InputError, type Application, type KeyPair, type PipelineList, type ServerContext, type Variable } from './context.ts';
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
  | 'listVariables' | 'setVariable' | 'deleteVariable' | 'listKeyPairs' | 'createKeyPair' | 'deleteKeyPair'>;

/** Applications, their variables and key pairs. */
export function applicationService(store: Store, mirrors: RepoMirrors, configs: ServerConfigReader): AppMembers & { appRow(id: number): Promise<AppRow>; jobVariables(appId: number, pipeline: string): Promise<{ name: string; value: string; protected: boolean }[]> } {
  const db = store.db;
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
    async createApplication(input) {
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
      return toApplication(row);
    },
    async deleteApplication(appId) {
      await appRow(appId);
      const outputs = await db.selectFrom('runs').select('output_path').where('application_id', '=', appId).where('output_path', 'is not', null).execute();
      await db.transaction().execute(async (tx) => {
        await deleteRunsOf(store, tx, appId);
        await tx.deleteFrom('variables').where('application_id', '=', appId).execute();
        await tx.deleteFrom('key_pairs').where('application_id', '=', appId).execute();
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
    async getWebhookSecret(appId) {
      return (await appRow(appId)).webhook_secret;
    },

    async listVariables(appId) {
      await appRow(appId);
      const rows = await db.selectFrom('variables').selectAll().where('application_id', '=', appId).orderBy('pipeline').orderBy('name').execute();
      return rows.map(toVariable);
    },
    async setVariable(appId, input) {
      await appRow(appId);
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
    async deleteVariable(appId, variableId) {
      const r = await db.deleteFrom('variables').where('application_id', '=', appId).where('id', '=', variableId).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw new InputError(`no variable ${variableId} in this application`, 404);
    },

    async listKeyPairs(appId) {
      await appRow(appId);
      const rows = await db.selectFrom('key_pairs').select(['id', 'name', 'public_key', 'fingerprint', 'created_at']).where('application_id', '=', appId).orderBy('name').execute();
      return rows.map(toKeyPair);
    },
    async createKeyPair(appId, rawName) {
      await appRow(appId);
      const name = rawName.trim().toUpperCase();
      if (!SHELL_NAME.test(name)) throw new InputError(`"${rawName}" is not a key name: letters, digits and "_" (pipelines get ${'<NAME>'}_PUBLIC and _PRIVATE)`);
      if (await db.selectFrom('key_pairs').select('id').where('application_id', '=', appId).where('name', '=', name).executeTakeFirst()) throw new InputError(`there is already a key pair ${name}`, 409);
      const pair = generateKeyPair(name);
      const row = await db.insertInto('key_pairs').values({ application_id: appId, name, public_key: pair.publicKey, private_key: pair.privateKey, fingerprint: pair.fingerprint, created_at: isoNow() })
        .returning(['id', 'name', 'public_key', 'fingerprint', 'created_at']).executeTakeFirstOrThrow();
      return toKeyPair(row);
    },
    async deleteKeyPair(appId, keyPairId) {
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
