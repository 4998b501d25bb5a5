import type { Kysely, Migration } from 'kysely';

/**
 * `runs.workflow_inputs`: for a workflow pipeline, how its source is made and from which earlier
 * runs' outputs, fixed when it is queued (JSON text; docs/wercker-compat.md §4.11). A retry keeps it.
 */
export const workflowInputs: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('runs').addColumn('workflow_inputs', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('runs').dropColumn('workflow_inputs').execute();
  },
};
