import type { Selectable } from 'kysely';
import { isoNow, type Store } from './db.ts';
import type { Database } from './schema.ts';

export type ForgeRow = Selectable<Database['application_forges']>;
export type ForgeFields = Partial<Pick<ForgeRow, 'kind' | 'api_url' | 'owner' | 'repo' | 'token' | 'pr_pipeline' | 'github_app_id' | 'github_installation_id' | 'github_private_key'>>;

/** The application's forge settings; undefined when none were ever saved. */
export async function forgeRow(store: Store, appId: number): Promise<ForgeRow | undefined> {
  return store.db.selectFrom('application_forges').selectAll().where('application_id', '=', appId).executeTakeFirst();
}

/** Saves the fields given (others keep their value; a token left undefined stays as it was). */
export async function saveForgeRow(store: Store, appId: number, fields: ForgeFields): Promise<ForgeRow> {
  const values = { ...fields, updated_at: isoNow() };
  return store.db.insertInto('application_forges').values({ application_id: appId, ...values })
    .onConflict((oc) => oc.column('application_id').doUpdateSet(values)).returningAll().executeTakeFirstOrThrow();
}

