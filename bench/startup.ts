import { spawn } from 'node:child_process';
import path from 'node:path';
import { installedWerker } from './lib/installed.ts';
import { markdownTable } from './lib/markdown.ts';
import { elapsed, formatMs, median } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { repoRoot, werkerNodeArgs } from './lib/werker-cli.ts';

const GOALS = { version: 25, check: 80 };
const CHECKED_FILE = path.join(repoRoot, 'examples/hello/wercker.yml');
const REFERENCE = path.join(repoRoot, 'examples/nexchange');

interface Probe {
  key: string;
  label: string;
  args: string[];
  goalMs?: number;
}

const PROBES: Probe[] = [
  { key: 'version', label: '`werker --version`', args: ['--version'], goalMs: GOALS.version },
  { key: 'version-cmd', label: '`werker version` (through the command parser)', args: ['version'] },
  { key: 'check', label: '`werker check-config examples/hello/wercker.yml`', args: ['check-config', CHECKED_FILE], goalMs: GOALS.check },
  { key: 'plan', label: '`werker plan examples/nexchange` (the reference example)', args: ['plan', REFERENCE] },
];

/** Spawns argv, waits for its exit (0 or it throws) and returns the wall time in ms. */
function timed(argv: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(elapsed(started)) : reject(new Error(`${argv.join(' ')} exited with ${code}: ${stderr.trim()}`))));
  });
}

/**
 * Start-up: how long the installed `werker` takes for a command that does little, against
 * `node -e 0` in the same run. Each round runs every variant once, in an order that rotates
 * from round to round, so a burst of load from a neighbour falls on all of them.
 */
export const startup: Benchmark = {
  id: 'startup',
  async run(ctx: BenchContext): Promise<BenchRow> {
    const { bin } = await installedWerker();
    const tsx = await werkerNodeArgs('tsx');
    const variants: [string, string[]][] = [['node', [process.execPath, '-e', '0']]];
    for (const p of PROBES) {
      variants.push([`installed ${p.key}`, [bin, ...p.args]], [`tsx ${p.key}`, [process.execPath, ...tsx, ...p.args]]);
    }
    const samples = new Map<string, number[]>(variants.map(([k]) => [k, []]));
    const rounds = ctx.runs * 3;
    for (const [, argv] of variants) await timed(argv); // untimed: tsx's transform cache, the page cache
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < variants.length; i++) {
        const [key, argv] = variants[(i + round) % variants.length]!;
        samples.get(key)!.push(await timed(argv));
      }
      if ((round + 1) % ctx.runs === 0) ctx.log(`round ${round + 1}/${rounds} done`);
    }
    return row(samples, rounds);
  },
};

function row(samples: Map<string, number[]>, rounds: number): BenchRow {
  const med = (key: string) => median(samples.get(key)!);
  const node = med('node');
  // The median of each round's difference to that round's `node -e 0`: runs a moment apart share
  // the load of the moment, so a busy round does not land on one side only.
  const nodeRuns = samples.get('node')!;
  const over = (key: string) => median(samples.get(key)!.map((ms, round) => ms - nodeRuns[round]!));
  const lines = PROBES.map((p) => [
    p.label, formatMs(med(`installed ${p.key}`)), `+${formatMs(over(`installed ${p.key}`))}`,
    p.goalMs === undefined ? '—' : `≤ +${formatMs(p.goalMs)}`,
    p.goalMs === undefined ? '—' : over(`installed ${p.key}`) <= p.goalMs ? 'yes' : '**no**',
    formatMs(med(`tsx ${p.key}`)), `+${formatMs(over(`tsx ${p.key}`))}`,
  ]);
  const table = markdownTable(
    ['command', 'installed (median)', 'minus `node -e 0`', 'goal', 'met?', 'through tsx (median)', 'minus `node -e 0`'],
    [['`node -e 0`', formatMs(node), '—', '—', '—', '—', '—'], ...lines],
  );
  const version = over('installed version');
  const check = over('installed check');
  const met = version <= GOALS.version && check <= GOALS.check;
  return {
    id: 'S', title: 'start-up of the installed `werker` minus `node -e 0`: `--version` / `check-config` one file',
    werker: `${formatMs(med('installed version'))} / ${formatMs(med('installed check'))}`, baseline: formatMs(node),
    result: `+${formatMs(version)} / +${formatMs(check)}`, goal: `≤ +${formatMs(GOALS.version)} / ≤ +${formatMs(GOALS.check)}`, met,
    table: { title: 'Start-up', markdown: table },
    method: 'The bench packs this tree (`npm pack`, whose prepack runs `npm run build`), installs the tarball with `npm install -g --prefix` ' +
      'into a temp dir and spawns the installed `werker` bin itself (its `#!/usr/bin/env node` line included), against `node -e 0` and, as an ' +
      `extra column, \`node --import tsx src/cli/main.ts\` from the clone. ${rounds} rounds after one untimed round; each round runs every variant ` +
      'once, the order rotating from round to round. Wall time from spawn to exit; medians, and "minus `node -e 0`" is the median of each round\'s ' +
      'difference to that round\'s `node -e 0`. `--version` answers before the command parser loads ' +
      '(src/cli/main.ts); `werker version` shows what loading commander and building the command line costs on top.',
    details: [...samples].map(([key, v]) => `${key}: ${v.map(formatMs).join(', ')}`),
    ...(met ? {} : { note: 'The start-up table above shows each command; see the method for what each loads.' }),
  };
}
