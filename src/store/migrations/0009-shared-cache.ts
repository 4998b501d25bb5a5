import type { Kysely, Migration } from 'kysely';

/**
 * `cache_entries`: the shared cache of each application + pipeline + branch (the contents of
 * `$WERCKER_CACHE_DIR` after a passed run, docs/wercker-compat.md §4.10), as the digest of its tar
 * in the server's cache dir. `size` is bytes (bigint: a cache may pass 2 GB); `last_used_at` is
 * the last upload or download, which eviction goes by (least recently used first).
 */
export const sharedCache: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createTable('cache_entries')
      .addColumn('application_id', 'integer', (c) => c.notNull())
      .addColumn('pipeline', 'text', (c) => c.notNull())
      .addColumn('branch', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('cache_entries_pk', ['application_id', 'pipeline', 'branch'])
      .execute();
    await db.schema.createIndex('cache_entries_digest').on('cache_entries').column('digest').execute();
    await db.schema.createIndex('cache_entries_last_used').on('cache_entries').column('last_used_at').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('cache_entries').execute();
  },
};
