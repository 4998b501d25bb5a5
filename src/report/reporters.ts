import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { EventSink, RunEvent } from '../engine/events.ts';
import { batchedWriter } from './batched-writer.ts';
import { formatEvent } from './format.ts';
import { OpenLine } from './open-line.ts';

/**
 * Lines for a person: coloured on a terminal, plain otherwise (no cursor movement either way).
 * A step's output lines are written in batches (see batched-writer.ts); every other event
 * writes what is queued, then itself, at once.
 */
export function lineReporter(write: (text: string) => void, color: boolean): EventSink {
  let afterStepsAnnounced = false;
  const out = batchedWriter(write);
  const open = new OpenLine();
  return (event) => {
    if (event.type === 'step.output') {
      const { endOpen } = open.output(event.step, event.stream, event.partial);
      const text = color && event.stream === 'stderr' && event.text ? formatEvent(event, color) : event.text;
      out.push(`${endOpen ? '\n' : ''}${text}${event.partial ? '' : '\n'}`);
      return;
    }
    if (open.close()) out.push('\n');
    out.flush();
    if (event.type === 'step.started' && event.phase === 'after' && !afterStepsAnnounced) {
      afterStepsAnnounced = true;
      write('Starting after-steps\n');
    }
    const text = formatEvent(event, color);
    if (text !== undefined) write(`${text}\n`);
  };
}

/** `--json`: one event per line, the same shape the server stores; output lines batched as in lineReporter. */
export function ndjsonReporter(write: (text: string) => void): EventSink {
  const out = batchedWriter(write);
  return (event) => {
    if (event.type === 'step.output') return out.push(`${JSON.stringify(event)}\n`);
    out.flush();
    write(`${JSON.stringify(event)}\n`);
  };
}

const LOG_BATCH = 128 * 1024;
const LOG_HIGH_WATER = 1024 * 1024;

/**
 * The run's log file: the plain lines, each with its time. Events arrive masked, so the file
 * holds no secret either.
 */
export function logFileReporter(file: string): { sink: EventSink; close: () => Promise<void> } {
  mkdirSync(path.dirname(file), { recursive: true });
  // Room for a few large writes in flight before the stream counts as behind (see `congested`).
  const stream: WriteStream = createWriteStream(file, { flags: 'a', mode: 0o600, highWaterMark: LOG_HIGH_WATER });
  // A log file that can't be written (a full disk) must not end the run: say so once, write no more.
  let failed = false;
  stream.on('error', (err) => {
    if (failed) return;
    failed = true;
    process.stderr.write(`werker: the log file ${file} could not be written (${err.message}); the run goes on without it\n`);
  });
  // Few large writes instead of one per line: each queued write is an object and a round trip
  // to the thread pool, and millions of them piled up in memory when the disk fell behind.
  const out = batchedWriter((text) => void (failed || stream.write(text)), LOG_BATCH);
  const lines = lineReporter((text) => out.push(text), false);
  const open = new OpenLine();
  const sink: EventSink = (event: RunEvent) => {
    if (event.type === 'step.output') {
      const { endOpen, continues } = open.output(event.step, event.stream, event.partial);
      const stamp = continues ? '' : `${event.at} ${event.stream === 'stderr' ? '! ' : '  '}`;
      out.push(`${endOpen ? '\n' : ''}${stamp}${event.text}${event.partial ? '' : '\n'}`);
      return;
    }
    if (open.close()) out.push('\n');
    lines(event);
  };
  // Backpressure: past the stream's high-water mark the engine stops reading the box's output
  // (see ShellSession) until the file has caught up, so memory stays bounded on a slow disk.
  let drained: Promise<void> | undefined;
  sink.congested = () => {
    if (failed || !stream.writableNeedDrain) return undefined;
    drained ??= new Promise<void>((resolve) => {
      const done = () => {
        drained = undefined;
        stream.off('drain', done).off('error', done).off('close', done);
        resolve();
      };
      stream.once('drain', done).once('error', done).once('close', done);
    });
    return drained;
  };
  return {
    sink,
    close: () => new Promise((resolve) => {
      out.flush();
      stream.end(resolve);
    }),
  };
}
