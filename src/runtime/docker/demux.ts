import { Readable } from 'node:stream';
import type DockerModem from 'docker-modem';
import type { OutputChunk } from '../runtime.ts';

/**
 * Demultiplexes Docker's stdout/stderr framing (Tty=false) into one object-mode stream of
 * `{ stream, data }` chunks, in arrival order. dockerode's demuxStream writes synchronously and
 * ignores backpressure, so backpressure is applied to the source instead: it is paused while the
 * consumer is behind and resumed when it reads again.
 */
export function demuxToChunks(modem: DockerModem, source: NodeJS.ReadableStream & { destroyed?: boolean }): Readable & AsyncIterable<OutputChunk> {
  const out = new Readable({
    objectMode: true,
    read() {
      if (source.isPaused()) source.resume();
    },
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    out.push(null);
  };
  const sink = (stream: OutputChunk['stream']) =>
    // demuxStream only ever calls write(); a full Writable would add buffering we don't want.
    ({
      write(data: Buffer) {
        if (ended) return true;
        if (!out.push({ stream, data } satisfies OutputChunk)) source.pause();
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  modem.demuxStream(source, sink('stdout'), sink('stderr'));
  source.on('end', end);
  source.on('close', end);
  // A broken connection means the process is gone for us; the consumer sees the stream end.
  source.on('error', end);
  return out;
}

/** Splits a whole multiplexed buffer (non-follow logs, Tty=false) into its two streams. */
export function demuxBuffer(buf: Buffer): { stdout: string; stderr: string } {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const type = buf[at];
    if (type !== 0 && type !== 1 && type !== 2) {
      if (at === 0) return { stdout: buf.toString('utf8'), stderr: '' }; // a TTY container: no framing
      break;
    }
    const size = buf.readUInt32BE(at + 4);
    const frame = buf.subarray(at + 8, at + 8 + size);
    (type === 2 ? stderr : stdout).push(frame);
    at += 8 + size;
  }
  return { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}
