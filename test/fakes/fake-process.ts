import { spawn, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import type { AttachedProcess, OutputChunk } from '../../src/runtime/runtime.ts';

/**
 * A fake container's main process: a real local child (by default `/bin/sh` reading stdin), so
 * ShellSession and the engine can be exercised without Docker. Like a Docker attach, each
 * attachment sees the output produced after it was made and ends when the process's streams do.
 */
export class LocalProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number>;
  log = '';
  #subscribers = new Set<Readable>();
  #openStreams = 2;

  constructor(argv: string[], opts: { env: NodeJS.ProcessEnv; cwd: string }) {
    const [file = '/bin/sh', ...args] = argv;
    // Its own process group, so kill() takes its children too, as stopping a container does.
    this.child = spawn(file, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.stdin?.on('error', () => {}); // EPIPE after the shell exits, as with a real attach
    this.exited = new Promise((resolve) => {
      this.child.on('error', () => resolve(127));
      this.child.on('exit', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
    });
    this.#pipe('stdout');
    this.#pipe('stderr');
    // A container's streams close when its main process exits, even if a background job still
    // holds them; a local pipe would stay open, so end the attachments shortly after the exit.
    this.child.on('exit', () => setTimeout(() => this.#endAll(), 100).unref());
  }

  attach(): AttachedProcess {
    const out = new Readable({ objectMode: true, read() {} });
    if (this.#openStreams === 0) out.push(null);
    else this.#subscribers.add(out);
    const stdin = this.child.stdin;
    if (!stdin) throw new Error('fake process has no stdin');
    return {
      stdin,
      output: out,
      close: () => {
        if (this.#subscribers.delete(out)) out.push(null);
      },
    };
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.child.pid) return;
    try {
      process.kill(-this.child.pid, signal); // the group, even if the shell itself already exited
    } catch {
      // ESRCH: nothing left to kill
    }
  }

  #pipe(stream: OutputChunk['stream']): void {
    const source = this.child[stream];
    if (!source) return;
    source.on('data', (data: Buffer) => {
      this.log += data.toString('utf8');
      for (const sub of this.#subscribers) sub.push({ stream, data } satisfies OutputChunk);
    });
    // Like a Docker attach, the attachments end once the process has exited too: by then its
    // container reads as stopped, with its exit code (a closed pipe alone may come first).
    source.on('close', () => {
      if (--this.#openStreams <= 0) void this.exited.then(() => this.#endAll());
    });
  }

  #endAll(): void {
    this.#openStreams = 0;
    for (const sub of this.#subscribers) sub.push(null);
    this.#subscribers.clear();
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) || 0;
}
