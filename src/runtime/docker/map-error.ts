import { CancelledError, DockerApiError, PortInUseError, WerkerError } from '../../errors.ts';

interface ModemError {
  statusCode?: number;
  json?: unknown;
  message?: string;
  code?: string;
  name?: string;
}

/** A network still has containers on it (or the engine still counts their endpoints). */
export const ACTIVE_ENDPOINTS = /active endpoints/i;
const IMAGE_HINT = 'build or pull it first; werker never pulls an image that is present unless --pull always';

/**
 * Turns whatever dockerode threw into one DockerApiError (or CancelledError for an abort), with
 * the daemon's own message rather than dockerode's "(HTTP code 404) no such container - …"
 * wrapper. Called once per API call, at the DockerRuntime boundary.
 */
export function toDockerApiError(err: unknown, op: string): WerkerError {
  if (err instanceof WerkerError) return err;
  const e = (err ?? {}) as ModemError;
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return new CancelledError(`${op}: cancelled`, { cause: err });
  const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
  const message = daemonMessage(e);
  const port = portInUse(message);
  if (port) return new PortInUseError(port.port, port.address, undefined, { cause: err });
  const hint = hintFor(status, op, message);
  return new DockerApiError(status, op, message, hint ? { cause: err, hint } : { cause: err });
}

/** The HTTP status of a dockerode (or already mapped) error; 0 for transport errors. */
export function statusOf(err: unknown): number {
  if (err instanceof DockerApiError) return err.status;
  const code = (err as ModemError | undefined)?.statusCode;
  return typeof code === 'number' ? code : 0;
}

function daemonMessage(e: ModemError): string {
  const json = e.json as { message?: unknown } | string | Buffer | null | undefined;
  if (json && typeof json === 'object' && !Buffer.isBuffer(json) && typeof json.message === 'string') return json.message.trim();
  if (typeof json === 'string' && json.trim()) return json.trim();
  const text = e.message ?? String(e);
  // Streamed calls carry no json; dockerode folds the daemon's message into its own text.
  const folded = /^\(HTTP code \d+\) [^-]*- (.*)$/s.exec(text.trim());
  return (folded?.[1] ?? text).trim();
}

function hintFor(status: number, op: string, message: string): string | undefined {
  if (op.startsWith('pull image')) {
    return 'werker pulls only images that are missing (or all with --pull always): check the name and that the registry is reachable, or build the image locally';
  }
  const imageOp = /^(inspect|tag|push) image\b/.test(op);
  if (status === 404 && (imageOp || /no such image|pull access denied|manifest .*not found/i.test(message))) return IMAGE_HINT;
  // Engines answer it with 403 or 409, depending on their version.
  if (ACTIVE_ENDPOINTS.test(message)) return 'remove (or disconnect) the containers on that network first';
  if (status === 409) {
    if (/already in use|already exists/i.test(message)) {
      return 'an object with that name already exists, probably left over from an earlier run: remove it (e.g. `docker rm -f NAME`) or choose another name';
    }
    if (/image is being used|conflict: unable to (delete|remove)/i.test(message)) return 'remove the containers that use it first';
    if (/is not running|is paused|is restarting/i.test(message)) return 'the container is not in a state that allows this; inspect it with `docker ps -a`';
    return 'the daemon reports a conflict with the current state of that object';
  }
  if (status === 0 && /ECONNREFUSED|ENOENT|EACCES|socket hang up|ECONNRESET/.test(message)) {
    return 'the Docker engine stopped answering; check that it is still running';
  }
  return undefined;
}

/**
 * A start that failed on a published port: docker-proxy could not listen (a host process has the
 * port: "listen tcp4 127.0.0.1:8000: bind: address already in use") or another container
 * publishes it ("Bind for 127.0.0.1:8000 failed: port is already allocated").
 */
export function portInUse(message: string): { address: string; port: string } | undefined {
  const m = /(?:Bind for|listen tcp[46]?) \[?([0-9a-f.:]*?)\]?:(\d+)(?: failed: port is already allocated|: bind: address already in use)/i.exec(message);
  return m ? { address: m[1] || '0.0.0.0', port: m[2]! } : undefined;
}
