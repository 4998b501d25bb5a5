import type { Kysely, Migration } from 'kysely';

/**
 * Forges and pull request runs.
 * - `application_forges`: per application, the forge its repository lives on (kind, API root,
 *   owner/name, a token that writes commit statuses: write-only like a protected variable) and
 *   the pipeline a pull request runs (default `build`).
 * - On `runs`: `forge` (the forge whose webhook the commit came from: statuses go back there),
 *   `pull_request` (its number), `untrusted` (1: a fork's PR, run without protected variables),
 *   `approved_by`/`approved_at` (the admin who let a fork's PR run with them), and
 *   `forge_status_error` (the last failed status request, shown on the run page).
 */
export const forgesAndPullRequests: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createTable('application_forges')
      .addColumn('application_id', 'integer', (c) => c.primaryKey())
      .addColumn('kind', 'text')
      .addColumn('api_url', 'text')
      .addColumn('owner', 'text')
      .addColumn('repo', 'text')
      .addColumn('token', 'text')
      .addColumn('pr_pipeline', 'text', (c) => c.notNull().defaultTo('build'))
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('runs').addColumn('forge', 'text').execute();
    await db.schema.alterTable('runs').addColumn('pull_request', 'integer').execute();
    await db.schema.alterTable('runs').addColumn('untrusted', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('runs').addColumn('approved_by', 'text').execute();
    await db.schema.alterTable('runs').addColumn('approved_at', 'text').execute();
    await db.schema.alterTable('runs').addColumn('forge_status_error', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    for (const column of ['forge_status_error', 'approved_at', 'approved_by', 'untrusted', 'pull_request', 'forge']) {
      await db.schema.alterTable('runs').dropColumn(column).execute();
    }
    await db.schema.dropTable('application_forges').execute();
  },
};
