import { open } from 'node:fs/promises';
import path from 'node:path';

const EDGE_BYTES = 64 * 1024;

export interface StepTiming {
  /** The step's duration as werker reported it (`Step passed: NAME (12.3s)`). */
  stepMs: number;
  /** First output line → last output line, from the log's per-line times (ms resolution). */
  outputSpanMs: number;
  logBytes: number;
}

/**
 * Reads a step's timing from the run's log file (`<working-dir>/logs/<run-id>.log`) without
 * reading the whole file: P4's log holds a quarter of a gigabyte of output, which is why its
 * timing is not taken from `--json` events on a pipe (the bench would parse all of it and
 * compete with werker for the CPU).
 */
export async function stepTimingFromLog(workingDir: string, runId: string, stepName: string): Promise<StepTiming> {
  const file = await open(path.join(workingDir, 'logs', `${runId}.log`), 'r');
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(Math.min(EDGE_BYTES, size));
    await file.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(EDGE_BYTES, size));
    await file.read(tail, 0, tail.length, size - tail.length);
    const tailText = tail.toString('utf8');
    const passed = new RegExp(`Step passed: ${stepName} \\((\\d+(?:\\.\\d+)?)s\\)`).exec(tailText);
    if (!passed) throw new Error(`no "Step passed: ${stepName}" at the end of the run's log`);
    const stamps = (text: string) => [...text.matchAll(/^(\d{4}-\d\d-\d\dT[\d:.]+Z) {2,}/gm)].map((m) => Date.parse(m[1]!));
    const first = stamps(head.toString('utf8'))[0];
    const last = stamps(tailText).at(-1);
    return { stepMs: Number(passed[1]) * 1000, outputSpanMs: first !== undefined && last !== undefined ? last - first : Number.NaN, logBytes: size };
  } finally {
    await file.close();
  }
}
