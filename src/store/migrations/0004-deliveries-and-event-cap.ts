import type { Kysely, Migration } from 'kysely';

/**
 * Webhook deliveries seen (GitHub's `X-GitHub-Delivery` id per application), so a replayed
 * delivery queues nothing; and `runs.events_truncated`, set once a run reached the cap on stored
 * events and its "output truncated" marker was written.
 */
export const deliveriesAndEventCap: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createTable('webhook_deliveries')
      .addColumn('application_id', 'integer', (c) => c.notNull())
      .addColumn('delivery_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('webhook_deliveries_pk', ['application_id', 'delivery_id'])
      .execute();
    await db.schema.alterTable('runs').addColumn('events_truncated', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('runs').dropColumn('events_truncated').execute();
    await db.schema.dropTable('webhook_deliveries').execute();
  },
};
