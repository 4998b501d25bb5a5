import type DockerModem from 'docker-modem';
import { CancelledError, DockerApiError } from '../../errors.ts';
import type { PullProgress } from '../runtime.ts';
import { toDockerApiError } from './map-error.ts';

interface ProgressMessage {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/**
 * Follows a pull/push progress stream to its end. The daemon answers 200 before it starts and
 * reports failures (unknown repository, refused connection, denied push) as an `errorDetail`
 * message inside the stream, so the stream ending is not success: the first error message is.
 * Such in-stream failures carry status 500 (the daemon failed after accepting the request).
 */
export function followProgress(
  modem: DockerModem,
  stream: NodeJS.ReadableStream,
  op: string,
  onProgress?: (p: PullProgress) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: Error | undefined;
    const onAbort = () => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      finish(new CancelledError(`${op}: cancelled`));
    };
    const finish = (err: Error | undefined) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    modem.followProgress(
      stream,
      (err) => finish(failure ?? (err ? toDockerApiError(err, op) : undefined)),
      (msg: ProgressMessage) => {
        if (msg.error || msg.errorDetail) {
          failure ??= new DockerApiError(500, op, (msg.errorDetail?.message ?? msg.error ?? 'failed').trim());
          return;
        }
        if (onProgress && msg.status) onProgress(toProgress(msg));
      },
    );
  });
}

function toProgress(msg: ProgressMessage): PullProgress {
  const p: PullProgress = { status: msg.status ?? '' };
  if (msg.id) p.id = msg.id;
  if (typeof msg.progressDetail?.current === 'number') p.current = msg.progressDetail.current;
  if (typeof msg.progressDetail?.total === 'number') p.total = msg.progressDetail.total;
  return p;
}

/**
 * Follows a build's output: `stream` lines are printed, `aux.ID` is the image, and as with pushes
 * a failure arrives as an `errorDetail` message inside a 200 response.
 */
export function followBuild(modem: DockerModem, stream: NodeJS.ReadableStream, op: string, onOutput?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let failure: Error | undefined;
    let imageId = '';
    let partial = '';
    modem.followProgress(
      stream,
      (err) => {
        if (partial && onOutput) onOutput(partial);
        const error = failure ?? (err ? toDockerApiError(err, op) : undefined);
        if (error) reject(error);
        else resolve(imageId);
      },
      (msg: ProgressMessage & { stream?: string; aux?: { ID?: string } }) => {
        if (msg.error || msg.errorDetail) {
          failure ??= new DockerApiError(500, op, (msg.errorDetail?.message ?? msg.error ?? 'failed').trim());
          return;
        }
        if (msg.aux?.ID) imageId = msg.aux.ID;
        if (msg.stream && onOutput) {
          const lines = (partial + msg.stream).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) onOutput(line);
        }
      },
    );
  });
}
