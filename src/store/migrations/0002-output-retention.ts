import type { Kysely, Migration } from 'kysely';

/**
 * Output retention: when the sweep deleted a run's output tar, `output_removed_at` says so (the
 * run keeps its row, events and log), so a deploy from it can say why its source is gone.
 */
export const outputRetention: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('runs').addColumn('output_removed_at', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('runs').dropColumn('output_removed_at').execute();
  },
};
