import type { RunEvent, RunEventType } from '../../../engine/events.ts';
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
  const handlers = runHandlers(page, () => finished(doc, page, source));
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

function runHandlers(page: RunPage, onFinished: () => void): Handlers {
  const { view } = page;
  let current: HTMLDetailsElement | null = null;
  const latestByStep = new Map<number, HTMLDetailsElement>();
  // A line a step printed in pieces (a 'partial' step.output, then the rest) stays one line:
  // its span grows until the line ends, or another stream, step or event ends it (OpenLine).
  const open = new OpenLine();
  let openLine: HTMLElement | undefined;
  const endOpenLine = () => {
    if (open.close() && openLine) view.extend(openLine, '', false);
    openLine = undefined;
  };

  const preparing = () => {
    const prep = view.section(PREPARE_KEY, 'Preparing the box', 'setup');
    if (prep.dataset.state === 'pending') prep.dataset.state = 'running';
    return prep;
  };
  /** An event's words (or none) under the running step, or under Preparing before the first. */
  const note = (event: RunEvent) => {
    endOpenLine();
    const text = describeEvent(event);
    if (text) view.appendText(current ?? preparing(), text);
  };
  // Preparing ends when the first step starts, or with the run: failed when no step ever ran.
  const finishPrepare = (state: 'passed' | 'failed') => {
    const prep = view.find(PREPARE_KEY);
    if (!prep || prep.dataset.state !== 'running') return;
    prep.dataset.state = state;
    if (state === 'failed') prep.open = true;
  };

  return {
    'run.started': (e) => {
      setRunState(page, 'running');
      note(e);
      e.steps.forEach((name, i) => view.section(stepKey('main', i + 1), name, 'main'));
      e.afterSteps.forEach((name, i) => view.section(stepKey('after', i + 1), name, 'after'));
    },
    'image.pull': note,
    'image.ready': note,
    'service.started': note,
    'service.ready': note,
    'service.failed': note,
    'service.logs': note,
    log: note,
    'artifacts.stored': note,
    'phase.finished': note,
    'step.started': (e) => {
      endOpenLine();
      finishPrepare('passed');
      if (current?.dataset.state === 'passed') current.open = false;
      current = view.section(stepKey(e.phase, e.step), e.name, e.phase);
      latestByStep.set(e.step, current);
      current.dataset.state = 'running';
      current.open = true;
    },
    'step.output': (e) => {
      const { endOpen, continues } = open.output(e.step, e.stream, e.partial);
      if (endOpen && openLine) view.extend(openLine, '', false);
      if (continues && openLine) view.extend(openLine, e.text, e.partial === true);
      else openLine = view.appendPiece(latestByStep.get(e.step) ?? current ?? preparing(), outputSegment(e.stream, e.text), e.partial === true);
      if (!e.partial) openLine = undefined;
    },
    'step.finished': (e) => {
      endOpenLine();
      const target = view.section(stepKey(e.phase, e.step), e.name, e.phase);
      target.dataset.state = e.status;
      const duration = target.querySelector('.duration');
      if (duration) duration.textContent = formatDuration(e.durationMs);
      const problem = stepProblem(e);
      if (problem) view.appendText(target, problem);
      if (e.status === 'failed') target.open = true;
    },
    'run.finished': (e) => {
      endOpenLine();
      const state = finalRunStatus(e.status);
      finishPrepare(state === 'passed' ? 'passed' : 'failed');
      setRunState(page, state);
      page.result.className = `result ${e.status}`;
      page.result.textContent = runResultText(e.status, e.durationMs, e.error);
      onFinished();
    },
  };
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
