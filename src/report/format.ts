import pc from 'picocolors';
import type { RunEvent, RunEventType } from '../engine/events.ts';

type Colors = ReturnType<typeof pc.createColors>;
type Formatter<K extends RunEventType> = (e: Extract<RunEvent, { type: K }>, c: Colors) => string | undefined;
/** One entry per event type: a new event kind does not compile until every reporter handles it. */
type Formatters = { [K in RunEventType]: Formatter<K> };

const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
const size = (bytes: number) => (bytes > 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} kB`);

/**
 * The human-readable lines of a run, in wercker's words where wercker had them
 * (docs/wercker-compat.md §4.1): `--> Running step: X`, `Step failed: X`, `Steps passed`,
 * `Running after-step: X`, …
 */
export const formatters: Formatters = {
  'run.started': (e, c) => c.bold(`--> ${e.pipeline}: box ${e.box}${e.services.length ? `, services ${e.services.join(', ')}` : ''}`) + c.dim(` (run ${e.runId})`),
  'image.pull': (e) => (e.status.startsWith('Pulling from') || e.status.startsWith('Status:') ? `    ${e.image}: ${e.status}` : undefined),
  'image.ready': (e, c) => c.dim(`    image ${e.image} ${e.pulled ? `pulled in ${secs(e.durationMs)}` : 'present'}`),
  'service.started': (e, c) => c.dim(`--> Service ${e.name} (${e.image}) started`),
  'service.ready': (e, c) => c.dim(`--> Service ${e.name} ready after ${secs(e.waitedMs)} (${e.how})`),
  'service.failed': (e, c) => `${c.red(`--> Service ${e.name} failed: ${e.message}`)}${e.logs ? `\n${c.dim(indent(e.logs.trimEnd()))}` : ''}`,
  'service.logs': (e, c) => `${c.dim(`--> Last output of service ${e.name}:`)}\n${c.dim(indent(e.logs.trimEnd() || '(none)'))}`,
  'step.started': (e, c) => c.cyan(c.bold(e.phase === 'after' ? `Running after-step: ${e.name}` : `--> Running step: ${e.name}`)),
  'step.output': (e, c) => (e.stream === 'stderr' ? c.yellow(e.text) : e.text),
  'step.finished': (e, c) => {
    const what = e.phase === 'after' ? 'After-step' : 'Step';
    if (e.status === 'passed') return c.green(`${what} passed: ${e.name}`) + c.dim(` (${secs(e.durationMs)})`);
    const lines = [c.red(c.bold(`${what} failed: ${e.name}`)) + c.dim(` (${secs(e.durationMs)})`)];
    if (e.message) lines.push(c.red(`    ${e.message}`));
    if (e.hint) lines.push(c.cyan(`    hint: ${e.hint}`));
    return lines.join('\n');
  },
  'phase.finished': (e, c) => (e.phase === 'main' ? (e.status === 'passed' ? c.green('Steps passed') : undefined) : undefined),
  'artifacts.stored': (e, c) => c.dim(`--> Stored artifacts: ${e.files} files, ${size(e.bytes)} in ${e.path}`),
  log: (e, c) => (e.level === 'debug' ? undefined : e.level === 'warn' ? c.yellow(e.text) : e.text),
  'run.finished': (e, c) => {
    const head = e.status === 'passed' ? c.green(c.bold('Pipeline finished')) : e.status === 'cancelled' ? c.yellow(c.bold('Pipeline cancelled')) : c.red(c.bold('Pipeline failed'));
    const lines = [`${head}${c.dim(` in ${secs(e.durationMs)}`)}`];
    if (e.error) lines.push(c.red(`error: ${e.error.message}`));
    if (e.error?.hint) lines.push(c.cyan(`  hint: ${e.error.hint}`));
    return lines.join('\n');
  },
};

const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');

export function formatEvent(event: RunEvent, color: boolean): string | undefined {
  const c = pc.createColors(color);
  const f = formatters[event.type] as Formatter<RunEventType>;
  return f(event as never, c);
}
