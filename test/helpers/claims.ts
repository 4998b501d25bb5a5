import type { Store } from '../../src/store/db.ts';

/** Every claim, for tests that audit the queue: who held which run in which attempt. */
export async function listClaims(store: Store, runId?: number) {
  let q = store.db.selectFrom('run_claims').selectAll().orderBy('id');
  if (runId !== undefined) q = q.where('run_id', '=', runId);
  return q.execute();
}
