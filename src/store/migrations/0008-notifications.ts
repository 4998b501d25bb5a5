import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * Notification rules (src/server/notifications/): per application, when to tell whom that a run
 * ended — on failure, on recovery or always, for some pipelines and branches ('' = all) — over a
 * signed webhook, a Slack-compatible incoming webhook or email. `target` is the URL or the
 * recipients; the URL of a Slack hook and `signing_secret` are secrets (never returned). The
 * last delivery's outcome is kept on the rule (`last_*`) for the settings page.
 */
export function notifications(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const table = db.schema.createTable('notification_rules');
      const withId = dialect === 'postgres' ? table.addColumn('id', 'serial', (c) => c.primaryKey()) : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await withId
        .addColumn('application_id', 'integer', (c) => c.notNull())
        .addColumn('trigger_on', 'text', (c) => c.notNull())
        .addColumn('pipelines', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('branches', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('signing_secret', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_run_id', 'integer')
        .addColumn('last_status', 'text')
        .addColumn('last_attempts', 'integer')
        .addColumn('last_detail', 'text')
        .addColumn('last_at', 'text')
        .execute();
      await db.schema.createIndex('notification_rules_app').on('notification_rules').column('application_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('notification_rules').execute();
    },
  };
}
