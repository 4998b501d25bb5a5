import { rm } from 'node:fs/promises';
import { CleanupScope } from './lib/cleanup-scope.ts';
import { BENCH_LABEL, BUSYBOX, deferRemoval, newId } from './lib/docker-objects.ts';
import { buildYml, writeProject } from './lib/pipelines.ts';
import { stepTimingFromLog, type StepTiming } from './lib/run-log.ts';
import { docker, runBash } from './lib/shell.ts';
import { makeTempDir } from './lib/temp-dir.ts';
import { formatMs, interleave, median, pairedRatio } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { werkerBuild } from './lib/werker-build.ts';

const BYTES = 256 * 1024 * 1024;
/** 256 MB of 100-character lines (busybox has all three). */
const PRODUCE = `head -c ${BYTES} /dev/zero | tr '\\0' 'a' | fold -w 100`;
const STEP = 'produce';
/** A hidden value, so the masker is on for every line; it never occurs in the output. */
const SECRET = { XXX_BENCH_TOKEN: 'bench-token-5e1f9c' };
const GOAL_RATIO = 0.8;
const GOAL_RSS_MB = 200;

interface Sample extends StepTiming {
  wallMs: number;
  rssMb: number;
}

/**
 * P4: 256 MB of step output through werker (plain output to /dev/null, as `> /dev/null` in the
 * baseline; masking on) against `docker exec CTR sh -c '…' > /dev/null` in a running container.
 * werker's time is the step's own duration from its log; peak RSS is the CLI process's.
 */
export const p4Output: Benchmark = {
  id: 'p4',
  async run(ctx: BenchContext): Promise<BenchRow> {
    await using scope = new CleanupScope();
    const root = await makeTempDir(scope, 'p4');
    const project = await writeProject(`${root}/project`, buildYml(BUSYBOX, [{ name: STEP, code: PRODUCE }]));
    const id = newId();
    deferRemoval(scope, BENCH_LABEL, id);
    const ctr = await docker(['run', '-d', '-i', '--label', `${BENCH_LABEL}=${id}`, BUSYBOX, 'sh']);
    const workingDir = `${root}/wd`;
    const [runs, base] = await interleave(
      ctx.runs,
      async (): Promise<Sample> => {
        const run = await werkerBuild(project, workingDir, { measureRss: true, env: SECRET });
        const timing = await stepTimingFromLog(workingDir, run.runId, STEP);
        await rm(`${workingDir}/logs`, { recursive: true, force: true });
        return { ...timing, wallMs: run.ms, rssMb: (run.maxRssKb ?? Number.NaN) / 1024 };
      },
      async () => (await runBash(`docker exec ${ctr} sh -c "${PRODUCE}" > /dev/null`)).ms,
      { log: ctx.log },
    );
    return row(runs, base);
  },
};

function row(runs: Sample[], base: number[]): BenchRow {
  const werker = median(runs.map((r) => r.stepMs));
  const baseline = median(base);
  const ratio = pairedRatio(base, runs.map((r) => r.stepMs));
  const rss = Math.max(...runs.map((r) => r.rssMb));
  const met = ratio >= GOAL_RATIO && rss <= GOAL_RSS_MB;
  const mbps = (ms: number) => `${(BYTES / 1024 / 1024 / (ms / 1000)).toFixed(0)} MB/s`;
  const details = [
    `werker step: ${runs.map((r) => formatMs(r.stepMs)).join(', ')} (whole CLI run ${formatMs(median(runs.map((r) => r.wallMs)))}); ` +
      `docker exec: ${base.map(formatMs).join(', ')}`,
    `throughput: werker ${mbps(werker)}, docker exec ${mbps(baseline)}; peak RSS of the CLI: ${runs.map((r) => `${r.rssMb.toFixed(0)} MB`).join(', ')}; ` +
      `log file written: ${(median(runs.map((r) => r.logBytes)) / 1024 / 1024).toFixed(0)} MB`,
  ];
  return {
    id: 'P4', title: '256 MB of step output with masking on vs `docker exec … cat`; peak RSS',
    werker: formatMs(werker), baseline: formatMs(baseline), result: `${ratio.toFixed(2)}× throughput, peak RSS ${rss.toFixed(0)} MB`,
    goal: `≥ ${GOAL_RATIO}×, RSS ≤ ${GOAL_RSS_MB} MB`, met, details,
    method: 'One step, `' + PRODUCE + '`, with a hidden `XXX_` value set so every line goes through the masker. The CLI is spawned without ' +
      '`--json`, stdout to /dev/null (as the baseline\'s `> /dev/null`), under GNU time for its peak RSS (ru_maxrss). werker\'s time is the step\'s ' +
      'own duration, read from the end of the run\'s log file (`Step passed: produce (…s)`): timing it from `--json` events would put 256 MB through ' +
      'a pipe into the bench, which would then compete with werker for the 2 cores. Baseline: `docker exec CTR sh -c \'…\' > /dev/null` in a running ' +
      'busybox container. Ratio: baseline time / werker time (throughput).',
    ...(met ? {} : { note: missNote(ratio, rss) }),
  };
}

function missNote(ratio: number, rss: number): string {
  const parts: string[] = [];
  if (ratio < GOAL_RATIO) {
    parts.push(`Throughput is ${ratio.toFixed(2)}× the engine's because werker handles the output one line (~2.7 million of them) at a time on its ` +
      'main thread; a CPU profile (`node --cpu-prof`) of this step and micro-benchmarks of the parts find three costs of similar size (1–3 s each ' +
      'per 256 MB on this machine): (1) stdout — the line reporter makes one ' +
      '`process.stdout.write` per line, and stdout to a file, a TTY or (on Linux) a pipe is synchronous, so that is one `write(2)` per line; ' +
      '(2) `SentinelParser.#complete`, which runs `indexOf` over every line once per uuid it knows — the current one plus up to 8 stale ones — and ' +
      'builds a fresh array of them per line; (3) `createBus().emit`, which copies the subscriber list and spreads the body into a new object per ' +
      'event, plus `new Date().toISOString()` per line. The masker itself is cheap (under 0.1 s for all lines). To close it: buffer the line reporter\'s output and write once ' +
      'per incoming chunk (or per tick); give every batch\'s uuid a per-session prefix so one `indexOf` per line (or one per chunk) finds current and ' +
      'stale sentinels alike; and carry the lines of one chunk in one `step.output` event (e.g. `text` holding several lines) so the bus, the ' +
      'timestamps and the reporters work per chunk, not per line.');
  }
  if (rss > GOAL_RSS_MB) {
    parts.push(`Peak RSS ${rss.toFixed(0)} MB: about 40 MB of it is tsx (the compiled CLI idles at ~85 MB) and most of the rest is the log file. ` +
      '`logFileReporter` calls `stream.write` per line and ignores its return value, so when the disk is slower than the output, millions of ' +
      'small queued writes pile up in memory (with the log reporter left out, the same run peaks 70–90 MB lower). To close it: batch the log lines ' +
      'into large writes (the queue then holds a few 64 kB buffers instead of millions of strings) and, past a high-water mark, pause the attach ' +
      'stream until the log drains — the demuxer already pauses its source for a slow consumer.');
  }
  return parts.join(' ');
}
