import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunEvent } from '../src/engine/events.ts';
import { LineSplitter } from '../src/util/lines.ts';
import { CleanupScope } from './lib/cleanup-scope.ts';
import { BENCH_LABEL, deferRemoval, newId, removeLabelled } from './lib/docker-objects.ts';
import { docker } from './lib/shell.ts';
import { makeTempDir } from './lib/temp-dir.ts';
import { formatMs, interleave, median } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { at, repoRoot, werkerNodeArgs } from './lib/werker-cli.ts';

const GOAL_MS = 1500;
const NODE = 'werker-test/node:latest';
const POLL_MS = 10;

interface Sample {
  /** The save → the first response with the new text. */
  ms: number;
  /** werker only: save → "Reloading" (file event + debounce), → the server's "listening" line. */
  announced?: number;
  listening?: number;
}

/**
 * P6: the dev loop, save → new response, on examples/web (a Node http server that reads its
 * page at start-up, so an edit needs a restart). werker: `werker dev --publish` with
 * internal/watch `reload: true`. By hand: the same server as a container's main process
 * (`docker run --init -v project:/app -p …`) and `docker restart` typed right after the save.
 * Each side has its own copy of the project; the response is polled every 10 ms on 127.0.0.1.
 */
export const p6DevReload: Benchmark = {
  id: 'p6',
  async run(ctx: BenchContext): Promise<BenchRow> {
    await using scope = new CleanupScope();
    const root = await makeTempDir(scope, 'p6');
    const [werkerProject, handProject] = [`${root}/werker`, `${root}/by-hand`];
    for (const dir of [werkerProject, handProject]) await cp(path.join(repoRoot, 'examples/web'), dir, { recursive: true });
    const dev = await startWerkerDev(scope, werkerProject, `${root}/wd`);
    const hand = await startByHand(scope, handProject);
    ctx.log(`servers up: werker dev on ${dev.port}, by hand on ${hand.port}`);
    let rev = 0;
    const [werker, base] = await interleave(
      ctx.runs,
      async () => measureWerker(dev, werkerProject, `werker-${++rev}`),
      async () => ({ ms: await measureByHand(hand, handProject, `hand-${++rev}`) }),
      { warmup: 1, log: ctx.log },
    );
    return row(werker, base.map((b) => b.ms));
  },
};

interface DevServer {
  port: number;
  child: ChildProcess;
  events: RunEvent[];
}

async function startWerkerDev(scope: CleanupScope, project: string, workingDir: string): Promise<DevServer> {
  const port = await freePort();
  const runId = `p6${newId()}`;
  const child = spawn(process.execPath, [...await werkerNodeArgs(), 'dev', project, '--publish', `${port}:8000`,
    '--working-dir', workingDir, '--run-id', runId, '--json'], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: RunEvent[] = [];
  const splitter = new LineSplitter();
  child.stdout!.on('data', (c: Buffer) => splitter.push(c).forEach((l) => l.startsWith('{') && events.push(JSON.parse(l) as RunEvent)));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  scope.defer(`werker dev ${runId}`, async () => {
    child.kill('SIGINT');
    const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') child.kill('SIGKILL');
    else if (code !== 0) process.stderr.write(`bench p6: werker dev exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}\n`);
    await removeLabelled('werker.run', runId);
  });
  await waitFor(port, 'Hello from werker dev', 120_000, () => (child.exitCode !== null ? `werker dev exited: ${stderr.trim()}` : undefined));
  return { port, child, events };
}

async function startByHand(scope: CleanupScope, project: string): Promise<{ port: number; container: string }> {
  const port = await freePort();
  const id = newId();
  deferRemoval(scope, BENCH_LABEL, id);
  // --init: node as PID 1 would ignore SIGTERM, and every `docker restart` would wait its 10 s.
  const container = await docker(['run', '-d', '--init', '--label', `${BENCH_LABEL}=${id}`, '-p', `127.0.0.1:${port}:8000`,
    '-v', `${project}:/app`, '-w', '/app', NODE, 'node', 'server.js']);
  await waitFor(port, 'Hello from werker dev', 60_000);
  return { port, container };
}

async function measureWerker(dev: DevServer, project: string, text: string): Promise<Sample> {
  const before = dev.events.length;
  const saved = await save(project, text);
  const ms = await waitFor(dev.port, text, 15_000) - saved;
  const savedAt = Date.now() - (performance.now() - saved);
  await sleep(300); // let the events of this reload arrive
  const later = dev.events.slice(before).filter((e): e is Extract<RunEvent, { type: 'step.output' }> => e.type === 'step.output');
  const announced = later.find((e) => e.text.startsWith('--> Reloading'));
  const listening = later.find((e) => e.text.startsWith('listening on port'));
  return {
    ms, ...(announced ? { announced: at(announced) - savedAt } : {}), ...(listening ? { listening: at(listening) - savedAt } : {}),
  };
}

async function measureByHand(hand: { port: number; container: string }, project: string, text: string): Promise<number> {
  const saved = await save(project, text);
  await docker(['restart', hand.container]);
  return (await waitFor(hand.port, text, 30_000)) - saved;
}

/** A loopback port nothing listens on now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Writes page.js with `text` as its heading; resolves with the moment the write returned. */
async function save(project: string, text: string): Promise<number> {
  const file = path.join(project, 'page.js');
  const source = await readFile(file, 'utf8');
  await writeFile(file, source.replace(/<h1>[^<]*<\/h1>/, `<h1>${text}</h1>`));
  return performance.now();
}

/** Polls the page until it holds `text`; resolves with the moment it did. */
async function waitFor(port: number, text: string, limitMs: number, failed?: () => string | undefined): Promise<number> {
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    const body = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.text(), () => '');
    if (body.includes(text)) return performance.now();
    const problem = failed?.();
    if (problem) throw new Error(problem);
    await sleep(POLL_MS);
  }
  throw new Error(`port ${port} did not serve "${text}" within ${formatMs(limitMs)}`);
}

function row(samples: Sample[], base: number[]): BenchRow {
  const werker = median(samples.map((s) => s.ms));
  const baseline = median(base);
  const m = (k: 'announced' | 'listening') => formatMs(median(samples.flatMap((s) => (s[k] === undefined ? [] : [s[k]!]))));
  const met = werker <= GOAL_MS;
  const details = [
    `werker runs: ${samples.map((s) => formatMs(s.ms)).join(', ')}; by hand (\`docker restart\` right after the save): ${base.map(formatMs).join(', ')}`,
    `werker (medians, from the save): "Reloading" printed after ${m('announced')} (the file event and the 200 ms quiet time that ends a burst), ` +
      `the restarted server's "listening" line after ${m('listening')} (SIGINT through \`docker exec\`, the old server's exit, node's start-up), ` +
      `the new page served after ${formatMs(werker)}`,
  ];
  return {
    id: 'P6', title: 'dev reload: save → new response (werker dev vs `docker restart` by hand)',
    werker: formatMs(werker), baseline: formatMs(baseline), result: formatMs(werker), goal: `≤ ${formatMs(GOAL_MS)}`, met, details,
    ...(met ? {} : {
      note: 'The time goes to the quiet time that ends a burst of saves (200 ms), one `docker exec` to signal the code, and the server\'s own start-up; ' +
        'a shorter quiet time (RELOAD_QUIET_MS in src/dev/project-changes.ts) or signalling through the session shell would take it down.',
    }),
  };
}
