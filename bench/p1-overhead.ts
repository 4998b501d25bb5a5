import { CleanupScope } from './lib/cleanup-scope.ts';
import { BENCH_LABEL, BUSYBOX, deferRemoval, newId } from './lib/docker-objects.ts';
import { buildYml, writeProject } from './lib/pipelines.ts';
import { runBash } from './lib/shell.ts';
import { makeTempDir } from './lib/temp-dir.ts';
import { formatMs, interleave, median, pairedRatio } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { at, eventOf, runWerker, type WerkerRun } from './lib/werker-cli.ts';
import { werkerBuild } from './lib/werker-build.ts';

const STEPS = [1, 2, 3].map((n) => ({ name: `step ${n}`, code: `echo step ${n}` }));
const GOAL = 1.0;

/** Where the time of one werker run goes, from its events (ms). */
interface Phases {
  startup: number;
  setup: number;
  steps: number;
  cleanup: number;
  exit: number;
}

interface Pair {
  installed: WerkerRun;
  tsx: WerkerRun;
}

/**
 * P1: a 3-step busybox pipeline through the CLI, against a bash script doing the same with the
 * docker CLI: a network, a container, the source copied in, one `docker exec` per step, cleanup.
 * werker runs as installed from its packed tarball (as users run it) and, for comparison, from
 * src/ through tsx (as from a clone); the two run back to back in alternating order, then the script.
 */
export const p1Overhead: Benchmark = {
  id: 'p1',
  async run(ctx: BenchContext): Promise<BenchRow> {
    await using scope = new CleanupScope();
    const root = await makeTempDir(scope, 'p1');
    const project = await writeProject(`${root}/project`, buildYml(BUSYBOX, STEPS));
    const id = newId();
    deferRemoval(scope, BENCH_LABEL, id);
    const script = baselineScript(project, id);
    const wd = `${root}/wd`;
    const [pairs, base] = await interleave(
      ctx.runs,
      async (i): Promise<Pair> => {
        if (i % 2) {
          const tsx = await werkerBuild(project, wd, { json: true, via: 'tsx' });
          return { installed: await werkerBuild(project, wd, { json: true }), tsx };
        }
        const installed = await werkerBuild(project, wd, { json: true });
        return { installed, tsx: await werkerBuild(project, wd, { json: true, via: 'tsx' }) };
      },
      async (i) => (await runBash(script.replaceAll('RUN_N', String(i + 2)))).ms,
      { warmup: 1, log: ctx.log },
    );
    const version: number[] = [];
    for (let i = 0; i < ctx.runs; i++) version.push((await runWerker(['--version'])).ms);
    return row(pairs, base, median(version));
  },
};

function baselineScript(project: string, id: string): string {
  const steps = STEPS.map((s) => `docker exec "$c" sh -c '${s.code}' >/dev/null`).join('\n');
  return `
    n=werker-bench-${id}-RUN_N
    docker network create --label ${BENCH_LABEL}=${id} "$n" >/dev/null
    c=$(docker run -d -i --label ${BENCH_LABEL}=${id} --network "$n" ${BUSYBOX} sh)
    docker exec "$c" mkdir -p /pipeline/source
    tar -C '${project}' -c . | docker cp - "$c":/pipeline/source
    ${steps}
    docker rm -f "$c" >/dev/null
    docker network rm "$n" >/dev/null`;
}

function phasesOf(run: WerkerRun): Phases {
  const started = at(eventOf(run, 'run.started'));
  const firstStep = at(eventOf(run, 'step.started'));
  const stepsDone = at(eventOf(run, 'phase.finished', (e) => e.phase === 'main'));
  const finished = at(eventOf(run, 'run.finished'));
  return { startup: started - run.spawnedAt, setup: firstStep - started, steps: stepsDone - firstStep, cleanup: finished - stepsDone, exit: run.exitedAt - finished };
}

const METHOD = 'werker is spawned as installed from this tree\'s `npm pack` tarball (`npm install -g --prefix` into a temp dir; its bundled ' +
  '`dist/cli/main.js`, which the `werker` bin links to, run with the bench\'s node) and, for comparison, as `node --import tsx src/cli/main.ts` (what ' +
  '`npx tsx` runs from a clone, without npx\'s own start-up). The script creates a network, runs ' +
  'a busybox container on it, copies the project in with `tar | docker cp` (werker copies the source too), runs one `docker exec` per step and removes ' +
  'both. The whole process is timed on both sides; werker\'s events split its time into start-up (spawn → `run.started`), setup (→ first ' +
  '`step.started`), steps, cleanup (→ `run.finished`) and exit. One untimed warm-up round first (tsx\'s transform cache).';

function row(pairs: Pair[], base: number[], versionMs: number): BenchRow {
  const installed = pairs.map((p) => p.installed.ms);
  const tsx = pairs.map((p) => p.tsx.ms);
  const ratio = pairedRatio(installed, base);
  const tsxRatio = pairedRatio(tsx, base);
  const phases = pairs.map((p) => phasesOf(p.installed));
  const tsxPhases = pairs.map((p) => phasesOf(p.tsx));
  const m = (ps: Phases[], k: keyof Phases) => median(ps.map((p) => p[k]));
  const split = (ps: Phases[]) => `start-up ${formatMs(m(ps, 'startup'))}, setup ${formatMs(m(ps, 'setup'))}, 4 steps (wercker-init + 3) ${formatMs(m(ps, 'steps'))}, ` +
    `cleanup ${formatMs(m(ps, 'cleanup'))}, exit ${formatMs(m(ps, 'exit'))}`;
  const details = [
    `werker (installed) runs: ${installed.map(formatMs).join(', ')}; through tsx: ${tsx.map(formatMs).join(', ')}; script: ${base.map(formatMs).join(', ')}`,
    `through tsx: median ${formatMs(median(tsx))}, ratio ${tsxRatio.toFixed(2)}×`,
    `installed werker medians: ${split(phases)}; \`werker --version\` alone ${formatMs(versionMs)} (see the start-up table)`,
    `through tsx, medians: ${split(tsxPhases)}`,
  ];
  const met = ratio <= GOAL;
  return {
    id: 'P1', title: 'pipeline overhead: 3-step busybox pipeline vs the same by hand with the docker CLI',
    werker: formatMs(median(installed)), baseline: formatMs(median(base)), result: `${ratio.toFixed(2)}× (tsx: ${tsxRatio.toFixed(2)}×)`, goal: `≤ ${GOAL.toFixed(1)}×`,
    met, method: METHOD, details,
    ...(met ? {} : { note: missNote(phases, tsxPhases, ratio, tsxRatio, median(base)) }),
  };
}

function missNote(phases: Phases[], tsxPhases: Phases[], ratio: number, tsxRatio: number, baseline: number): string {
  const m = (ps: Phases[], k: keyof Phases) => median(ps.map((p) => p[k]));
  const engine = m(phases, 'setup') + m(phases, 'steps') + m(phases, 'cleanup');
  const engineVsScript = engine < baseline
    ? `is less than the script's whole time (${formatMs(baseline)})`
    : `is ${formatMs(engine)} against the script's ${formatMs(baseline)}`;
  return `werker's engine work (setup + steps + cleanup, ${formatMs(engine)}) ${engineVsScript}: its four steps take ` +
    `${formatMs(m(phases, 'steps'))} together where the script pays a docker CLI start and an exec round trip per step, and most of the rest ` +
    'is the engine\'s own work — starting the box container, creating and removing the network — which the script pays too. ' +
    `Start-up (spawn → \`run.started\`) is ${formatMs(m(phases, 'startup'))} installed (${formatMs(m(tsxPhases, 'startup'))} through tsx, ` +
    `${tsxRatio.toFixed(2)}×): node itself, the bundle's command line and run-path chunks (the start-up table has the pieces), connecting to the ` +
    'engine and planning; the docker CLI, a compiled Go binary, starts in ~20 ms. To close the rest ' +
    `(${ratio.toFixed(2)}×): for a pipeline without services, consider running the box on the default bridge network instead of a per-run one (network ` +
    'create + remove are a large share of setup and cleanup; this trades away isolation from other containers on that bridge, so it is a design ' +
    'decision, not a free win).';
}
