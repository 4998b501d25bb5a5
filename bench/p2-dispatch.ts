import { CleanupScope } from './lib/cleanup-scope.ts';
import { BENCH_LABEL, BUSYBOX, deferRemoval, newId } from './lib/docker-objects.ts';
import { buildYml, trivialSteps, writeProject } from './lib/pipelines.ts';
import { docker, runBash } from './lib/shell.ts';
import { makeTempDir } from './lib/temp-dir.ts';
import { formatMs, interleave, median } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { at, type WerkerRun } from './lib/werker-cli.ts';
import { werkerBuild } from './lib/werker-build.ts';

const STEPS = 200;
/** `docker exec` costs the same every time; 20 calls give a steady mean in a tenth of the time of 200. */
const EXECS = 20;
const GOAL_MS = 3;

/**
 * P2: per-step dispatch. werker runs 200 `true` steps through the CLI; the span from the first
 * user step's `step.started` to the last one's `step.finished`, divided by 200, is the cost of a
 * step (start-up and container setup fall outside it). Baseline: `docker exec CTR true` per step.
 */
export const p2Dispatch: Benchmark = {
  id: 'p2',
  async run(ctx: BenchContext): Promise<BenchRow> {
    await using scope = new CleanupScope();
    const root = await makeTempDir(scope, 'p2');
    const project = await writeProject(`${root}/project`, buildYml(BUSYBOX, trivialSteps(STEPS)));
    const id = newId();
    deferRemoval(scope, BENCH_LABEL, id);
    const ctr = await docker(['run', '-d', '-i', '--label', `${BENCH_LABEL}=${id}`, BUSYBOX, 'sh']);
    const script = `for i in $(seq ${EXECS}); do docker exec ${ctr} true; done`;
    const [runs, base] = await interleave(
      ctx.runs,
      () => werkerBuild(project, `${root}/wd`, { json: true }),
      async () => (await runBash(script)).ms / EXECS,
      { log: ctx.log },
    );
    return row(runs.map(perStep), base, runs);
  },
};

function perStep(run: WerkerRun): { perStep: number; inStep: number } {
  const started = run.events.filter((e) => e.type === 'step.started' && e.name !== 'wercker-init');
  const finished = run.events.filter((e) => e.type === 'step.finished' && e.name !== 'wercker-init');
  if (started.length !== STEPS || finished.length !== STEPS) throw new Error(`expected ${STEPS} steps, saw ${started.length}`);
  const span = at(finished.at(-1)!) - at(started[0]!);
  const inStep = finished.reduce((sum, e) => sum + (e.type === 'step.finished' ? e.durationMs : 0), 0);
  return { perStep: span / STEPS, inStep: inStep / STEPS };
}

function row(werker: { perStep: number; inStep: number }[], base: number[], runs: WerkerRun[]): BenchRow {
  const value = median(werker.map((w) => w.perStep));
  const inStep = median(werker.map((w) => w.inStep));
  const met = value <= GOAL_MS;
  const details = [
    `per step, werker runs: ${werker.map((w) => formatMs(w.perStep)).join(', ')}; \`docker exec\` runs: ${base.map(formatMs).join(', ')}`,
    `of werker's ${formatMs(value)} per step, ${formatMs(inStep)} is inside the step (\`step.finished.durationMs\`: one shell batch round trip) ` +
      `and ${formatMs(value - inStep)} between steps; whole CLI run ${formatMs(median(runs.map((r) => r.ms)))} for ${STEPS} steps`,
  ];
  return {
    id: 'P2', title: `per-step dispatch over ${STEPS} trivial steps vs \`docker exec\` per step`,
    werker: formatMs(value), baseline: formatMs(median(base)), result: `${formatMs(value)} per step (${(median(base) / value).toFixed(0)}× faster than docker exec)`,
    goal: `≤ ${GOAL_MS} ms per step`, met, details,
    method: 'The CLI is spawned with `--json` on a pipeline of 200 `true` steps; the span from the first user step\'s `step.started` to the last ' +
      'one\'s `step.finished` (event times, ms resolution: ±0.01 ms per step over 200), divided by 200, is the per-step cost, so node start-up and box ' +
      `setup fall outside it. Measuring in the CLI process keeps the real reporters (NDJSON to a pipe, the log file) in the loop. Baseline: ${EXECS} ` +
      '`docker exec CTR true` in a shell loop against a running busybox container, per call.',
    ...(met ? {} : {
      note: `Each step is one batch on the box's shell: werker writes the step's setup and \`. run.sh\` to its stdin and waits for the status line and the stderr marker ` +
        `to come back through the attach stream; the ${formatMs(inStep)} inside a step is that round trip. To close it: send a step's batch without the per-step \`mkdir -p\` ` +
        '(one fork per step in the box; create all report dirs in the setup batch) and skip the stderr-marker wait when stderr is already idle.',
    }),
  };
}
