import { cronPaths } from './cron.ts';
import { cronScript } from './cron-runner.ts';
import { nginxSiteText } from './nginx-site.ts';
import { SITE_CHECK_SCRIPT, SITE_CHECK_SECONDS, siteCheckTarget } from './site-check.ts';
import { probeCommand } from './probe.ts';
import type { Accessory, CronJob, EnvEntry, ReleaseSpec } from './release-spec.ts';

/**
 * One command for the server: an argv array (quoted once, by the SSH layer) and, where it needs
 * one, its stdin. Secrets (the registry password, env values) only ever travel on stdin; `note`
 * says what stdin holds without showing it, for `werker plan` and the deploy log.
 */
export interface RemoteCommand {
  argv: string[];
  stdin?: string;
  note?: string;
}

const cmd = (argv: string[], stdin?: string, note?: string): RemoteCommand => (stdin === undefined ? { argv } : { argv, stdin, note: note ?? 'stdin' });

/** Keeps its stdin open while it holds the lock: when werker ends it, or its connection drops, `cat` ends and flock lets go. */
const LOCK_SCRIPT = 'printf \'%s\\n\' "$1" > "$2" && echo locked && exec cat > /dev/null';

/** The exit status flock gives when the lock is taken. */
export const LOCK_BUSY = 75;

/**
 * Every remote command of a release, as data (kamal's builders): pure functions of the spec and
 * of the facts read from the server (the live release, its port). Unit-tested with exact argv.
 */
export class ReleaseCommands {
  constructor(readonly spec: ReleaseSpec) {}

  get paths() {
    const s = this.spec.stateDir;
    return { lock: `${s}/lock`, holder: `${s}/lock.holder`, live: `${s}/live`, previous: `${s}/previous`, audit: `${s}/audit.log`, env: `${s}/env`, cron: `${s}/cron` };
  }

  #docker(...args: string[]): string[] {
    return [...this.spec.docker, ...args];
  }

  prepareState(): RemoteCommand {
    return cmd(['install', '-d', '-m', '700', this.spec.stateDir, this.paths.env, this.paths.cron]);
  }

  lock(holder: string): RemoteCommand {
    return cmd(['flock', '-n', '-E', String(LOCK_BUSY), this.paths.lock, 'sh', '-c', LOCK_SCRIPT, 'sh', holder, this.paths.holder]);
  }

  lockHolder(): RemoteCommand {
    return cmd(['cat', this.paths.holder]);
  }

  login(): RemoteCommand {
    const r = this.spec.registry!;
    return cmd(this.#docker('login', r.server, '--username', r.username, '--password-stdin'), r.password, 'the registry password');
  }

  pull(): RemoteCommand {
    return cmd(this.#docker('pull', this.imageRef));
  }

  get imageRef(): string {
    return `${this.spec.image}:${this.spec.tag}`;
  }

  readLive(): RemoteCommand {
    return cmd(['cat', this.paths.live]);
  }

  readPrevious(): RemoteCommand {
    return cmd(['cat', this.paths.previous]);
  }

  /** `<status> <release port label>`, e.g. `running 8001`; fails when there is no such container. */
  inspectRelease(name: string): RemoteCommand {
    return cmd(this.#docker('inspect', '--type', 'container', '--format', '{{.State.Status}} {{index .Config.Labels "werker.port"}}', name));
  }

  inspectNetwork(): RemoteCommand {
    return cmd(this.#docker('network', 'inspect', '--format', '{{.Name}}', this.spec.network));
  }

  createNetwork(): RemoteCommand {
    return cmd(this.#docker('network', 'create', '--label', `werker.app=${this.spec.prefix}`, this.spec.network));
  }

  /** `<status> <settings hash>` of an accessory; fails when it does not exist. */
  inspectAccessory(a: Accessory): RemoteCommand {
    return cmd(this.#docker('inspect', '--type', 'container', '--format', '{{.State.Status}} {{index .Config.Labels "werker.accessory.hash"}}', a.container));
  }

  /** A 0600 env file from stdin, in a 0700 directory: values never reach an argv or a log. */
  writeEnvFile(name: string, env: EnvEntry[]): RemoteCommand {
    const text = env.map((e) => `${e.name}=${e.value}\n`).join('');
    return cmd(['install', '-m', '600', '/dev/stdin', this.envFile(name)], text, `env file: ${env.map((e) => e.name).join(' ') || '(empty)'}`);
  }

  envFile(name: string): string {
    return `${this.paths.env}/${name}.env`;
  }

  /** Named volumes (`data:/var/lib/x`) are created before the accessory so they outlive it; bind mounts are left to Docker. */
  createVolumes(a: Accessory): RemoteCommand[] {
    return a.volumes.map((v) => v.split(':')[0]!).filter((src) => src && !src.startsWith('/') && !src.startsWith('.'))
      .map((src) => cmd(this.#docker('volume', 'create', '--label', `werker.accessory=${this.spec.prefix}`, src)));
  }

  runAccessory(a: Accessory): RemoteCommand {
    return cmd(this.#docker(
      'run', '--detach', '--name', a.container, '--network', this.spec.network, '--network-alias', a.alias,
      '--restart', 'unless-stopped', '--env-file', this.envFile(a.container),
      '--label', `werker.accessory=${this.spec.prefix}`, '--label', `werker.accessory.hash=${a.hash}`,
      ...a.ports.flatMap((p) => ['--publish', p]), ...a.volumes.flatMap((v) => ['--volume', v]), a.image, ...a.cmd,
    ));
  }

  /** The accessory's readiness command, run inside it. */
  accessoryReady(a: Accessory): RemoteCommand {
    return cmd(this.#docker('exec', a.container, 'sh', '-c', a.wait!.cmd));
  }

  start(name: string): RemoteCommand {
    return cmd(this.#docker('start', name));
  }

  removeContainer(name: string): RemoteCommand {
    return cmd(this.#docker('rm', '--force', name));
  }

  /**
   * The new release beside the old one, on its own host port, with the app's env file. With
   * `balance` it is published on the host's address too (`publishOn`), where the balancing nginx
   * of another host reaches it; 127.0.0.1 stays for the health check and the host's own nginx.
   */
  runRelease(port: number, publishOn?: string): RemoteCommand {
    const s = this.spec;
    const onHost = publishOn !== undefined && s.appPort !== undefined ? ['--publish', `${publishOn}:${port}:${s.appPort}`] : [];
    return cmd(this.#docker(
      'run', '--detach', '--name', s.release, '--network', s.network, '--restart', s.restart, '--env-file', this.envFile(s.release),
      '--label', `werker.release=${s.prefix}`, '--label', `werker.version=${s.tag}`, '--label', `werker.port=${port}`,
      ...(s.appPort !== undefined ? ['--publish', `127.0.0.1:${port}:${s.appPort}`] : []), ...onHost,
      ...s.ports.flatMap((p) => ['--publish', p]), ...s.volumes.flatMap((v) => ['--volume', v]), this.imageRef,
    ));
  }

  /** `<status> <exit code>` of a container. */
  containerState(name: string): RemoteCommand {
    return cmd(this.#docker('inspect', '--type', 'container', '--format', '{{.State.Status}} {{.State.ExitCode}}', name));
  }

  /** The health check: the HTTP path on the release's port (from the server), else the command in the container. */
  healthCheck(name: string, port: number): RemoteCommand | undefined {
    const h = this.spec.health;
    if (h.path !== undefined) return probeCommand(port, h.path, h.forwardedProto);
    if (h.cmd !== undefined) return cmd(this.#docker('exec', name, 'sh', '-c', h.cmd));
    return undefined;
  }

  logs(name: string): RemoteCommand {
    return cmd(this.#docker('logs', '--tail', '30', name));
  }

  /**
   * The image's static files, unpacked by the SSH user from `docker cp`'s tar stream. Not `docker
   * cp` into the directory: under `docker-command: sudo -n docker` that writes root-owned files,
   * which the user's own removal of old releases could not delete. The paths are arguments of
   * the fixed script, never part of it.
   */
  publishStatic(release: string): RemoteCommand[] {
    const st = this.spec.static!;
    const dest = `${st.to}/${release}`;
    return [cmd(['mkdir', '-p', dest]), cmd(['sh', '-c', 'dest=$1; shift; "$@" | tar -x -f - -C "$dest"', 'sh', dest, ...this.#docker('cp', `${release}:${st.from}/.`, '-')])];
  }

  readSite(): RemoteCommand {
    return cmd(['cat', this.spec.nginx!.site]);
  }

  writeSite(text: string): RemoteCommand {
    return cmd(['install', '-m', '644', '/dev/stdin', this.spec.nginx!.site], text, 'nginx site');
  }

  siteFor(release: string, port: number): string {
    return nginxSiteText(this.spec, release, port);
  }

  removeSite(): RemoteCommand {
    return cmd(['rm', '-f', this.spec.nginx!.site]);
  }

  nginxTest(): RemoteCommand {
    return cmd([...this.spec.nginx!.command, '-t', '-q']);
  }

  nginxReload(): RemoteCommand {
    return cmd([...this.spec.nginx!.command, '-s', 'reload']);
  }

  /** Asks nginx on the host until it serves the site file of this generation (site-check.ts). */
  awaitSite(generation: string): RemoteCommand {
    const t = siteCheckTarget(this.spec.nginx!, this.spec.prefix);
    return cmd(['sh', '-c', SITE_CHECK_SCRIPT, 'sh', generation, t.url, t.hostHeader, String(SITE_CHECK_SECONDS)]);
  }

  /** Replaces a pointer file atomically (write beside it, then rename): cron reads `live` at any moment. */
  writePointer(which: 'live' | 'previous', release: string): RemoteCommand[] {
    const file = this.paths[which];
    return [cmd(['install', '-m', '644', '/dev/stdin', `${file}.new`], `${release}\n`, release), cmd(['mv', '-f', `${file}.new`, file])];
  }

  /**
   * Written beside and renamed over: cron (or a tick already due) may exec the old script while a
   * deploy rewrites it, and exec of a file open for writing fails (ETXTBSY, the tick exits 126).
   */
  writeCronScript(job: CronJob): RemoteCommand[] {
    const s = this.spec;
    const script = cronPaths(s.stateDir, job).script;
    return [
      cmd(['install', '-m', '755', '/dev/stdin', `${script}.new`], cronScript(s, job), `runner script for ${job.command.join(' ')}`),
      cmd(['mv', '-f', `${script}.new`, script]),
    ];
  }

  removeStaleCronScripts(): RemoteCommand {
    return cmd(['find', this.paths.cron, '-maxdepth', '1', '-name', '*.sh', ...this.spec.cron.flatMap((j) => ['!', '-name', `${j.name}.sh`]), '-delete']);
  }

  readCrontab(): RemoteCommand {
    return cmd(['crontab', '-l']);
  }

  writeCrontab(text: string): RemoteCommand {
    return cmd(['crontab', '-'], text, 'crontab');
  }

  /** Waits until a run of the job (maybe in the old release) is over; the next run reads the new pointer. */
  waitCronJob(job: CronJob, seconds: number): RemoteCommand {
    return cmd(['flock', '--wait', String(seconds), cronPaths(this.spec.stateDir, job).lock, 'true']);
  }

  /** A stopped release must not come back on its own (a daemon restart with `always`): no restart policy while retired. */
  retire(name: string): RemoteCommand[] {
    return [cmd(this.#docker('update', '--restart', 'no', name)), cmd(this.#docker('stop', '--time', String(this.spec.stopTimeoutSec), name))];
  }

  revive(name: string): RemoteCommand[] {
    return [cmd(this.#docker('update', '--restart', this.spec.restart, name)), this.start(name)];
  }

  listReleases(): RemoteCommand {
    return cmd(this.#docker('ps', '--all', '--filter', `label=werker.release=${this.spec.prefix}`, '--format', '{{.Names}}'));
  }

  /** An old release and what belonged to it (env file, static files). */
  removeRelease(name: string): RemoteCommand[] {
    return [cmd(this.#docker('rm', name)), this.removeReleaseFiles(name)];
  }

  removeReleaseFiles(name: string): RemoteCommand {
    return cmd(['rm', '-rf', this.envFile(name), ...(this.spec.static ? [`${this.spec.static.to}/${name}`] : [])]);
  }

  audit(line: string): RemoteCommand {
    return cmd(['tee', '-a', this.paths.audit], `${line}\n`, 'audit line');
  }
}
