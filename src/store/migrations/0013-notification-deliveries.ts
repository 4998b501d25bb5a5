import type { Kysely, Migration } from 'kysely';

/**
 * Notification deliveries that outlive a server process (src/server/notifications/README.md, "How
 * it runs"): one row per delivery, its id the one receivers see (`X-Werker-Delivery`, the same on
 * every attempt), with what is needed to build the notice again (rule, run, reason, the previous
 * result), the attempts made, when the next one is due, and the lease of the process sending it.
 * A delivery still `sending` whose lease is free or over is taken up by the next server process
 * (a compare-and-set on the lease, store/notifications.ts `claimDelivery`).
 */
export const notificationDeliveries: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createTable('notification_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule_id', 'integer', (c) => c.notNull())
      .addColumn('application_id', 'integer', (c) => c.notNull())
      .addColumn('run_id', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('previous_status', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('lease_id', 'text')
      .addColumn('lease_until', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('notification_deliveries_status').on('notification_deliveries').columns(['status', 'lease_until']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('notification_deliveries').execute();
  },
};
