import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { ExecResult } from '../runtime.ts';

export interface ExecOptions {
  env?: string[];
  user?: string;
  workingDir?: string;
  stdin?: string;
}

/**
 * Runs a command in a running container to completion. With stdin the connection is hijacked so
 * the text can be written and then half-closed (the command sees EOF); without, the daemon's
 * plain response stream is enough. dockerode calls are left unwrapped: the caller maps errors.
 */
export async function runExec(docker: Docker, containerId: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const withStdin = opts.stdin !== undefined;
  const create: Docker.ExecCreateOptions = { Cmd: cmd, AttachStdin: withStdin, AttachStdout: true, AttachStderr: true, Tty: false };
  if (opts.env) create.Env = opts.env;
  if (opts.user) create.User = opts.user;
  if (opts.workingDir) create.WorkingDir = opts.workingDir;
  const exec = await docker.getContainer(containerId).exec(create);
  const stream = (await exec.start({ hijack: withStdin, stdin: withStdin, Detach: false, Tty: false })) as NodeJS.ReadWriteStream;
  const collected = collectDemuxed(docker, stream);
  if (opts.stdin !== undefined) stream.end(opts.stdin);
  const { stdout, stderr } = await collected;
  return { exitCode: await exitCodeOf(exec), stdout, stderr };
}

function collectDemuxed(docker: Docker, stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) => ({ write: (b: Buffer) => into.push(b) }) as unknown as NodeJS.WritableStream;
  return new Promise((resolve, reject) => {
    const done = () => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    docker.modem.demuxStream(stream, sink(out), sink(err));
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', reject);
  });
}

// The output ends when the process closes its streams; the daemon may record the exit code a
// moment later, so poll briefly instead of trusting the first inspect.
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let i = 0; ; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    if (i >= 100) return -1;
    await sleep(i < 10 ? 10 : 50);
  }
}
