import type { ServerVariable } from '../plan/variables.ts';
import type { Store } from '../store/db.ts';
import type { RunRow } from '../store/runs.ts';
import type { RunEventBody } from '../engine/events.ts';
import { keyPairRows } from '../store/key-pairs.ts';
import { deleteVariableRow, findVariableRow, listVariableRows, pipelineVariableRows, saveVariableRow, type VariableRow } from '../store/variables.ts';
import { requireApplication, requireManagedApplication } from './applications.ts';
import { InputError, type ServerContext, type Variable } from './context.ts';

export const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type VariableMembers = Pick<ServerContext, 'listVariables' | 'setVariable' | 'deleteVariable'>;

/**
 * An application's variables (for every pipeline or one): any user lists them, protected values
 * never come back; its maintainers and admins set and delete them.
 */
export function variableService(store: Store): VariableMembers {
  return {
    async listVariables(appId) {
      await requireApplication(store, appId);
      return (await listVariableRows(store, appId)).map(toVariable);
    },
    async setVariable(appId, input, by) {
      await requireManagedApplication(store, appId, by, 'set its variables');
      if (input.value.includes('\0')) throw new InputError('a variable value can\'t hold a NUL byte (no shell variable can)');
      const name = input.name.trim();
      if (!SHELL_NAME.test(name)) throw new InputError(`"${name}" is not a variable name: letters, digits and "_", not starting with a digit`);
      const key = { appId, pipeline: input.pipeline?.trim() ?? '', name };
      const existing = await findVariableRow(store, key);
      // Once protected, always: it can only be deleted.
      const isProtected = Boolean(input.protected) || existing?.protected === 1;
      return toVariable(await saveVariableRow(store, key, { value: input.value, protected: isProtected }, existing));
    },
    async deleteVariable(appId, variableId, by) {
      await requireManagedApplication(store, appId, by, 'delete its variables');
      if (!(await deleteVariableRow(store, appId, variableId))) throw new InputError(`no variable ${variableId} in this application`, 404);
    },
  };
}

/** What a run of `pipeline` gets: app-wide variables, then the pipeline's own (they win), then key pairs. */
export async function jobVariables(store: Store, appId: number, pipeline: string): Promise<ServerVariable[]> {
  const vars = await pipelineVariableRows(store, appId, pipeline);
  vars.sort((a, b) => (a.pipeline === b.pipeline ? 0 : a.pipeline === '' ? -1 : 1));
  const keys = await keyPairRows(store, appId);
  return [
    ...vars.map((v) => ({ name: v.name, value: v.value, protected: v.protected === 1 })),
    ...keys.flatMap((k) => [{ name: `${k.name}_PUBLIC`, value: k.public_key, protected: false }, { name: `${k.name}_PRIVATE`, value: k.private_key, protected: true }]),
  ];
}

/**
 * What an untrusted run (a fork's pull request not approved by an admin) may see: no protected
 * variable and no private key, since the fork wrote the wercker.yml that would get them.
 */
export function trustedVariables(row: Pick<RunRow, 'untrusted'>, variables: ServerVariable[]): ServerVariable[] {
  return row.untrusted === 1 ? variables.filter((v) => !v.protected) : variables;
}

/** The log line an untrusted run starts with, saying what it lacks and how to get it. */
export function untrustedNotice(row: Pick<RunRow, 'untrusted'>): RunEventBody[] {
  if (row.untrusted !== 1) return [];
  return [{ type: 'log', level: 'warn', text: 'this run is a pull request from a fork: protected variables and private keys are left out; an admin can approve it on the run page to run it with them' }];
}

function toVariable(r: VariableRow): Variable {
  const isProtected = r.protected === 1;
  return { id: r.id, pipeline: r.pipeline || null, name: r.name, value: isProtected ? null : r.value, protected: isProtected, updatedAt: r.updated_at };
}
