import { ReleaseCommands } from '../../deploy/commands.ts';
import { Day2Commands } from '../../deploy/day2-commands.ts';
import { connectHost, selectHosts } from '../../deploy/day2-hosts.ts';
import { localActor } from '../../deploy/hosts.ts';
import type { ReleaseSpec, SshHost } from '../../deploy/release-spec.ts';
import { ReleaseError } from '../../deploy/remote.ts';
import { UsageError } from '../../errors.ts';
import type { SshConnection } from '../../runtime/ssh/connection.ts';
import { shellJoin } from '../../util/shell-quote.ts';
import type { Output } from '../output.ts';
import { loadReleaseTargets, type ReleaseFlags, type ReleaseTargets } from './release-targets.ts';

export interface ExecFlags extends ReleaseFlags {
  interactive?: boolean;
}

/**
 * `werker release exec [PATH] --pipeline P [-i] -- CMD…`: the command in the live release of each
 * host (docker exec), its output printed, werker's exit code the command's (the last host's that
 * failed). `-i` opens CMD (default `sh`) on one host with a terminal: it needs one here. No
 * deploy lock (an open shell would hold every deploy off); each run leaves an audit line.
 */
export async function releaseExecCommand(command: string[], target: string | undefined, flags: ExecFlags, global: { environment: string }, out: Output): Promise<number> {
  if (flags.interactive && !process.stdin.isTTY) {
    throw new UsageError('-i needs a terminal: werker\'s stdin is not one here', { hint: 'run the command without -i (werker release exec -- CMD prints its output), or run werker from a terminal' });
  }
  if (!flags.interactive && !command.length) throw new UsageError('give the command after --, e.g. werker release exec -- python manage.py showmigrations', { hint: 'or -i for an interactive shell' });
  const t = await loadReleaseTargets(target, flags, global.environment);
  const targets = t.specs.flatMap((spec) => selectHosts(spec, flags.host).map((h) => ({ spec, h })));
  if (flags.interactive && targets.length > 1) throw new UsageError(`-i opens one shell, and the pipeline has ${targets.length} hosts`, { hint: `name one with --host (${targets.map(({ h }) => h.host).join(', ')})` });
  let code = 0;
  for (const { spec, h } of targets) {
    const conn = await connectHost(spec, h);
    try {
      const c = await execOnHost(conn, spec, h, flags.interactive ? (command.length ? command : ['sh']) : command, Boolean(flags.interactive), t, out, targets.length > 1);
      if (c !== 0) code = c;
    } finally {
      conn.close();
    }
  }
  return code;
}

async function execOnHost(conn: SshConnection, spec: ReleaseSpec, h: SshHost, command: string[], interactive: boolean, t: ReleaseTargets, out: Output, many: boolean): Promise<number> {
  const c = new ReleaseCommands(spec);
  const live = (await conn.exec(c.readLive().argv)).stdout.trim();
  if (!live) throw new ReleaseError(`${h.host}: no release is live here yet`, 'deploy first (werker deploy)');
  const argv = new Day2Commands(spec).exec(live, command, interactive).argv;
  const started = Date.now();
  let code: number | null;
  if (interactive) {
    code = await interactiveSession(conn, argv);
  } else {
    const prefix = many ? `${h.host}:${h.port} | ` : '';
    const res = await conn.exec(argv, { onLine: (s, line) => (s === 'stdout' ? out.stdout : out.stderr)(t.mask(`${prefix}${line}`)), timeoutMs: 6 * 60 * 60_000, keepTail: 4096 });
    code = res.code;
  }
  const actor = localActor(t.runId);
  const line = `${new Date().toISOString()} exec ${live} from=- by=${actor.who} run=${actor.runId} ${((Date.now() - started) / 1000).toFixed(1)}s exit ${code ?? 'signal'}: ${t.mask(shellJoin(command)).slice(0, 300)}`;
  await conn.exec(c.audit(line).argv, { stdin: `${line}\n` }).catch(() => undefined);
  return code ?? 1;
}

/** The local terminal in raw mode joined to a remote one; restored however the session ends. */
async function interactiveSession(conn: SshConnection, argv: string[]): Promise<number | null> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await conn.interactive(argv, {
      input: stdin, output: stdout, term: process.env.TERM || 'xterm', rows: stdout.rows || 24, cols: stdout.columns || 80,
      onResize: (cb) => {
        const onResize = () => cb(stdout.rows, stdout.columns);
        stdout.on('resize', onResize);
        return () => stdout.off('resize', onResize);
      },
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
