import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '../../src/engine/events.ts';
import { LineSplitter } from '../../src/util/lines.ts';
import { installedEntry } from './installed.ts';
import { elapsed } from './timing.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(repoRoot, 'src/cli/main.ts');
const GNU_TIME = '/usr/bin/time';

export interface WerkerRun {
  /** Wall time from spawn to exit. */
  ms: number;
  /** Epoch ms at spawn, to set against the events' `at`. */
  spawnedAt: number;
  exitedAt: number;
  /** The NDJSON events (only with `json`). */
  events: RunEvent[];
  stderr: string;
  /** Peak resident set size of the CLI process (only with `measureRss`). */
  maxRssKb?: number;
}

export interface WerkerOptions {
  /** Add `--json` and parse stdout as events; otherwise stdout goes to /dev/null. */
  json?: boolean;
  /** Called as each event arrives (e.g. to follow a service's logs once it exists). */
  onEvent?: (event: RunEvent) => void;
  measureRss?: boolean;
  env?: Record<string, string>;
  /** `tsx`: src/cli/main.ts through tsx, as from a clone, instead of the installed package. */
  via?: Via;
  /** Exit codes that are the expected outcome (default: 0 only), e.g. a deploy meant to fail. */
  okCodes?: number[];
}

/** How werker is started: the installed package (what users run), or src/ through tsx (a clone). */
export type Via = 'installed' | 'tsx';

/** node's arguments that start werker `via` (the installed entry is node's first argument). */
export async function werkerNodeArgs(via: Via = 'installed'): Promise<string[]> {
  return via === 'tsx' ? ['--import', 'tsx', CLI] : [await installedEntry()];
}

/**
 * Runs the CLI as a user does: the packed and installed package (lib/installed.ts), with this
 * node; or, with `via: 'tsx'`, from a clone (`node --import tsx src/cli/main.ts`, which is what
 * `npx tsx` ends up running, minus npx's own start-up). Waits for it; a non-zero exit throws.
 */
export async function runWerker(args: string[], opts: WerkerOptions = {}): Promise<WerkerRun> {
  const rssFile = opts.measureRss && existsSync(GNU_TIME) ? path.join(os.tmpdir(), `werker-bench-rss-${process.pid}-${Date.now()}`) : undefined;
  const program = await werkerNodeArgs(opts.via);
  const node = [process.execPath, ...program, ...args, ...(opts.json ? ['--json'] : [])];
  // GNU time reports the exact peak (ru_maxrss); without it, /proc polling comes close.
  const argv = rssFile ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...node] : node;
  const spawnedAt = Date.now();
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', opts.json ? 'pipe' : 'ignore', 'pipe'],
  });
  const events: RunEvent[] = [];
  const splitter = new LineSplitter();
  const onLine = (line: string) => {
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as RunEvent;
    events.push(event);
    opts.onEvent?.(event);
  };
  child.stdout?.on('data', (c: Buffer) => splitter.push(c).forEach(onLine));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const poller = opts.measureRss && !rssFile ? pollPeakRss(child.pid!) : undefined;
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const ms = elapsed(started);
  const run: WerkerRun = { ms, spawnedAt, exitedAt: Date.now(), events, stderr };
  if (rssFile) {
    run.maxRssKb = Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop());
    await rm(rssFile, { force: true });
  }
  if (poller) run.maxRssKb = poller.stop();
  if (!(opts.okCodes ?? [0]).includes(code ?? -1)) {
    const failure = events.findLast((e) => e.type === 'run.finished');
    const output = events.slice(-6).map((e) => JSON.stringify(e).slice(0, 400)).join(' | ');
    throw new Error(`werker ${args[0]} exited with ${code}: ${JSON.stringify(failure ?? {})} ${stderr.trim().split('\n').slice(-5).join(' | ')} ${output}`);
  }
  return run;
}

/** Polls VmHWM (the kernel's own peak RSS) of a process every 20 ms. */
function pollPeakRss(pid: number): { stop: () => number } {
  let peak = 0;
  const read = () => {
    readFile(`/proc/${pid}/status`, 'utf8').then((s) => {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
      peak = Math.max(peak, kb);
    }, () => undefined);
  };
  const timer = setInterval(read, 20);
  return { stop: () => (clearInterval(timer), peak) };
}

/** Epoch ms of an event. */
export const at = (e: { at: string }): number => Date.parse(e.at);

/** The first event of a type (and matching `where`), or a clear error naming what was missing. */
export function eventOf<T extends RunEvent['type']>(run: WerkerRun, type: T, where: (e: Extract<RunEvent, { type: T }>) => boolean = () => true): Extract<RunEvent, { type: T }> {
  const found = run.events.find((e): e is Extract<RunEvent, { type: T }> => e.type === type && where(e as Extract<RunEvent, { type: T }>));
  if (!found) throw new Error(`no ${type} event in the run's output`);
  return found;
}
