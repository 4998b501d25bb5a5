import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startRunner } from '../src/runner/worker.ts';
import { connectDocker } from '../src/runtime/docker/client.ts';
import { startServer } from '../src/server/start.ts';
import { CleanupScope } from './lib/cleanup-scope.ts';
import { makeTempDir } from './lib/temp-dir.ts';
import { formatMs, median } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { repoRoot } from './lib/werker-cli.ts';

/** A stand-in for a dependency install (no package index is reachable from a box here): 40 MB made with gzip -9, skipped when the cache has it. */
const HEAVY_STEP = `    - script:
        name: install dependencies (cached)
        code: |
          deps="$WERCKER_CACHE_DIR/deps"
          if [ -f "$deps/done" ]; then echo "dependencies from the cache"; else
            mkdir -p "$deps"; i=0
            while [ $i -lt 40 ]; do head -c 1048576 /dev/urandom | gzip -9 > "$deps/pkg-$i.gz"; i=$((i+1)); done
            touch "$deps/done"
          fi
`;

interface Case { name: string; app: string; dir: string; yml?: string; variables: { name: string; value: string; protected: boolean }[] }
interface Pair { cold: number; warm: number; cacheLines: string[] }

/**
 * P9: the shared cache (docs/wercker-compat.md §4.10). A server (SQLite, no embedded runner)
 * runs a build on runner A with an empty shared cache (cold), then the same commit on a fresh
 * runner B, another work dir (warm: it downloads what A stored). Reported: the run durations
 * the server recorded. Cases: examples/nexchange's build as it is, and examples/hello's build
 * with a cache-heavy step added.
 */
export const p9SharedCache: Benchmark = {
  id: 'p9',
  async run(ctx: BenchContext): Promise<BenchRow> {
    await using scope = new CleanupScope();
    const root = await makeTempDir(scope, 'p9');
    const hello = path.join(repoRoot, 'examples/hello');
    const cases: Case[] = [
      { name: 'nexchange', app: 'nexchange', dir: path.join(repoRoot, 'examples/nexchange'), variables: environmentVariables(path.join(repoRoot, 'examples/nexchange/ENVIRONMENT')) },
      { name: 'hello+deps', app: 'hello', dir: hello, yml: readFileSync(path.join(hello, 'wercker.yml'), 'utf8').replace(/^  steps:\n/m, `  steps:\n${HEAVY_STEP}`), variables: environmentVariables(path.join(hello, 'ENVIRONMENT')) },
    ];
    const details: string[] = [];
    const results: { name: string; cold: number; warm: number }[] = [];
    for (const c of cases) {
      const pairs: Pair[] = [];
      for (let i = 0; i < ctx.runs; i++) pairs.push(await coldThenWarm(c, path.join(root, `${c.name}-${i}`), ctx));
      const cold = median(pairs.map((p) => p.cold));
      const warm = median(pairs.map((p) => p.warm));
      results.push({ name: c.name, cold, warm });
      details.push(`${c.name}: cold ${pairs.map((p) => formatMs(p.cold)).join(', ')}; warm ${pairs.map((p) => formatMs(p.warm)).join(', ')}; ${pairs[0]!.cacheLines.join(' | ')}`);
    }
    return {
      id: 'P9', title: 'build on a fresh runner: warm shared cache vs cold',
      werker: results.map((r) => `${r.name} ${formatMs(r.warm)}`).join('; '), baseline: results.map((r) => `${r.name} ${formatMs(r.cold)}`).join('; '),
      result: results.map((r) => `${r.name} ${(r.warm / r.cold).toFixed(2)}×`).join('; '), goal: 'warm < cold', met: results.every((r) => r.warm < r.cold),
      method: 'werker server (SQLite) with in-process runners: a cold build on runner A, then the same commit on a fresh runner B with its own work dir, which downloads the cache A stored. Times are the run durations the server recorded (checkout to result, cache download and upload included).',
      details,
    };
  },
};

/** One fresh server: the build cold on runner A, then warm on runner B; each runner is stopped before the next starts. */
async function coldThenWarm(c: Case, dir: string, ctx: BenchContext): Promise<Pair> {
  const repo = path.join(dir, 'repo');
  cpSync(c.dir, repo, { recursive: true });
  if (c.yml) writeFileSync(path.join(repo, 'wercker.yml'), c.yml);
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'user.email=b@x', '-c', 'user.name=bench', 'commit', '-qm', 'bench']]) execFileSync('git', ['-C', repo, ...args]);
  const server = await startServer({ dataDir: path.join(dir, 'data'), host: '127.0.0.1', port: 0, runners: 0, log: () => undefined, allowLocalRepos: [dir] });
  const runtime = await connectDocker({});
  try {
    const user = await server.core.auth.createUser('bench', 'long enough password');
    const app = await server.core.createApplication({ name: c.app, repository: repo, defaultBranch: 'main' }, user);
    for (const v of c.variables) await server.core.setVariable(app.id, v, user);
    const times: number[] = [];
    const cacheLines: string[] = [];
    for (const phase of ['cold', 'warm']) {
      const runner = startRunner({ backend: server.core.runners, runtime, name: `${phase}-runner`, workRoot: path.join(dir, `runner-${phase}`), wake: (ring) => server.core.onQueued(ring), log: () => undefined });
      const queued = await server.core.triggerRun(app.id, 'build', { branch: 'main' }, user);
      const run = await finished(server, queued.id);
      await runner.stop();
      const log = (await server.core.listRunEvents(run.id, 0, 20_000)).flatMap((e) => ('text' in e && /shared cache/.test(String(e.text)) ? [`${phase}: ${String(e.text)}`] : []));
      if (run.status !== 'passed') throw new Error(`${c.name} ${phase} run ${run.status}: ${run.message ?? ''}`);
      const steps = run.steps.filter((st) => st.phase === 'main').map((st) => `${st.name} ${formatMs(st.durationMs ?? 0)}`).join(', ');
      ctx.log(`${c.name} ${phase}: ${formatMs(run.durationMs ?? 0)} (steps: ${steps}); ${log.join(' | ')}`);
      times.push(run.durationMs ?? 0);
      cacheLines.push(...log);
    }
    return { cold: times[0]!, warm: times[1]!, cacheLines };
  } finally {
    await server.close();
  }
}

async function finished(server: Awaited<ReturnType<typeof startServer>>, id: number) {
  for (;;) {
    const run = await server.core.getRun(id);
    if (run && run.status !== 'queued' && run.status !== 'running') return run;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A project's ENVIRONMENT file as server variables: `X_NAME` → NAME, `XXX_NAME` → NAME (protected). */
function environmentVariables(file: string): Case['variables'] {
  return readFileSync(file, 'utf8').split('\n').flatMap((line) => {
    const m = line.match(/^(XXX_|X_)([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
    return m ? [{ name: m[2]!, value: m[3]!, protected: m[1] === 'XXX_' }] : [];
  });
}
