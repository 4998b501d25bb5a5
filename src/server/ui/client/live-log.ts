import type { RunEvent, RunEventType } from '../../../engine/event-types.ts';
import { describeEvent, finalRunStatus, formatDuration, outputSegment, runResultText, stepKey, stepProblem } from '../../../report/event-lines.ts';
import { OpenLine } from '../../../report/open-line.ts';
import { LogView, PREPARE_KEY } from './log-view.ts';

type Handler<K extends RunEventType> = (event: Extract<RunEvent, { type: K }>) => void;
/** One entry per event type: a new kind of event does not compile until the page handles it, and no handler can wait for one that does not exist. */
type Handlers = { [K in RunEventType]: Handler<K> };

/** What the run page gives the live log: the elements it fills in (pages/run.tsx). */
interface RunPage {
  run: HTMLElement;
  badge: HTMLElement;
  result: HTMLElement;
  view: LogView;
}

/**
 * The run page's live log. It follows the server-sent events at `#run[data-events]` (replay
 * from the store, then live; routes/events.ts) and files each event under its step's
 * `<details>` in the words the terminal uses (report/event-lines.ts). Output arrives masked;
 * the page shows it as it is. `#run[data-log]` says where it is: following, reconnecting,
 * finished or stopped.
 */
export function followRunLog(doc: Document): void {
  const run = doc.getElementById('run');
  const log = doc.getElementById('log');
  const badge = doc.getElementById('run-status');
  const result = doc.getElementById('run-result');
  const events = run?.dataset.events;
  if (!run || !log || !badge || !result || !events || !window.EventSource) return;
  const page: RunPage = { run, badge, result, view: new LogView(log) };
  const handlers = new RunLog(page, () => finished(doc, page, source)).handlers();
  const source = new EventSource(events);
  const onEvent = eventDispatcher(doc, handlers);
  source.onmessage = onEvent;
  for (const type of Object.keys(handlers)) source.addEventListener(type, onEvent);
  source.onopen = () => (run.dataset.log = 'following');
  source.onerror = () => onStreamError(doc, page, source);
}

/** Parses each message, skips what was seen already, and hands it to its type's handler. */
function eventDispatcher(doc: Document, handlers: Handlers): (message: MessageEvent<string>) => void {
  let lastSeq = 0;
  return (message) => {
    const event = parseEvent(message.data);
    if (!event || !Object.hasOwn(handlers, event.type)) return;
    // A reconnect replays from Last-Event-ID; anything seen already is skipped all the same.
    if (event.seq <= lastSeq) return;
    lastSeq = event.seq;
    doc.getElementById('run-waiting')?.remove();
    (handlers[event.type] as Handler<RunEventType>)(event as never);
  };
}

function parseEvent(data: string): RunEvent | undefined {
  try {
    const event: unknown = JSON.parse(data);
    if (typeof event !== 'object' || event === null) return undefined;
    const { type, seq } = event as Record<string, unknown>;
    return typeof type === 'string' && typeof seq === 'number' ? (event as RunEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** The log's state as events arrive: the step being run, and a line a step left open. */
class RunLog {
  readonly #page: RunPage;
  readonly #onFinished: () => void;
  #current: HTMLDetailsElement | null = null;
  readonly #latestByStep = new Map<number, HTMLDetailsElement>();
  // A line a step printed in pieces (a 'partial' step.output, then the rest) stays one line:
  // its span grows until the line ends, or another stream, step or event ends it (OpenLine).
  readonly #open = new OpenLine();
  #openLine: HTMLElement | undefined;

  constructor(page: RunPage, onFinished: () => void) {
    this.#page = page;
    this.#onFinished = onFinished;
  }

  handlers(): Handlers {
    const note = (event: RunEvent) => this.#note(event);
    return {
      'run.started': (e) => this.#runStarted(e),
      'image.pull': note,
      'image.ready': note,
      'service.started': note,
      'service.ready': note,
      'service.failed': note,
      'service.logs': note,
      log: note,
      'artifacts.stored': note,
      'phase.finished': note,
      'step.started': (e) => this.#stepStarted(e),
      'step.output': (e) => this.#stepOutput(e),
      'step.finished': (e) => this.#stepFinished(e),
      'run.finished': (e) => this.#runFinished(e),
    };
  }

  /** An event's words (or none) under the running step, or under Preparing before the first. */
  #note(event: RunEvent): void {
    this.#endOpenLine();
    const text = describeEvent(event);
    if (text) this.#page.view.appendText(this.#current ?? this.#preparing(), text);
  }

  #runStarted(e: Extract<RunEvent, { type: 'run.started' }>): void {
    const { view } = this.#page;
    setRunState(this.#page, 'running');
    this.#note(e);
    e.steps.forEach((name, i) => view.section(stepKey('main', i + 1), name, 'main'));
    e.afterSteps.forEach((name, i) => view.section(stepKey('after', i + 1), name, 'after'));
  }

  #stepStarted(e: Extract<RunEvent, { type: 'step.started' }>): void {
    this.#endOpenLine();
    this.#finishPrepare('passed');
    if (this.#current?.dataset.state === 'passed') this.#current.open = false;
    const section = this.#page.view.section(stepKey(e.phase, e.step), e.name, e.phase);
    this.#current = section;
    this.#latestByStep.set(e.step, section);
    section.dataset.state = 'running';
    section.open = true;
  }

  #stepOutput(e: Extract<RunEvent, { type: 'step.output' }>): void {
    const { view } = this.#page;
    const partial = e.partial === true;
    const { endOpen, continues } = this.#open.output(e.step, e.stream, partial);
    if (endOpen && this.#openLine) view.extend(this.#openLine, '', false);
    if (continues && this.#openLine) view.extend(this.#openLine, e.text, partial);
    else this.#openLine = view.appendPiece(this.#latestByStep.get(e.step) ?? this.#current ?? this.#preparing(), outputSegment(e.stream, e.text), partial);
    if (!partial) this.#openLine = undefined;
  }

  #stepFinished(e: Extract<RunEvent, { type: 'step.finished' }>): void {
    this.#endOpenLine();
    const section = this.#page.view.section(stepKey(e.phase, e.step), e.name, e.phase);
    section.dataset.state = e.status;
    const duration = section.querySelector('.duration');
    if (duration) duration.textContent = formatDuration(e.durationMs);
    const problem = stepProblem(e);
    if (problem) this.#page.view.appendText(section, problem);
    if (e.status === 'failed') section.open = true;
  }

  #runFinished(e: Extract<RunEvent, { type: 'run.finished' }>): void {
    this.#endOpenLine();
    const state = finalRunStatus(e.status);
    this.#finishPrepare(state === 'passed' ? 'passed' : 'failed');
    setRunState(this.#page, state);
    this.#page.result.className = `result ${e.status}`;
    this.#page.result.textContent = runResultText(e.status, e.durationMs, e.error);
    this.#onFinished();
  }

  #endOpenLine(): void {
    if (this.#open.close() && this.#openLine) this.#page.view.extend(this.#openLine, '', false);
    this.#openLine = undefined;
  }

  #preparing(): HTMLDetailsElement {
    const prep = this.#page.view.section(PREPARE_KEY, 'Preparing the box', 'setup');
    if (prep.dataset.state === 'pending') prep.dataset.state = 'running';
    return prep;
  }

  /** Preparing ends when the first step starts, or with the run: failed when no step ever ran. */
  #finishPrepare(state: 'passed' | 'failed'): void {
    const prep = this.#page.view.find(PREPARE_KEY);
    if (!prep || prep.dataset.state !== 'running') return;
    prep.dataset.state = state;
    if (state === 'failed') prep.open = true;
  }
}

function setRunState(page: RunPage, state: string): void {
  page.run.dataset.status = state;
  page.badge.className = `badge ${state}`;
  page.badge.dataset.status = state;
  page.badge.textContent = state;
}

/** The run ended: swap Cancel for Retry, and stop listening (the server ends the stream after run.finished). */
function finished(doc: Document, page: RunPage, source: EventSource): void {
  doc.querySelectorAll<HTMLElement>('[data-while-active]').forEach((node) => (node.hidden = true));
  doc.querySelectorAll<HTMLElement>('[data-when-finished]').forEach((node) => (node.hidden = false));
  page.run.dataset.log = 'finished';
  source.close();
}

const FINAL_STATES = new Set(['passed', 'failed', 'cancelled']);

/**
 * The server ends the stream after run.finished. A run that never started (cancelled while
 * queued) has no run.finished: its stream ends with the run already final, and there is
 * nothing more to wait for; anything else reconnects (EventSource sends Last-Event-ID).
 */
function onStreamError(doc: Document, page: RunPage, source: EventSource): void {
  const { run, result } = page;
  if (run.dataset.log === 'finished') return;
  if (FINAL_STATES.has(run.dataset.status ?? '') && source.readyState !== EventSource.OPEN) return finished(doc, page, source);
  if (source.readyState === EventSource.CLOSED) {
    // The browser gave up (e.g. the session expired and the answer was the login page).
    run.dataset.log = 'stopped';
    result.className = 'result failed';
    result.textContent = 'The live log stopped: reload the page to follow it again.';
  } else {
    run.dataset.log = 'reconnecting';
  }
}
