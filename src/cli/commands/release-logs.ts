import { Day2Commands, type LogRequest } from '../../deploy/day2-commands.ts';
import { ReleaseCommands } from '../../deploy/commands.ts';
import { connectHost, selectHosts } from '../../deploy/day2-hosts.ts';
import type { CronJob, ReleaseSpec, SshHost } from '../../deploy/release-spec.ts';
import { ReleaseError } from '../../deploy/remote.ts';
import { UsageError } from '../../errors.ts';
import type { RunningCommand, SshConnection } from '../../runtime/ssh/connection.ts';
import type { Output } from '../output.ts';
import { loadReleaseTargets, type ReleaseFlags } from './release-targets.ts';

export interface LogsFlags extends ReleaseFlags {
  follow?: boolean;
  since?: string;
  lines?: string;
  grep?: string;
  accessory?: string;
  cron?: string;
}

/** What docker logs --since takes: a Go duration, a unix time, or an RFC 3339 date or time. */
const SINCE = /^((\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+|\d+(\.\d+)?|\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?)$/;

/**
 * `werker release logs [PATH] --pipeline P [-f] [--since T] [--grep RE] [--accessory NAME | --cron JOB]`:
 * the live release's log (or an accessory's, or a cron job's last run) on each host. With -f
 * it follows every host at once until Ctrl-C, which closes the channels: the host kills the
 * `docker logs` (day2-commands.ts), so nothing is left running there.
 */
export async function releaseLogsCommand(target: string | undefined, flags: LogsFlags, global: { environment: string }, out: Output): Promise<number> {
  const req = logRequest(flags);
  const grep = flags.grep === undefined ? undefined : pattern(flags.grep);
  const t = await loadReleaseTargets(target, flags, global.environment);
  const targets = t.specs.flatMap((spec) => selectHosts(spec, flags.host).map((h) => ({ spec, h })));
  const show = (prefix: string) => (_s: string, line: string) => {
    if (!grep || grep.test(line)) out.stdout(t.mask(`${prefix}${line}`));
  };
  const prefixOf = (h: SshHost) => (targets.length > 1 ? `${h.host}:${h.port} | ` : '');
  if (!req.follow) {
    for (const { spec, h } of targets) {
      const conn = await connectHost(spec, h);
      try {
        const source = await logSource(conn, spec, flags, req);
        const res = await conn.exec(source.argv, { onLine: show(prefixOf(h)), timeoutMs: 10 * 60_000, keepTail: 4096 });
        if (res.code !== 0) throw new ReleaseError(`${h.host}: ${source.what}: ${res.stderr.trim().split('\n').at(-1) || `exit ${res.code}`}`, source.hint);
      } finally {
        conn.close();
      }
    }
    return 0;
  }
  await followAll(targets, flags, req, show, prefixOf, (line) => out.stderr(t.mask(line)));
  return 0;
}

/** Follows every host's log at once; Ctrl-C closes each channel, and the host ends its follower. */
async function followAll(
  targets: { spec: ReleaseSpec; h: SshHost }[], flags: LogsFlags, req: LogRequest,
  show: (prefix: string) => (s: string, line: string) => void, prefixOf: (h: SshHost) => string, say: (line: string) => void,
): Promise<void> {
  const conns: SshConnection[] = [];
  const running: RunningCommand[] = [];
  let stopped = false;
  const onSignal = () => {
    stopped = true;
    for (const r of running) void r.end().catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  try {
    await Promise.all(targets.map(async ({ spec, h }) => {
      const conn = await connectHost(spec, h);
      conns.push(conn);
      const source = await logSource(conn, spec, flags, req);
      const cmd = await conn.start(source.argv, { onLine: show(prefixOf(h)), keepTail: 4096 });
      running.push(cmd);
      if (stopped) void cmd.end();
      say(`following ${source.what} on ${h.host}:${h.port} (Ctrl-C stops; nothing stays running on the host)`);
      const res = await cmd.done;
      if (!stopped && res.code !== 0) throw new ReleaseError(`${h.host}: ${source.what}: ${res.stderr.trim().split('\n').at(-1) || `exit ${res.code}`}`, source.hint);
    }));
    say('stopped following');
  } finally {
    process.off('SIGINT', onSignal);
    for (const c of conns) c.close();
  }
}

function logRequest(flags: LogsFlags): LogRequest {
  if (flags.accessory && flags.cron) throw new UsageError('--accessory and --cron name two different logs; give one');
  if (flags.since !== undefined && !SINCE.test(flags.since)) throw new UsageError(`--since "${flags.since}": give a duration (10m, 2h30m) or a time (2026-12-05, 2026-12-05T10:00:00Z)`);
  if (flags.since !== undefined && flags.cron) throw new UsageError('--since applies to container logs; a cron job\'s log is its last run\'s output', { hint: 'werker release status shows the recorded runs, with their start times and output tails' });
  if (flags.lines !== undefined && !/^\d+$/.test(flags.lines)) throw new UsageError(`--lines "${flags.lines}" is not a whole number`);
  return { follow: Boolean(flags.follow), ...(flags.since ? { since: flags.since } : {}), ...(flags.lines ? { lines: Number(flags.lines) } : {}) };
}

function pattern(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (err) {
    throw new UsageError(`--grep "${text}": ${(err as Error).message}`, { hint: 'it is a JavaScript regular expression; escape ( [ { . * + ? with \\ to match them as they are' });
  }
}

/** Which log: the live release's (read from the host), an accessory's, or a cron job's last run. */
async function logSource(conn: SshConnection, spec: ReleaseSpec, flags: LogsFlags, req: LogRequest): Promise<{ argv: string[]; what: string; hint: string }> {
  const d = new Day2Commands(spec);
  if (flags.accessory) {
    const a = spec.accessories.find((x) => x.name === flags.accessory);
    if (!a) throw new UsageError(`--accessory ${flags.accessory}: the step declares ${spec.accessories.length ? `only ${spec.accessories.map((x) => x.name).join(', ')}` : 'no accessories'}`);
    return { argv: d.containerLogs(a.container, req).argv, what: `the log of accessory ${a.name} (${a.container})`, hint: 'is the accessory created? werker release status shows it' };
  }
  if (flags.cron) {
    const job = findJob(spec.cron, flags.cron);
    return { argv: d.cronLogs(job, req).argv, what: `the last run of cron job ${job.name}`, hint: 'has the job run yet? werker release status shows its runs' };
  }
  const live = (await conn.exec(new ReleaseCommands(spec).readLive().argv)).stdout.trim();
  if (!live) throw new ReleaseError(`${conn.host}: no release is live here yet`, 'deploy first (werker deploy)');
  return { argv: d.containerLogs(live, req).argv, what: `the log of ${live}`, hint: 'werker release status shows the release\'s state' };
}

/** A job by its name, or by a unique part of its name or command. */
function findJob(jobs: CronJob[], wanted: string): CronJob {
  const exact = jobs.find((j) => j.name === wanted);
  if (exact) return exact;
  const matches = jobs.filter((j) => j.name.includes(wanted) || j.command.join(' ').includes(wanted));
  if (matches.length === 1) return matches[0]!;
  const list = jobs.map((j) => `${j.name} (${j.command.join(' ')})`).join('; ') || 'none';
  throw new UsageError(`--cron ${wanted}: ${matches.length ? 'more than one job matches' : 'no job matches'}`, { hint: `the step's jobs: ${list}` });
}
