import { CleanupScope } from './lib/cleanup-scope.ts';
import { BENCH_LABEL, BUSYBOX, deferRemoval, newId } from './lib/docker-objects.ts';
import { buildYml, writeProject } from './lib/pipelines.ts';
import { runBash } from './lib/shell.ts';
import { makeTempDir } from './lib/temp-dir.ts';
import { formatMs, interleave, median } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { at, eventOf, runWerker, type WerkerRun } from './lib/werker-cli.ts';
import { werkerBuild } from './lib/werker-build.ts';

const STEPS = [1, 2, 3].map((n) => ({ name: `step ${n}`, code: `echo step ${n}` }));
const GOAL = 1.0;

/** Where the time of one werker run goes, from its events (epoch ms). */
interface Phases {
  startup: number;
  setup: number;
  steps: number;
  cleanup: number;
  exit: number;
}

/**
 * P1: a 3-step busybox pipeline through the CLI, against a bash script doing the same with the
 * docker CLI: a network, a container, the source copied in, one `docker exec` per step, cleanup.
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
    const [runs, base] = await interleave(
      ctx.runs,
      () => werkerBuild(project, `${root}/wd`, { json: true }),
      async (i) => (await runBash(script.replaceAll('RUN_N', String(i + 1)))).ms,
      { warmup: 1, log: ctx.log },
    );
    const version: number[] = [];
    for (let i = 0; i < ctx.runs; i++) version.push((await runWerker(['--version'])).ms);
    return row(runs, base, median(version));
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

export function phasesOf(run: WerkerRun): Phases {
  const started = at(eventOf(run, 'run.started'));
  const firstStep = at(eventOf(run, 'step.started'));
  const stepsDone = at(eventOf(run, 'phase.finished', (e) => e.phase === 'main'));
  const finished = at(eventOf(run, 'run.finished'));
  return { startup: started - run.spawnedAt, setup: firstStep - started, steps: stepsDone - firstStep, cleanup: finished - stepsDone, exit: run.exitedAt - finished };
}

function row(runs: WerkerRun[], base: number[], versionMs: number): BenchRow {
  const werker = median(runs.map((r) => r.ms));
  const baseline = median(base);
  const ratio = werker / baseline;
  const phases = runs.map(phasesOf);
  const m = (k: keyof Phases) => formatMs(median(phases.map((p) => p[k])));
  const details = [
    `werker runs: ${runs.map((r) => formatMs(r.ms)).join(', ')}; baseline runs: ${base.map(formatMs).join(', ')}`,
    `werker's time (medians): start-up to \`run.started\` ${m('startup')} (of which \`werker --version\`, i.e. node + tsx + commander, ${formatMs(versionMs)}), ` +
      `setup to the first step ${m('setup')}, 4 steps (wercker-init + 3) ${m('steps')}, cleanup ${m('cleanup')}, exit after \`run.finished\` ${m('exit')}`,
  ];
  const met = ratio <= GOAL;
  return {
    id: 'P1', title: 'pipeline overhead: 3-step busybox pipeline vs the same by hand with the docker CLI',
    werker: formatMs(werker), baseline: formatMs(baseline), result: `${ratio.toFixed(2)}×`, goal: `≤ ${GOAL.toFixed(1)}×`, met, details,
    ...(met ? {} : { note: missNote(werker, baseline, phases, versionMs) }),
  };
}

function missNote(werker: number, baseline: number, phases: Phases[], versionMs: number): string {
  const m = (k: keyof Phases) => median(phases.map((p) => p[k]));
  const fixed = m('startup') + m('exit');
  return `werker took ${formatMs(werker - baseline)} longer than the script. ${formatMs(fixed)} of werker's time is before \`run.started\` and after \`run.finished\` ` +
    `(process start-up and exit); ${formatMs(versionMs)} of that is node + tsx + commander alone (\`werker --version\`), which a compiled Go CLI such as docker does not pay. ` +
    `The engine work itself (setup + steps + cleanup) took ${formatMs(m('setup') + m('steps') + m('cleanup'))}, about what the script spends on the same Docker calls. ` +
    'To close it: run from the compiled `dist/` (no tsx transform at start-up), load dockerode/zod lazily or bundle the CLI into one file, ' +
    'and overlap the independent start-up calls (engine version probe, ping, leftover scan, image inspect) instead of making them one after another.';
}
