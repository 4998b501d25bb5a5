import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * `schedules`: cron expressions per application that queue runs (src/server/schedules.ts).
 * `next_run_at` is the occurrence a server claims: it moves it forward with a compare-and-set in
 * the same transaction that inserts the run, so each occurrence queues one run however many
 * server processes share the database. Null while the schedule is disabled.
 */
export function schedules(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const table = db.schema.createTable('schedules');
      await (dialect === 'postgres' ? table.addColumn('id', 'serial', (c) => c.primaryKey()) : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()))
        .addColumn('application_id', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('expression', 'text', (c) => c.notNull())
        .addColumn('time_zone', 'text', (c) => c.notNull())
        .addColumn('pipeline', 'text', (c) => c.notNull())
        .addColumn('branch', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('next_run_at', 'text')
        .addColumn('last_occurrence_at', 'text')
        .addColumn('last_run_id', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('schedules_application_name', ['application_id', 'name'])
        .execute();
      await db.schema.createIndex('schedules_due').on('schedules').columns(['enabled', 'next_run_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('schedules').execute();
    },
  };
}
