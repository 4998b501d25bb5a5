import type { StepPhase } from '../../../engine/event-types.ts';
import type { EventText, Segment, Tone } from '../../../report/event-lines.ts';

/** The class of each tone of report/event-lines.ts in a step's output (the stylesheet colours them). */
const TONE_CLASSES: Record<Tone, string> = {
  plain: '', note: 'note', heading: 'heading', step: 'step', passed: 'passed', failed: 'failed', cancelled: 'cancelled', warning: 'stderr', hint: 'hint',
};

/**
 * A chatty step sends an event per line, possibly millions: the page keeps the last MAX_LINES
 * of each step (the full log stays in the store) and scrolls once per batch.
 */
const MAX_LINES = 5000;

/** The section for what happens before the first step (pulling the box, starting services). */
export const PREPARE_KEY = 'prepare';

/**
 * The run page's log (#log): a `<details>` per step (`data-key`, `data-state`) with its output
 * in a `<pre class="output">`, one child span per line. Text only ever goes in as
 * `textContent`, never as HTML, so nothing a step prints can become markup.
 */
export class LogView {
  readonly #log: HTMLElement;
  readonly #toScroll = new Set<HTMLElement>();
  #scrollTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(log: HTMLElement) {
    this.#log = log;
  }

  /** The section of a key; the server renders the ones it knows of, the rest are made here in the same shape (pages/run.tsx). */
  section(key: string, name: string, phase: StepPhase): HTMLDetailsElement {
    const found = this.find(key);
    if (found) return found;
    const details = el('details');
    details.dataset.key = key;
    details.dataset.state = 'pending';
    const summary = el('summary');
    summary.append(el('span', 'state'), el('span', 'name', name));
    if (phase === 'after') summary.append(el('span', 'phase', 'after-step'));
    summary.append(el('span', 'duration', ''));
    details.append(summary, el('pre', 'output'));
    // Preparing comes before the steps, whatever the server rendered already.
    if (key === PREPARE_KEY) this.#log.prepend(details);
    else this.#log.append(details);
    return details;
  }

  find(key: string): HTMLDetailsElement | null {
    return this.#log.querySelector<HTMLDetailsElement>(`details[data-key="${CSS.escape(key)}"]`);
  }

  /** An event's text as one more line (or lines) of a section's output. */
  appendText(target: HTMLDetailsElement, text: EventText): void {
    const line = text.length === 1 ? segmentSpan(text[0]!) : el('span');
    if (text.length !== 1) line.append(...text.map(segmentSpan));
    line.append('\n');
    this.#appendLine(target, line);
  }

  /** A piece of a step's output line: ended with a line break unless `open` (more of the line follows; see `extend`). */
  appendPiece(target: HTMLDetailsElement, segment: Segment, open: boolean): HTMLElement {
    const line = segmentSpan(segment);
    if (!open) line.append('\n');
    this.#appendLine(target, line);
    return line;
  }

  /** More of a line left open by `appendPiece`. */
  extend(line: HTMLElement, text: string, open: boolean): void {
    line.append(open ? text : `${text}\n`);
  }

  #appendLine(target: HTMLDetailsElement, line: HTMLElement): void {
    const pre = target.querySelector<HTMLElement>('pre.output');
    if (!pre) return;
    pre.append(line);
    dropOldestBeyondLimit(pre);
    this.#toScroll.add(pre);
    this.#scrollTimer ??= setTimeout(() => this.#scrollToEnd(), 50);
  }

  #scrollToEnd(): void {
    this.#scrollTimer = undefined;
    for (const pre of this.#toScroll) pre.scrollTop = pre.scrollHeight;
    this.#toScroll.clear();
  }
}

/** Past MAX_LINES, the oldest line goes and a note at the top counts how many went. */
function dropOldestBeyondLimit(pre: HTMLElement): void {
  let note = pre.firstElementChild?.classList.contains('dropped') ? pre.firstElementChild : null;
  if (pre.childElementCount - (note ? 1 : 0) <= MAX_LINES) return;
  note ??= pre.insertBefore(el('span', 'dropped'), pre.firstChild);
  note.nextElementSibling?.remove();
  const dropped = Number(note.getAttribute('data-count') ?? 0) + 1;
  note.setAttribute('data-count', String(dropped));
  note.textContent = `(${dropped} earlier lines not shown here)\n`;
}

function segmentSpan(segment: Segment): HTMLElement {
  const classes = [TONE_CLASSES[segment.tone], segment.strong ? 'strong' : ''].filter(Boolean).join(' ');
  return el('span', classes, segment.text);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
