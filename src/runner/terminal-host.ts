import { PassThrough, Writable } from 'node:stream';
import type { HeldBox } from '../engine/run-types.ts';
import type { TerminalStreams } from '../runtime/runtime.ts';
import type { Masker } from '../util/mask.ts';
import { StreamMasker } from '../util/mask-stream.ts';
import type { Job, RunnerBackend } from './protocol.ts';
import type { TerminalChannel, TerminalRequest } from './terminal-protocol.ts';

// The server's terminal into a failed step's box (docs/wercker-compat.md §8.4, werker's own):
// the runner that holds the box keeps it for the server's window and serves each terminal the
// server asks for with an exec session of its own, its output masked with the run's secrets.

export interface HoldOptions {
  job: Job;
  backend: RunnerBackend;
  /** How long the box is kept (the server's --terminal-minutes). */
  windowMs: number;
  masker: Masker;
  /** The run's signal: a cancel lets the box go at once. */
  signal: AbortSignal;
  log(text: string, level?: 'info' | 'warn'): void;
}

/** Keeps the failed box for the window (or until the run is cancelled), serving terminals meanwhile. */
export async function holdForTerminals(box: HeldBox, o: HoldOptions): Promise<void> {
  const { backend, job } = o;
  if (!backend.nextTerminal || !backend.openTerminal) return;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error('window')), o.windowMs);
  const onCancel = () => stop.abort(new Error('cancelled'));
  o.signal.addEventListener('abort', onCancel, { once: true });
  if (o.signal.aborted) onCancel();
  o.log(`step ${box.step} failed: its box is kept for ${minutes(o.windowMs)} for a terminal (Terminal on the run's page); cancel the run to let it go sooner`);
  const sessions = new Set<Promise<void>>();
  try {
    while (!stop.signal.aborted) {
      const request = await backend.nextTerminal(job.runId, job.lease, stop.signal).catch(async (err: Error) => {
        if (!stop.signal.aborted) {
          o.log(`could not ask the server for terminals: ${err.message}; asking again`, 'warn');
          await sleep(2000, stop.signal);
        }
        return undefined;
      });
      if (!request || stop.signal.aborted) continue;
      const session = serveTerminal(box, request, o, stop.signal).catch((err: Error) => o.log(`terminal of ${request.user}: ${err.message}`, 'warn'));
      sessions.add(session);
      void session.finally(() => sessions.delete(session));
    }
    await Promise.allSettled([...sessions]);
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener('abort', onCancel);
  }
  const why = (stop.signal.reason as Error | undefined)?.message === 'window' ? `the ${minutes(o.windowMs)} window is over` : 'the run was cancelled';
  o.log(`the failed box of step ${box.step} is let go (${why}); the after-steps and cleanup run now`);
}

/** One terminal: its own exec session of the box's shell, in the step's directory with its environment, until the shell or the socket ends. */
async function serveTerminal(box: HeldBox, request: TerminalRequest, o: HoldOptions, stop: AbortSignal): Promise<void> {
  const channel = await o.backend.openTerminal!(o.job.runId, o.job.lease, request.id);
  if (!channel) return;
  const shell = await box.shell();
  if (!shell) {
    channel.send({ type: 'notice', text: 'this box has no shell to open: its image has no /bin/sh and its cmd is no shell (a scratch or distroless image); nothing was started' });
    channel.close('the box has no shell');
    return;
  }
  const pidFile = `/tmp/.werker-terminal-${request.id.replace(/[^A-Za-z0-9_-]/g, '')}`;
  const streams = channelStreams(channel, o.masker);
  let ended = false;
  // The socket dropped or the window ended: hang the shell up (its jobs with it); the exec session ends with it.
  const hangUp = () => {
    if (ended) return;
    ended = true;
    streams.input.end();
    void box.runtime.exec(box.containerId, ['/bin/sh', '-c', `kill -HUP "$(cat ${pidFile})" 2>/dev/null; rm -f ${pidFile}`]).catch(() => undefined);
  };
  channel.onClose(hangUp);
  const onStop = () => {
    channel.send({ type: 'notice', text: 'the box is being let go (its time is over, or the run was cancelled): this terminal ends' });
    hangUp();
  };
  stop.addEventListener('abort', onStop, { once: true });
  channel.send({ type: 'notice', text: `a shell in the box of step ${box.step} (exit code ${box.exitCode ?? 'none: it timed out'}), in ${box.cwd}; exit or Ctrl-D ends it` });
  try {
    const code = await box.runtime.execInteractive!(box.containerId, withPidFile(shell, pidFile), streams, { env: [...box.env, 'TERM=xterm-256color'], workingDir: box.cwd });
    streams.flush();
    if (!ended) channel.send({ type: 'exit', code });
  } catch (err) {
    channel.send({ type: 'notice', text: `could not open the shell: ${(err as Error).message}` });
  } finally {
    stop.removeEventListener('abort', onStop);
    ended = true;
    channel.close('the shell exited');
    void box.runtime.exec(box.containerId, ['rm', '-f', pidFile]).catch(() => undefined);
  }
}

/** `/bin/sh -c SCRIPT` writes its pid first (exec keeps it), so a dropped socket can hang it up. */
function withPidFile(shell: string[], pidFile: string): string[] {
  if (shell[0] === '/bin/sh' && shell[1] === '-c' && shell.length === 3) return ['/bin/sh', '-c', `echo $$ > ${pidFile} 2>/dev/null; ${shell[2]}`];
  return shell;
}

/** The exec's terminal: keys and sizes from the channel, its output masked into it. */
function channelStreams(channel: TerminalChannel, masker: Masker): TerminalStreams & { input: PassThrough; flush(): void } {
  const input = new PassThrough();
  let size = { rows: 24, cols: 80 };
  const resizers = new Set<() => void>();
  const masked = new StreamMasker(masker);
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = masked.push(chunk);
      if (text) channel.send({ type: 'output', data: text });
      done();
    },
  });
  channel.onMessage((m) => {
    if (m.type === 'input' && !input.writableEnded) input.write(m.data);
    else if (m.type === 'resize') {
      size = { rows: m.rows, cols: m.cols };
      for (const fn of resizers) fn();
    }
  });
  return {
    input, output, size: () => size, setRaw: () => undefined,
    onResize: (fn) => {
      resizers.add(fn);
      return () => resizers.delete(fn);
    },
    flush: () => {
      const rest = masked.end();
      if (rest) channel.send({ type: 'output', data: rest });
    },
  };
}

const minutes = (ms: number): string => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
