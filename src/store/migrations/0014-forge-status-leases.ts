import type { Kysely, Migration } from 'kysely';

/**
 * Commit statuses that outlive a server process (src/server/forges/statuses.ts): on `runs`,
 * `forge_status_owed` is the run status whose commit status has not reached the forge yet (null:
 * the forge shows the run's state, or gave up with `forge_status_error`), and `forge_status_lease`
 * / `forge_status_until` which server process is posting it and until when. A run still owing a
 * status whose lease is free or over is taken up by the next server process.
 */
const COLUMNS = ['forge_status_owed', 'forge_status_lease', 'forge_status_until'];

export const forgeStatusLeases: Migration = {
  async up(db: Kysely<unknown>) {
    for (const column of COLUMNS) await db.schema.alterTable('runs').addColumn(column, 'text').execute();
    await db.schema.createIndex('runs_forge_status_owed').on('runs').column('forge_status_owed').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('runs_forge_status_owed').execute();
    for (const column of COLUMNS) await db.schema.alterTable('runs').dropColumn(column).execute();
  },
};
