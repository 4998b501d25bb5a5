import { type RemoteCommand } from './commands.ts';
import { cronPaths } from './cron.ts';
import { DEFAULT_CRON_HISTORY } from './day2-options.ts';
import type { CronJob, ReleaseSpec } from './release-spec.ts';

/**
 * Keeps a long command (a followed log) tied to the SSH channel: it runs in the background while
 * `cat` waits on the channel's stdin (saved on fd 3 first: a background job's own stdin is
 * /dev/null in a shell without job control); when werker closes the channel (Ctrl-C) or the connection
 * drops, `cat` ends and the command is killed, so nothing is left running on the host. A command
 * that ends by itself ends the session too.
 */
const TIED_TO_CHANNEL = 'exec 3<&0; "$@" 3<&- & pid=$!; (cat > /dev/null; kill "$pid") <&3 3<&- > /dev/null 2>&1 & exec 3<&-; wait "$pid"';

/** Lines of a log shown when neither --lines nor --since is given. */
export const DEFAULT_LOG_LINES = 100;

export interface LogRequest {
  follow: boolean;
  since?: string;
  lines?: number;
}

/** The remote commands of `werker release status|logs|exec`: pure functions of the spec (unit-tested with exact argv). */
export class Day2Commands {
  constructor(readonly spec: ReleaseSpec) {}

  #docker(...args: string[]): string[] {
    return [...this.spec.docker, ...args];
  }

  /** `<status> <port label> <started at> <image>` of a release container. */
  describeRelease(name: string): RemoteCommand {
    return { argv: this.#docker('inspect', '--type', 'container', '--format', '{{.State.Status}} {{index .Config.Labels "werker.port"}} {{.State.StartedAt}} {{.Config.Image}}', name) };
  }

  /** `<status> <started at> <image>` of an accessory. */
  describeAccessory(container: string): RemoteCommand {
    return { argv: this.#docker('inspect', '--type', 'container', '--format', '{{.State.Status}} {{.State.StartedAt}} {{.Config.Image}}', container) };
  }

  /** The job's recorded runs, oldest first, one JSON object a line. */
  cronHistory(job: CronJob): RemoteCommand {
    return { argv: ['tail', '-n', String(this.spec.cronHistory ?? DEFAULT_CRON_HISTORY), cronPaths(this.spec.stateDir, job).history] };
  }

  lastAuditLines(n: number): RemoteCommand {
    return { argv: ['tail', '-n', String(n), `${this.spec.stateDir}/audit.log`] };
  }

  /** A container's log; a followed one is tied to the channel (see TIED_TO_CHANNEL). */
  containerLogs(container: string, req: LogRequest): RemoteCommand {
    const lines = req.lines ?? (req.since ? undefined : DEFAULT_LOG_LINES);
    const argv = this.#docker('logs', '--timestamps', ...(req.follow ? ['--follow'] : []), ...(req.since ? ['--since', req.since] : []), ...(lines !== undefined ? ['--tail', String(lines)] : []), container);
    return req.follow ? tied(argv) : { argv };
  }

  /** The output of the job's last (or running) run; followed across runs (each run starts the file anew). */
  cronLogs(job: CronJob, req: LogRequest): RemoteCommand {
    const argv = ['tail', '-n', String(req.lines ?? DEFAULT_LOG_LINES), ...(req.follow ? ['-F'] : []), cronPaths(this.spec.stateDir, job).out];
    return req.follow ? tied(argv) : { argv };
  }

  /** A command in the live release: output only, or (interactive) with a terminal and stdin. */
  exec(release: string, command: string[], interactive: boolean): RemoteCommand {
    return { argv: this.#docker('exec', ...(interactive ? ['--interactive', '--tty'] : []), release, ...command) };
  }
}

function tied(argv: string[]): RemoteCommand {
  return { argv: ['sh', '-c', TIED_TO_CHANNEL, 'sh', ...argv] };
}
