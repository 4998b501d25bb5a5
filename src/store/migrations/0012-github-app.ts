import type { Kysely, Migration } from 'kysely';

/**
 * GitHub App credentials for commit statuses (src/server/README.md, forge routes): on
 * `application_forges`, the App's id, its installation's id, and the App's private key (PEM;
 * write-only like the token). The server trades them for short-lived installation tokens.
 */
const COLUMNS = ['github_app_id', 'github_installation_id', 'github_private_key'];

export const githubApp: Migration = {
  async up(db: Kysely<unknown>) {
    for (const column of COLUMNS) await db.schema.alterTable('application_forges').addColumn(column, 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    for (const column of COLUMNS) await db.schema.alterTable('application_forges').dropColumn(column).execute();
  },
};
