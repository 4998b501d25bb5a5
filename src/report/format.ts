import pc from 'picocolors';
import type { RunEvent } from '../engine/events.ts';
import { describeEvent, type EventText, type Tone } from './event-lines.ts';

type Colors = ReturnType<typeof pc.createColors>;

/** The terminal's colour for each tone of event-lines.ts (the web UI gives each a class instead). */
const TONE_COLORS: Record<Tone, (c: Colors) => (text: string) => string> = {
  plain: () => (text) => text,
  note: (c) => c.dim,
  heading: () => (text) => text,
  step: (c) => c.cyan,
  passed: (c) => c.green,
  failed: (c) => c.red,
  cancelled: (c) => c.yellow,
  warning: (c) => c.yellow,
  hint: (c) => c.cyan,
};

/** An event's text (event-lines.ts) for a terminal or a file: coloured, or plain when `color` is false. */
export function colorText(text: EventText, color: boolean): string {
  const c = pc.createColors(color);
  let out = '';
  for (const { text: words, tone, strong } of text) out += TONE_COLORS[tone](c)(strong ? c.bold(words) : words);
  return out;
}

/** The human-readable lines of an event, or undefined when it shows nothing (docs/wercker-compat.md §4.1). */
export function formatEvent(event: RunEvent, color: boolean): string | undefined {
  const text = describeEvent(event);
  return text && colorText(text, color);
}
