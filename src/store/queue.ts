import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Store } from './db.ts';
import { isoNow } from './db.ts';
import type { RunRow } from './runs.ts';

/**
 * The job queue is the runs table itself: a queued run is a job, a running one is leased to a
 * runner until `lease_until`, which its heartbeats push forward. Each claim bumps `attempt` and
 * is recorded in run_claims.
 *
 * Postgres: many runners claim at once; `FOR UPDATE SKIP LOCKED` lets each take a different
 * row without waiting, and the outer `status = 'queued'` re-check makes a row that changed under
 * the lock drop out. A run queued for one runner (a retry from its snapshot) is left to it until
 * `for_runner_until`. SQLite: one server process with one connection, so a transaction (select,
 * then update if still queued) is already serialised.
 */
export async function claimNextRun(store: Store, runner: string, leaseMs: number, tokenId: number | null = null): Promise<RunRow | undefined> {
  const now = isoNow();
  const until = isoNow(leaseMs);
  // The claim's own id: every later report must carry it (with the same token), so neither
  // another runner nor this one from an older claim can speak for the run.
  const lease = randomBytes(18).toString('base64url');
  return store.db.transaction().execute(async (tx) => {
    let claimed: RunRow | undefined;
    if (store.dialect === 'postgres') {
      const result = await sql<RunRow>`
        UPDATE runs SET status = 'running', runner = ${runner}, attempt = attempt + 1, lease_until = ${until},
          started_at = COALESCE(started_at, ${now}), lease_id = ${lease}, lease_token_id = ${tokenId}
        WHERE status = 'queued' AND id = (
          SELECT id FROM runs WHERE status = 'queued'
            AND (for_runner IS NULL OR for_runner = ${runner} OR for_runner_until < ${now})
          ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1
        )
        RETURNING *`.execute(tx);
      claimed = result.rows[0];
    } else {
      const next = await tx.selectFrom('runs').select('id').where('status', '=', 'queued')
        .where((eb) => eb.or([eb('for_runner', 'is', null), eb('for_runner', '=', runner), eb('for_runner_until', '<', now)]))
        .orderBy('id').limit(1).executeTakeFirst();
      if (next) {
        claimed = await tx.updateTable('runs')
          .set((eb) => ({ status: 'running', runner, attempt: eb('attempt', '+', 1), lease_until: until, started_at: eb.fn.coalesce('started_at', eb.val(now)), lease_id: lease, lease_token_id: tokenId }))
          .where('id', '=', next.id).where('status', '=', 'queued').returningAll().executeTakeFirst();
      }
    }
    if (claimed) await tx.insertInto('run_claims').values({ run_id: claimed.id, attempt: claimed.attempt, runner, claimed_at: now, lease_id: lease, token_id: tokenId }).execute();
    return claimed;
  });
}

/**
 * Extends the lease of a run this claim holds (same lease id and token, still running).
 * Undefined: the lease is lost (expired and requeued, finished, or never this caller's) and the
 * runner must stop the run.
 */
export async function extendLease(store: Store, runId: number, lease: string, tokenId: number | null, leaseMs: number): Promise<{ cancelRequested: boolean } | undefined> {
  const row = await store.db.updateTable('runs').set({ lease_until: isoNow(leaseMs) })
    .where('id', '=', runId).where('lease_id', '=', lease).where('lease_token_id', tokenId === null ? 'is' : '=', tokenId).where('status', '=', 'running')
    .returning(['cancel_requested']).executeTakeFirst();
  return row ? { cancelRequested: row.cancel_requested === 1 } : undefined;
}

/** Running runs whose lease ran out: their runner died or lost contact. */
export async function expiredRuns(store: Store): Promise<RunRow[]> {
  return store.db.selectFrom('runs').selectAll().where('status', '=', 'running').where('lease_until', '<', isoNow()).orderBy('id').execute();
}

/** Whether a runner token ever claimed the run (a report from one that never did is refused outright, 403). */
export async function tokenClaimed(store: Store, runId: number, tokenId: number): Promise<boolean> {
  return Boolean(await store.db.selectFrom('run_claims').select('id').where('run_id', '=', runId).where('token_id', '=', tokenId).executeTakeFirst());
}

/** Ends the leases a runner token holds now (it was revoked): the reaper gives their runs back to the queue. */
export async function expireLeasesOf(store: Store, tokenId: number): Promise<number> {
  const r = await store.db.updateTable('runs').set({ lease_until: isoNow(-1) }).where('status', '=', 'running').where('lease_token_id', '=', tokenId).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
