import type { RunEvent, RunEventType, StepPhase } from '../engine/event-types.ts';

/**
 * What each event says to a person, shared by the terminal reporter (format.ts colours it) and
 * the web UI's live log (server/ui/client/ gives each tone a class): one set of words, two
 * ways of showing them. Pure: no Node and no DOM here, the browser bundle imports it too.
 */

/** How a piece of text is shown: a colour on a terminal, a class in the browser. */
export type Tone = 'plain' | 'note' | 'heading' | 'step' | 'passed' | 'failed' | 'cancelled' | 'warning' | 'hint';
export interface Segment {
  text: string;
  tone: Tone;
  /** Bold on a terminal, heavier in the browser. */
  strong?: true;
}
/** An event's text: segments in order; a `\n` inside or between them starts a new line. */
export type EventText = Segment[];

type Describer<K extends RunEventType> = (e: Extract<RunEvent, { type: K }>) => EventText | undefined;
/** One entry per event type: a new event kind does not compile until it has its words. */
type Describers = { [K in RunEventType]: Describer<K> };

/** wercker's name for everything before the first step (docs/wercker-compat.md §4.1). */
export const SETUP_STEP = 'setup environment';

const seg = (text: string, tone: Tone = 'plain', strong?: boolean): Segment => (strong ? { text, tone, strong: true } : { text, tone });
const NEWLINE = seg('\n');

/** Seconds with a fixed precision, as the terminal shows them: `1.50s`, `12.3s`. */
export const secs = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
const size = (bytes: number) => (bytes > 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} kB`);
const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');

/**
 * The lines of a run, in wercker's words where wercker had them (docs/wercker-compat.md §4.1):
 * `--> Running step: X`, `Step failed: X`, `Steps passed`, `Running after-step: X`, …
 * Undefined: the event shows nothing.
 */
const describers: Describers = {
  // wercker counted the setup as a step, `setup environment` (§4.1): its images, services and box lines come under it.
  'run.started': (e) => [
    seg(`--> ${e.pipeline}: box ${e.box}${e.services.length ? `, services ${e.services.join(', ')}` : ''}`, 'heading', true), seg(` (run ${e.runId})`, 'note'),
    NEWLINE, seg(`--> Running step: ${SETUP_STEP}`, 'step', true),
  ],
  'image.pull': (e) => (e.status.startsWith('Pulling from') || e.status.startsWith('Status:') ? [seg(`    ${e.image}: ${e.status}`)] : undefined),
  'image.ready': (e) => [seg(`    image ${e.image} ${e.pulled ? `pulled in ${secs(e.durationMs)}` : 'present'}`, 'note')],
  'service.started': (e) => [seg(`--> Service ${e.name} (${e.image}) started`, 'note')],
  'service.ready': (e) => [seg(`--> Service ${e.name} ready after ${secs(e.waitedMs)} (${e.how})`, 'note')],
  'service.failed': (e) => [seg(`--> Service ${e.name} failed: ${e.message}`, 'failed'), ...(e.logs ? [NEWLINE, seg(indent(e.logs.trimEnd()), 'note')] : [])],
  'service.logs': (e) => [seg(`--> Last output of service ${e.name}:`, 'note'), NEWLINE, seg(indent(e.logs.trimEnd() || '(none)'), 'note')],
  'step.started': (e) => [seg(e.phase === 'after' ? `Running after-step: ${e.name}` : `--> Running step: ${e.name}`, 'step', true)],
  'step.output': (e) => [outputSegment(e.stream, e.text)],
  'step.finished': (e) => {
    const what = e.phase === 'after' ? 'After-step' : 'Step';
    const took = seg(` (${secs(e.durationMs)})`, 'note');
    if (e.status === 'passed') return [seg(`${what} passed: ${e.name}`, 'passed'), took];
    const problem = stepProblem(e);
    return [seg(`${what} failed: ${e.name}`, 'failed', true), took, ...(problem ? [NEWLINE, ...problem] : [])];
  },
  'phase.finished': (e) => {
    if (e.phase === 'setup') return setupFinished(e.status, e.durationMs);
    return e.phase === 'main' && e.status === 'passed' ? [seg('Steps passed', 'passed')] : undefined;
  },
  'artifacts.stored': (e) => [seg(`--> Stored artifacts: ${e.files} files, ${size(e.bytes)} in ${e.path}`, 'note')],
  log: (e) => (e.level === 'debug' ? undefined : [seg(e.text, e.level === 'warn' ? 'warning' : 'plain')]),
  'run.finished': (e) => {
    const head = e.status === 'passed' ? seg('Pipeline finished', 'passed', true) : e.status === 'cancelled' ? seg('Pipeline cancelled', 'cancelled', true) : seg('Pipeline failed', 'failed', true);
    const text = [head, seg(` in ${secs(e.durationMs)}`, 'note')];
    if (e.error) text.push(NEWLINE, seg(`error: ${e.error.message}`, 'failed'));
    if (e.error?.hint) text.push(NEWLINE, seg(`  hint: ${e.error.hint}`, 'hint'));
    return text;
  },
};

/** The setup phase's end in wercker's words for a step; why it failed follows in the run's error. */
function setupFinished(status: 'passed' | 'failed', durationMs: number | undefined): EventText {
  const took = durationMs === undefined ? [] : [seg(` (${secs(durationMs)})`, 'note')];
  return status === 'passed' ? [seg(`Step passed: ${SETUP_STEP}`, 'passed'), ...took] : [seg(`Step failed: ${SETUP_STEP}`, 'failed', true), ...took];
}

/** The text of an event, or undefined when it shows nothing (a debug log, most pull progress). */
export function describeEvent(event: RunEvent): EventText | undefined {
  const describe = describers[event.type] as Describer<RunEventType>;
  return describe(event as never);
}

/** A line of a step's output: stderr stands out. */
export const outputSegment = (stream: 'stdout' | 'stderr', text: string): Segment => seg(text, stream === 'stderr' ? 'warning' : 'plain');

/** Why a step failed and what to do, under its `Step failed:` line (the web shows it in the step's log). */
export function stepProblem(e: { message?: string; hint?: string }): EventText | undefined {
  const text: EventText = [];
  if (e.message) text.push(seg(`    ${e.message}`, 'failed'));
  if (e.hint) text.push(...(text.length ? [NEWLINE] : []), seg(`    hint: ${e.hint}`, 'hint'));
  return text.length ? text : undefined;
}

/** The plain words of an event's text (no colour, no class). */

// The web pages' own rules, shared by the server-rendered page and the live log that updates it.

/** `1234` → `1.2s`, `75000` → `1m 15s`: the compact durations of the web pages. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
}

/** The key of a step's section in the run page's log (`data-key`): the same step, however it was learnt of. */
export const stepKey = (phase: StepPhase, step: number): string => `${phase}-${step}`;

/** What a run's badge says once it ended: `errored` (werker's own failure) shows as failed, as the store records it. */
export function finalRunStatus(status: Extract<RunEvent, { type: 'run.finished' }>['status']): 'passed' | 'failed' | 'cancelled' {
  return status === 'errored' ? 'failed' : status;
}

/** The line under the run page's log once the run ended: `Run passed after 1.2s`, with the error when there is one. */
export function runResultText(status: string, durationMs: number | null, error?: { message: string; hint?: string }): string {
  const after = durationMs !== null ? ` after ${formatDuration(durationMs)}` : '';
  const why = error ? `: ${error.message}${error.hint ? ` (${error.hint})` : ''}` : '';
  return `Run ${status}${after}${why}`;
}
