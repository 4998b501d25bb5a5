import type { Kysely, Migration } from 'kysely';

/**
 * "Retry from this step" (docs/wercker-compat.md §8.4, werker's own):
 * - `runs.snapshot_step`: a failed run left a snapshot of its box at this step on its runner (`runs.runner`);
 * - `runs.resume_from`: a queued retry resumes there (JSON `{run, fromStep}`);
 * - `runs.for_runner` / `for_runner_until`: only that runner (which holds the snapshot) may claim
 *   the retry until then; after it, any runner may, and runs it from the start.
 */
export const retryFromStep: Migration = {
  async up(db: Kysely<unknown>) {
    for (const column of ['snapshot_step', 'resume_from', 'for_runner', 'for_runner_until']) {
      await db.schema.alterTable('runs').addColumn(column, 'text').execute();
    }
  },
  async down(db: Kysely<unknown>) {
    for (const column of ['snapshot_step', 'resume_from', 'for_runner', 'for_runner_until']) {
      await db.schema.alterTable('runs').dropColumn(column).execute();
    }
  },
};
