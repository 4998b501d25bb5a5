import { CleanupScope } from './lib/cleanup-scope.ts';
import { BENCH_LABEL, BUSYBOX, deferRemoval, newId, removeLabelled } from './lib/docker-objects.ts';
import { buildYml, writeProject } from './lib/pipelines.ts';
import { runBash } from './lib/shell.ts';
import { P5_TREE, writeSourceTree } from './lib/source-tree.ts';
import { makeTempDir } from './lib/temp-dir.ts';
import { elapsed, formatMs, interleave, median, pairedRatio } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { at, eventOf, type WerkerRun } from './lib/werker-cli.ts';
import { werkerBuild } from './lib/werker-build.ts';

const GOAL_RATIO = 0.9;

/**
 * P5: a 30,000-file, 500 MB project copied into the box. werker: `run.started` → first
 * `step.started` of a one-step pipeline (network, box, the source as a tar stream, the step
 * scripts). By hand: the same network and container, then `tar -C src -c . | docker cp - …`.
 * Each side's cleanup happens outside its timing. The tree is written once and reused.
 */
export const p5SourceCopy: Benchmark = {
  id: 'p5',
  async run(ctx: BenchContext): Promise<BenchRow> {
    await using scope = new CleanupScope();
    const root = await makeTempDir(scope, 'p5');
    const project = `${root}/project`;
    const made = performance.now();
    const tree = await writeSourceTree(project, P5_TREE);
    await writeProject(project, buildYml(BUSYBOX, [{ name: 'first step', code: 'true' }]));
    ctx.log(`wrote ${tree.files} files, ${(tree.bytes / 1024 / 1024).toFixed(0)} MB in ${formatMs(elapsed(made))}`);
    const id = newId();
    deferRemoval(scope, BENCH_LABEL, id);
    const [runs, base] = await interleave(
      ctx.runs,
      async () => settled(await werkerBuild(project, `${root}/wd`, { json: true })),
      async (i) => settled(await baseline(project, id, i)),
      { log: ctx.log },
    );
    return row(runs, base, tree);
  },
};

/**
 * Each run leaves ~500 MB of dirty pages (the copy, then the container's removal); writing them
 * back during the next run doubled its time in trials, so every run starts from a synced disk.
 */
async function settled<T>(value: T): Promise<T> {
  await runBash('sync');
  return value;
}

/** The script's run; what it made is removed right after (untimed), and by the scope if interrupted. */
async function baseline(project: string, id: string, i: number): Promise<number> {
  try {
    const { ms } = await runBash(`
      n=werker-bench-${id}-${i + 1}
      docker network create --label ${BENCH_LABEL}=${id} "$n" >/dev/null
      c=$(docker run -d -i --label ${BENCH_LABEL}=${id} --network "$n" ${BUSYBOX} sh)
      docker exec "$c" mkdir -p /pipeline/source
      tar -C '${project}' -c . | docker cp - "$c":/pipeline/source`);
    return ms;
  } finally {
    await removeLabelled(BENCH_LABEL, id);
  }
}

const toFirstStep = (run: WerkerRun): number => at(eventOf(run, 'step.started')) - at(eventOf(run, 'run.started'));

function row(runs: WerkerRun[], base: number[], tree: { files: number; bytes: number; largeBytes: number }): BenchRow {
  const werker = median(runs.map(toFirstStep));
  const baselineMs = median(base);
  const ratio = pairedRatio(base, runs.map(toFirstStep));
  const met = ratio >= GOAL_RATIO;
  const mbps = (ms: number) => `${(tree.bytes / 1024 / 1024 / (ms / 1000)).toFixed(0)} MB/s`;
  const details = [
    `werker to the first step: ${runs.map((r) => formatMs(toFirstStep(r))).join(', ')} (whole CLI run ${formatMs(median(runs.map((r) => r.ms)))}); ` +
      `by hand: ${base.map(formatMs).join(', ')}`,
    `${tree.files} files, ${(tree.bytes / 1024 / 1024).toFixed(0)} MB: werker ${mbps(werker)}, tar | docker cp ${mbps(baselineMs)} (both including ~0.4 s of network and container setup)`,
  ];
  return {
    id: 'P5', title: '30,000-file, 500 MB source copied into the box vs `tar | docker cp`',
    werker: formatMs(werker), baseline: formatMs(baselineMs), result: `${ratio.toFixed(2)}× throughput`, goal: `≥ ${GOAL_RATIO}×`, met, details,
    method: `A generated tree (${tree.files} files: ${tree.files - P5_TREE.large} of 1–16 kB, ${P5_TREE.large} of ${(tree.largeBytes / 1024 / 1024).toFixed(1)} MB; ` +
      'written once, in the page cache for both sides) with a ' +
      'one-step wercker.yml. werker: the CLI with `--json`, timed from `run.started` to the first `step.started` (leftover scan, network, box, ' +
      'the source as a tar stream, the step scripts). By hand: `docker network create`, `docker run -d`, `docker exec mkdir`, then ' +
      '`tar -C src -c . | docker cp - CTR:/pipeline/source`. Cleanup is outside both timings, and a `sync` after each run keeps one run\'s writeback ' +
      'out of the next. Ratio: baseline time / werker time. Both sides end in the same daemon call (PUT /containers/…/archive), whose untar in a ' +
      'chroot takes one core of system time; its speed varies a lot with the rest of the machine\'s load.',
    ...(met ? {} : {
      note: 'werker now packs with GNU tar when it is on the PATH (werker walks the tree and applies the .werckerignore rules, tar packs the ' +
        'listed names; tar-fs, which packed this tree in ~4 s against ~0.7 s, is the fallback), so both sides stream the same kind of archive ' +
        'into the same daemon call (PUT /containers/…/archive); measured alone, that call takes as long from werker as from `docker cp`. The rest ' +
        'is werker\'s setup before the first step (leftover scan, step directories, the shell handshake, the env export: a few hundred ms) and ' +
        'the daemon\'s untar, whose speed swings with the machine\'s load between runs. To close it: start the copy before the shell handshake ' +
        '(create the source directory with the archive itself) so the two overlap.',
    }),
  };
}
