import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.ts';
import { claimNextRun } from '../../src/store/queue.ts';
import { listClaims } from '../helpers/claims.ts';
import { createRun } from '../../src/store/runs.ts';
import { scratchDatabase, testDatabaseUrl } from '../helpers/server.ts';

// The claim race on a real PostgreSQL: two pools (as two runner hosts would have) claim from
// one queue at once; every run must be claimed exactly once.
const baseUrl = testDatabaseUrl();

describe.skipIf(!baseUrl)('run queue on PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  let a: Store;
  let b: Store;
  beforeAll(async () => {
    scratch = await scratchDatabase(baseUrl!);
    a = await openStore(scratch.url, { poolSize: 6 });
    b = await openStore(scratch.url, { poolSize: 6 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await scratch?.drop();
  });

  it('migrates an existing database again without change', async () => {
    const again = await openStore(scratch.url);
    await again.close();
  });

  it('hands each of 400 queued runs to exactly one of 12 concurrent claimers', async () => {
    const app = await a.db.insertInto('applications').values({ name: 'q', repository: '/r', default_branch: 'main', workflow: null, webhook_secret: 'x', created_at: new Date().toISOString() }).returning('id').executeTakeFirstOrThrow();
    for (let i = 0; i < 400; i++) await createRun(a, { application_id: app.id, pipeline: 'build', kind: 'build', branch: 'main', commit_sha: 'c'.repeat(40), trigger: 'api', triggered_by: 't' });
    const claimer = async (store: Store, name: string) => {
      const got: number[] = [];
      for (;;) {
        const run = await claimNextRun(store, name, 60_000);
        if (!run) return got;
        got.push(run.id);
      }
    };
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => claimer(i % 2 ? a : b, `claimer-${i}`)));
    const seconds = (performance.now() - started) / 1000;
    console.log(`[measure] 400 claims by 12 claimers on 2 pools: ${seconds.toFixed(2)} s, ${(400 / seconds).toFixed(0)} claims/s`);
    const all = results.flat();
    expect(all).toHaveLength(400);
    expect(new Set(all).size).toBe(400);
    expect(results.filter((r) => r.length > 0).length).toBeGreaterThan(1);
    const claims = await listClaims(a);
    expect(claims).toHaveLength(400);
    expect(new Set(claims.map((c) => c.run_id)).size).toBe(400);
    const left = await a.db.selectFrom('runs').select('id').where('status', '=', 'queued').execute();
    expect(left).toEqual([]);
  });
});
