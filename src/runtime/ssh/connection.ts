import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { shellJoin } from '../../util/shell-quote.ts';
import { SshError } from '../../errors.ts';
import { LineSplitter } from '../../util/lines.ts';
import { hostKeyAlgorithms, knownHostsName, parseKnownHosts, verifyHostKey } from './known-hosts.ts';

/** Where and as whom to connect. The host key must be listed in `knownHosts` (no trust on first use). */
export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** Private key text (OpenSSH or PEM). */
  privateKey: string;
  passphrase?: string;
  /** A known_hosts value: one or more lines as `ssh-keyscan` prints them. */
  knownHosts: string;
  readyTimeoutMs?: number;
}

export interface ExecOptions {
  /** Written to the command's stdin, which is then closed (secrets go here, never in argv). */
  stdin?: string;
  /** Each complete output line, as it arrives. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  timeoutMs?: number;
  /** Keep only this many last characters of each stream in the result (a followed log runs for hours). */
  keepTail?: number;
}

export interface ExecResult {
  /** Exit status; null when the command died of a signal or the channel closed without one. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** A command left running with its stdin open (e.g. a held lock); `end()` closes stdin and waits. */
export interface RunningCommand {
  /** Resolves with the first stdout line, or with undefined when the command ends without one. */
  firstLine: Promise<string | undefined>;
  done: Promise<ExecResult>;
  end(): Promise<ExecResult>;
}

/** A local terminal for `SshConnection.interactive`. */
export interface InteractiveIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  term: string;
  rows: number;
  cols: number;
  /** Calls back on each resize of the local terminal; returns how to stop. */
  onResize?(cb: (rows: number, cols: number) => void): () => void;
}

/** What the deploy needs from a server: argv commands, each quoted once for its POSIX shell. */
export interface RemoteShell {
  readonly host: string;
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** `onLine` sees each output line, as exec's does (a followed log). */
  start(argv: readonly string[], opts?: Pick<ExecOptions, 'onLine' | 'keepTail'>): Promise<RunningCommand>;
  close(): void;
}

/** An ssh2 connection whose host key was checked against the known_hosts value. */
export class SshConnection implements RemoteShell {
  /** Why the connection ended under us (a reset, a keepalive timeout), if it did. */
  #lost: string | undefined;

  private constructor(private readonly client: Client, readonly host: string) {
    // After `ready`, an error must not go unhandled (it would end the process): it is kept, and
    // commands that were running report it.
    client.on('error', (err: Error) => (this.#lost ??= err.message));
    client.on('close', () => (this.#lost ??= 'the connection closed'));
  }

  static async connect(target: SshTarget, signal?: AbortSignal): Promise<SshConnection> {
    const name = knownHostsName(target.host, target.port);
    const entries = parseKnownHosts(target.knownHosts);
    const algos = hostKeyAlgorithms(entries, name);
    if (!algos.length) {
      throw new SshError(name, 'connect', 'the known-hosts value has no entry for this host; werker does not connect to unverified hosts', {
        hint: `add its line, e.g. the output of \`ssh-keyscan${target.port === 22 ? '' : ` -p ${target.port}`} ${target.host}\` checked against the server's own key`,
      });
    }
    const client = new Client();
    let rejected: string | undefined;
    const config: ConnectConfig = {
      host: target.host, port: target.port, username: target.username, privateKey: target.privateKey,
      readyTimeout: target.readyTimeoutMs ?? 20_000, keepaliveInterval: 10_000,
      algorithms: { serverHostKey: algos as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
      hostVerifier: (key: Buffer) => {
        const verdict = verifyHostKey(entries, name, key);
        if (!verdict.ok) rejected = verdict.reason;
        return verdict.ok;
      },
    };
    if (target.passphrase) config.passphrase = target.passphrase;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        client.end();
        reject(new SshError(name, 'connect', 'cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      client.once('ready', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      client.on('error', (err: Error & { level?: string }) => {
        signal?.removeEventListener('abort', onAbort);
        if (rejected) reject(new SshError(name, 'connect', rejected, { cause: err, hint: 'check the known-hosts value; if the server\'s key really changed, replace its line' }));
        else if (err.level === 'client-authentication') reject(new SshError(name, 'auth', `${target.username} was not accepted with the given key`, { cause: err, hint: 'is the public key in that user\'s ~/.ssh/authorized_keys?' }));
        else reject(new SshError(name, 'connect', err.message, { cause: err }));
      });
      try {
        client.connect(config);
      } catch (err) {
        reject(new SshError(name, 'auth', `the private key cannot be used: ${(err as Error).message}`, { cause: err }));
      }
    });
    return new SshConnection(client, name);
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return (await this.#open(argv, opts, true)).done;
  }

  async start(argv: readonly string[], opts: Pick<ExecOptions, 'onLine' | 'keepTail'> = {}): Promise<RunningCommand> {
    let resolveFirst!: (line: string | undefined) => void;
    const firstLine = new Promise<string | undefined>((r) => (resolveFirst = r));
    const onLine = (stream: 'stdout' | 'stderr', line: string) => {
      if (stream === 'stdout') resolveFirst(line);
      opts.onLine?.(stream, line);
    };
    const { channel, done } = await this.#open(argv, { onLine, ...(opts.keepTail !== undefined ? { keepTail: opts.keepTail } : {}) }, false);
    void done.then(() => resolveFirst(undefined), () => resolveFirst(undefined));
    return {
      firstLine, done,
      end: () => {
        channel.end();
        return done;
      },
    };
  }

  close(): void {
    this.client.end();
  }

  /**
   * Runs argv on a pseudo-terminal of the given size, joined to a local terminal: its input goes
   * to the command, the command's output to `io.output`; resolves with the exit code. The local
   * side (raw mode, resizes) is the caller's.
   */
  interactive(argv: readonly string[], io: InteractiveIo): Promise<number | null> {
    return new Promise((resolve, reject) => {
      this.client.exec(shellJoin(argv), { pty: { term: io.term, rows: io.rows, cols: io.cols } }, (err, channel) => {
        if (err) return reject(new SshError(this.host, 'exec', `${argv[0]}: ${err.message}`, { cause: err }));
        let code: number | null = null;
        io.input.pipe(channel);
        // The local terminal outlives the session: never ended by it.
        channel.pipe(io.output, { end: false });
        channel.stderr.pipe(io.output, { end: false });
        const stopResize = io.onResize?.((rows, cols) => channel.setWindow(rows, cols, 0, 0));
        channel.on('exit', (c: number | null) => (code = c ?? null));
        channel.on('close', () => {
          io.input.unpipe(channel);
          stopResize?.();
          resolve(code);
        });
      });
    });
  }

  /**
   * Opens an exec channel and starts collecting at once, inside ssh2's callback: a quick command's
   * output, exit status and close can arrive in the same packet batch as the exec reply, and an
   * `exit` event emitted before a listener is attached is lost for good.
   */
  #open(argv: readonly string[], opts: ExecOptions, closeStdin: boolean): Promise<{ channel: ClientChannel; done: Promise<ExecResult> }> {
    return new Promise((resolve, reject) => {
      this.client.exec(shellJoin(argv), (err, channel) => {
        if (err) reject(new SshError(this.host, 'exec', `${argv[0]}: ${err.message}`, { cause: err }));
        else resolve({ channel, done: collect(channel, this.host, argv, opts, closeStdin, () => this.#lost) });
      });
    });
  }
}

/** Feeds stdin (then closes it, unless told to keep it open), gathers output, resolves on close. */
function collect(channel: ClientChannel, host: string, argv: readonly string[], opts: ExecOptions, closeStdin: boolean, lost: () => string | undefined): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const out = { stdout: '', stderr: '' };
    const split = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    const on = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      out[stream] += text;
      if (opts.keepTail !== undefined && out[stream].length > 2 * opts.keepTail) out[stream] = out[stream].slice(-opts.keepTail);
      for (const line of split[stream].push(chunk)) opts.onLine?.(stream, line);
    };
    channel.on('data', on('stdout'));
    channel.stderr.on('data', on('stderr'));
    let code: number | null = null;
    let signal: string | undefined;
    channel.on('exit', (c: number | null, s?: string) => {
      code = c ?? null;
      if (s) signal = s;
    });
    const timer = opts.timeoutMs ? setTimeout(() => {
      channel.close();
      reject(new SshError(host, 'exec', `${argv[0]} did not finish within ${Math.round(opts.timeoutMs! / 1000)}s`));
    }, opts.timeoutMs) : undefined;
    channel.on('close', () => {
      if (timer) clearTimeout(timer);
      for (const stream of ['stdout', 'stderr'] as const) {
        const rest = split[stream].flush();
        if (rest) opts.onLine?.(stream, rest);
      }
      const why = code === null && !signal ? lost() : undefined;
      if (why) reject(new SshError(host, 'exec', `${argv[0]}: ${why}`));
      else resolve({ code, ...(signal ? { signal } : {}), ...out });
    });
    if (opts.stdin !== undefined) channel.write(opts.stdin);
    if (closeStdin) channel.end();
  });
}
