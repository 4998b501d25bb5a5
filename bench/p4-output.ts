import { rm } from 'node:fs/promises';
import { CleanupScope } from './lib/cleanup-scope.ts';
import { BENCH_LABEL, BUSYBOX, deferRemoval, newId } from './lib/docker-objects.ts';
import { buildYml, writeProject } from './lib/pipelines.ts';
import { stepTimingFromLog, type StepTiming } from './lib/run-log.ts';
import { docker, runBash } from './lib/shell.ts';
import { makeTempDir } from './lib/temp-dir.ts';
import { formatMs, interleave, median } from './lib/timing.ts';
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
  const ratio = baseline / werker;
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
    ...(met ? {} : { note: missNote(ratio, rss) }),
  };
}

function missNote(ratio: number, rss: number): string {
  const parts: string[] = [];
  if (ratio < GOAL_RATIO) {
    parts.push(`Throughput is ${ratio.toFixed(2)}× the engine's: werker handles the output a line at a time in JavaScript. For each of the ~2.7 million lines ` +
      'the sentinel parser splits and scans it, the masker searches it once per secret form, the bus stamps an event (`new Date().toISOString()`, an object ' +
      'spread), the line reporter formats it and writes it to stdout, and the log reporter formats it again with its time and writes it to the log file. ' +
      'To close it: work on chunks, not lines, on the hot path — split and sentinel-scan each chunk once (the uuid is rarely present: one `indexOf` per chunk), ' +
      'mask a whole chunk at once (the masker already handles a chunk that ends inside a secret via `safeLength`), and emit one `step.output` event per chunk ' +
      'of lines rather than per line; and write to stdout and the log with one `write` per chunk.');
  }
  if (rss > GOAL_RSS_MB) {
    parts.push(`Peak RSS ${rss.toFixed(0)} MB: the output is read in flowing mode with nothing pushing back, so when the log file's write stream or stdout ` +
      'falls behind, the data queues in memory. To close it: honour `write()` returning false in the log reporter and pause the attach stream until `drain` ' +
      '(the demuxer already pauses its source when its consumer is behind).');
  }
  return parts.join(' ');
}
