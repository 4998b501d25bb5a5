import { isoNow, type Store } from './db.ts';

/** Which cache: one per application + pipeline + branch. */
export interface CacheKey { applicationId: number; pipeline: string; branch: string }

/** A stored cache: its key, the digest (sha-256 hex) of its tar and the tar's size in bytes. */
export interface CacheEntry extends CacheKey { digest: string; size: number; lastUsedAt: string }

type Row = { application_id: number; pipeline: string; branch: string; digest: string; size: number | string; last_used_at: string };

// PostgreSQL hands bigint back as text.
const toEntry = (r: Row): CacheEntry => ({ applicationId: r.application_id, pipeline: r.pipeline, branch: r.branch, digest: r.digest, size: Number(r.size), lastUsedAt: r.last_used_at });

const COLUMNS = ['application_id', 'pipeline', 'branch', 'digest', 'size', 'last_used_at'] as const;

/** The entry of exactly this key, if there is one. */
export async function getCacheEntry(store: Store, key: CacheKey): Promise<CacheEntry | undefined> {
  const row = await store.db.selectFrom('cache_entries').select(COLUMNS)
    .where('application_id', '=', key.applicationId).where('pipeline', '=', key.pipeline).where('branch', '=', key.branch).executeTakeFirst();
  return row && toEntry(row);
}

/** Whether any cache of this application is the tar with this digest (so its blob is on disk already). */
export async function applicationHasDigest(store: Store, applicationId: number, digest: string): Promise<boolean> {
  const row = await store.db.selectFrom('cache_entries').select('digest').where('application_id', '=', applicationId).where('digest', '=', digest).executeTakeFirst();
  return row !== undefined;
}

/** Marks an entry used now (a download, or an upload that found it unchanged): eviction spares it longest. */
export async function touchCacheEntry(store: Store, key: CacheKey): Promise<void> {
  await store.db.updateTable('cache_entries').set({ last_used_at: isoNow() })
    .where('application_id', '=', key.applicationId).where('pipeline', '=', key.pipeline).where('branch', '=', key.branch).execute();
}

/**
 * Points the key at the tar `digest` (inserted or replaced) in one transaction with `place`,
 * which puts the blob where it belongs: if `place` throws, no row changes, and if the row can't
 * be written the caller's blob is left unreferenced (the eviction sweep removes such files).
 * Returns the digest the key had before (its blob may now be unreferenced), if any.
 */
export async function putCacheEntry(store: Store, key: CacheKey, blob: { digest: string; size: number }, place: () => Promise<void>): Promise<string | undefined> {
  return store.db.transaction().execute(async (tx) => {
    const now = isoNow();
    const where = tx.selectFrom('cache_entries').select('digest')
      .where('application_id', '=', key.applicationId).where('pipeline', '=', key.pipeline).where('branch', '=', key.branch);
    const before = (await where.executeTakeFirst())?.digest;
    await tx.insertInto('cache_entries')
      .values({ application_id: key.applicationId, pipeline: key.pipeline, branch: key.branch, digest: blob.digest, size: blob.size, created_at: now, last_used_at: now })
      .onConflict((oc) => oc.columns(['application_id', 'pipeline', 'branch']).doUpdateSet({ digest: blob.digest, size: blob.size, created_at: now, last_used_at: now }))
      .execute();
    await place();
    return before !== blob.digest ? before : undefined;
  });
}

/** Every entry of one application (or of all, `applicationId` undefined), least recently used first. */
export async function cacheEntriesByAge(store: Store, applicationId?: number): Promise<CacheEntry[]> {
  let q = store.db.selectFrom('cache_entries').select(COLUMNS);
  if (applicationId !== undefined) q = q.where('application_id', '=', applicationId);
  const rows = await q.orderBy('last_used_at').orderBy('application_id').orderBy('pipeline').orderBy('branch').execute();
  return rows.map(toEntry);
}

/** Removes one entry; true when its digest is now used by no entry at all (its blob may go). */
export async function deleteCacheEntry(store: Store, entry: CacheKey & { digest: string }): Promise<boolean> {
  await store.db.deleteFrom('cache_entries')
    .where('application_id', '=', entry.applicationId).where('pipeline', '=', entry.pipeline).where('branch', '=', entry.branch).execute();
  return !(await digestInUse(store, entry.digest));
}

/** Whether any entry of any application still points at this digest. */
export async function digestInUse(store: Store, digest: string): Promise<boolean> {
  return (await store.db.selectFrom('cache_entries').select('digest').where('digest', '=', digest).executeTakeFirst()) !== undefined;
}

/** The digests of an application's caches (deleted with the application). */
export async function deleteCacheEntriesOf(store: Store, applicationId: number): Promise<string[]> {
  const rows = await store.db.deleteFrom('cache_entries').where('application_id', '=', applicationId).returning('digest').execute();
  return rows.map((r) => r.digest);
}
