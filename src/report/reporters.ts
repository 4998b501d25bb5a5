import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { EventSink, RunEvent } from '../engine/events.ts';
import { formatEvent } from './format.ts';

/** Lines for a person: coloured on a terminal, plain otherwise (no cursor movement either way). */
export function lineReporter(write: (text: string) => void, color: boolean): EventSink {
  let afterStepsAnnounced = false;
  return (event) => {
    if (event.type === 'step.started' && event.phase === 'after' && !afterStepsAnnounced) {
      afterStepsAnnounced = true;
      write('Starting after-steps\n');
    }
    const text = formatEvent(event, color);
    if (text !== undefined) write(`${text}\n`);
  };
}

/** `--json`: one event per line, the same shape the server stores. */
export function ndjsonReporter(write: (text: string) => void): EventSink {
  return (event) => write(`${JSON.stringify(event)}\n`);
}

/**
 * The run's log file: the plain lines, each with its time. Events arrive masked, so the file
 * holds no secret either.
 */
export function logFileReporter(file: string): { sink: EventSink; close: () => Promise<void> } {
  mkdirSync(path.dirname(file), { recursive: true });
  const stream: WriteStream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  const lines = lineReporter((text) => stream.write(text), false);
  const sink: EventSink = (event: RunEvent) => {
    if (event.type === 'step.output') stream.write(`${event.at} ${event.stream === 'stderr' ? '! ' : '  '}${event.text}\n`);
    else lines(event);
  };
  return { sink, close: () => new Promise((resolve) => stream.end(resolve)) };
}
