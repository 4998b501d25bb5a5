import type { Kysely, Migration } from 'kysely';

/**
 * `applications.private`: 1 hides the application from visitors (its badge answers 404 to anyone
 * not signed in, as for an application that does not exist); 0, the default, lets anyone read
 * its badges. Existing applications stay public, as their badges were before.
 */
export const privateApplications: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('applications').addColumn('private', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('applications').dropColumn('private').execute();
  },
};
