import type Docker from 'dockerode';
import type { TerminalStreams } from '../runtime.ts';

/**
 * `docker exec -it` through the Engine API: a Tty exec (one raw stream, no multiplexing) joined
 * to the user's terminal in raw mode, resized with it, until the command exits. `input` is
 * written first, as if typed. dockerode calls are left unwrapped: the caller maps errors.
 */
export async function runInteractiveExec(
  docker: Docker, containerId: string, cmd: string[], terminal: TerminalStreams, opts: { env?: string[]; workingDir?: string; input?: string } = {},
): Promise<number> {
  const create: Docker.ExecCreateOptions = { Cmd: cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true };
  if (opts.env) create.Env = opts.env;
  if (opts.workingDir) create.WorkingDir = opts.workingDir;
  const exec = await docker.getContainer(containerId).exec(create);
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as NodeJS.ReadWriteStream & { destroy(): void };
  const resize = () => {
    const { rows, cols } = terminal.size();
    exec.resize({ h: rows, w: cols }).catch(() => undefined);
  };
  const offResize = terminal.onResize(resize);
  const forward = (chunk: Buffer) => stream.write(chunk);
  terminal.setRaw(true);
  try {
    resize();
    stream.on('data', (chunk: Buffer) => terminal.output.write(chunk));
    if (opts.input) stream.write(opts.input);
    terminal.input.on('data', forward);
    terminal.input.resume();
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
  } finally {
    terminal.input.off('data', forward);
    // A paused stdin no longer keeps the process alive once the run is over.
    terminal.input.pause();
    terminal.setRaw(false);
    offResize();
    stream.destroy();
  }
  const info = await exec.inspect();
  return info.ExitCode ?? -1;
}
