import { homedir } from 'node:os';
import path from 'node:path';
import { UsageError, WerkerError } from '../../errors.ts';
import { connectDocker } from '../../runtime/docker/client.ts';
import { InputError } from '../../server/context.ts';
import { smtpSettingsFrom, type SmtpFlags } from '../../server/notifications/smtp-settings.ts';
import { createServerCore, DEFAULT_KEEP_OUTPUTS_DAYS } from '../../server/service.ts';
import { startServer } from '../../server/start.ts';
import { openStore } from '../../store/db.ts';
import type { Output } from '../output.ts';

export interface ServerFlags extends SmtpFlags {
  dataDir?: string;
  database?: string;
  host: string;
  port: string;
  baseUrl?: string;
  runners: string;
  runner: boolean;
  leaseSeconds: string;
  keepOutputs?: string;
  allowLocalRepos?: string[];
  trustProxy?: boolean;
  maxOutputMb?: string;
  maxRunEvents?: string;
  maxCacheMb?: string;
  maxCacheTotalMb?: string;
  graceSeconds?: string;
  terminalMinutes?: string;
  dockerHost?: string;
  createUser?: string;
  /** With --create-user: the user is an admin (the first user always is). */
  admin?: boolean;
  createRunnerToken?: string;
  createToken?: string;
  user?: string;
}

export const defaultDataDir = (): string => process.env.WERKER_DATA_DIR ?? path.join(homedir(), '.werker', 'server');

/**
 * `werker server`: the API, the web UI and (unless --no-runner) an embedded runner. One-shot
 * admin forms that print and exit: --create-user NAME [--admin] (password on stdin), --create-token NAME
 * --user NAME, --create-runner-token NAME. Tokens are printed once; only their hash is kept.
 */
export async function serverCommand(flags: ServerFlags, out: Output): Promise<number> {
  const dataDir = path.resolve(flags.dataDir ?? defaultDataDir());
  const database = flags.database ?? process.env.WERKER_DATABASE_URL;
  if (flags.createUser || flags.createRunnerToken || flags.createToken) return admin(flags, dataDir, database, out);
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a port number, not "${flags.port}"`);
  const runners = flags.runner === false ? 0 : Number(flags.runners);
  if (!Number.isInteger(runners) || runners < 0) throw new UsageError(`--runners takes a count, not "${flags.runners}"`);
  const leaseMs = Number(flags.leaseSeconds) * 1000;
  if (!(leaseMs > 0)) throw new UsageError(`--lease-seconds takes a positive number, not "${flags.leaseSeconds}"`);
  const keepOutputsRaw = flags.keepOutputs ?? process.env.WERKER_KEEP_OUTPUTS_DAYS ?? String(DEFAULT_KEEP_OUTPUTS_DAYS);
  const keepOutputsDays = Number(keepOutputsRaw);
  if (keepOutputsRaw.trim() === '' || !Number.isFinite(keepOutputsDays) || keepOutputsDays < 0) {
    throw new UsageError(`--keep-outputs (or WERKER_KEEP_OUTPUTS_DAYS) takes a number of days, not "${keepOutputsRaw}"`, { hint: 'e.g. --keep-outputs 90; 0 keeps every output' });
  }
  const limits = {
    outputBytes: positive(flags.maxOutputMb ?? '4096', '--max-output-mb') * 1024 * 1024, runEvents: positive(flags.maxRunEvents ?? '50000', '--max-run-events'),
    cacheBytes: Math.floor(positive(flags.maxCacheMb ?? '4096', '--max-cache-mb') * 1024 * 1024),
    cacheTotalBytes: Math.floor(positive(flags.maxCacheTotalMb ?? '20480', '--max-cache-total-mb') * 1024 * 1024),
  };
  const graceMs = Number(flags.graceSeconds ?? '0') * 1000;
  if (!(graceMs >= 0)) throw new UsageError(`--grace-seconds takes a number of seconds, not "${flags.graceSeconds}"`);
  const terminalMinutes = Number(flags.terminalMinutes ?? '0');
  if (!(terminalMinutes >= 0 && terminalMinutes <= 24 * 60)) {
    throw new UsageError(`--terminal-minutes takes a number of minutes (0 to 1440), not "${flags.terminalMinutes}"`, { hint: 'e.g. --terminal-minutes 10; 0 (the default) offers no terminals' });
  }
  const allowLocalRepos = [...(flags.allowLocalRepos ?? []), ...(process.env.WERKER_ALLOW_LOCAL_REPOS ?? '').split(path.delimiter).filter(Boolean)].map((d) => path.resolve(d));
  const trustProxy = flags.trustProxy === true || process.env.WERKER_TRUST_PROXY === '1';
  const smtp = smtpSettingsFrom(flags);
  const runtime = runners > 0 ? await connectDocker(flags.dockerHost ? { host: flags.dockerHost } : {}) : undefined;
  const server = await startServer({
    dataDir, host: flags.host, port, runners, leaseMs, keepOutputsDays, log: (l) => out.stderr(l), limits, allowLocalRepos, trustProxy, terminalMinutes,
    ...(database ? { database } : {}), ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}), ...(runtime ? { runtime } : {}), ...(smtp ? { smtp } : {}),
  });
  out.stderr(`werker server listening on ${server.url} (data ${dataDir}, database ${database ? server.core.store.describe : path.join(dataDir, 'werker.db')}, ${runners ? `${runners} embedded runner slot(s)` : 'no embedded runner'}, outputs kept ${keepOutputsDays ? `${keepOutputsDays} days` : 'forever'}, ${smtp ? `email via ${smtp.host}:${smtp.port} (${smtp.security})` : 'no email'})`);
  if ((await server.core.auth.countUsers()) === 0) {
    out.stderr(`no users yet: create one with \`werker server --data-dir ${dataDir}${database ? ' --database URL' : ''} --create-user NAME\` (reads the password from stdin)`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out.stderr(`werker server: stopping: no new runs are taken${graceMs ? `; runs in progress get ${graceMs / 1000} s to finish, then` : ', runs in progress'} go back to the queue`);
  await server.close({ graceMs });
  out.stderr('werker server: stopped');
  return 0;
}

function positive(raw: string, flag: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} takes a positive number, not "${raw}"`);
  return n;
}

async function admin(flags: ServerFlags, dataDir: string, database: string | undefined, out: Output): Promise<number> {
  const store = await openStore(database ?? path.join(dataDir, 'werker.db'));
  const core = createServerCore(store, { dataDir });
  try {
    if (flags.createUser) {
      const password = (await readStdin()).split('\n')[0]!.replace(/\r$/, '');
      const user = await core.auth.createUser(flags.createUser, password, { role: flags.admin ? 'admin' : 'member' });
      out.stdout(`created user ${flags.createUser} (${user.role})`);
    }
    if (flags.createRunnerToken) {
      const { token } = await core.auth.createToken('runner', flags.createRunnerToken);
      out.stdout(token);
    }
    if (flags.createToken) {
      if (!flags.user) throw new UsageError('--create-token needs --user NAME (whose token it is)');
      const row = await store.db.selectFrom('users').selectAll().where('name', '=', flags.user).executeTakeFirst();
      if (!row) throw new UsageError(`no user ${flags.user}`, { hint: 'create it with --create-user NAME' });
      const { token } = await core.auth.createToken('user', flags.createToken, { id: row.id, name: row.name, role: row.role, createdAt: row.created_at });
      out.stdout(token);
    }
    return 0;
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new WerkerError('--create-user reads the password from stdin', 2, { hint: 'e.g. `read -rs PW; printf "%s\\n" "$PW" | werker server --create-user NAME`' });
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}
