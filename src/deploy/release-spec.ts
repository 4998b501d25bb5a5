/** What internal/release deploys, after its options are read and checked (deploy/release-options.ts). */
export interface ReleaseSpec {
  hosts: SshHost[];
  user: string;
  sshKey: string;
  sshKeyPassphrase?: string;
  knownHosts: string;
  /** Repository, registry included (`127.0.0.1:5000/team/web`). */
  image: string;
  tag: string;
  /** The release's id: `<prefix>_<version>`, e.g. `nexchange_e0e3eb0`. */
  release: string;
  prefix: string;
  /** werker's directory on the server (lock, live pointer, env files, cron scripts, audit log). */
  stateDir: string;
  /** How to call docker on the server (`docker`, or `sudo -n docker`). */
  docker: string[];
  /** The app's network, shared with the accessories: `<prefix>`. */
  network: string;
  /** The container port nginx proxies to and the health check asks. */
  appPort?: number;
  /** Two host ports on 127.0.0.1; the new release takes the one the live release does not use. */
  releasePorts: number[];
  ports: string[];
  volumes: string[];
  env: EnvEntry[];
  restart: string;
  health: HealthCheck;
  /** After the switch the release is watched for this window; failing it switches back (deploy/watch.ts). */
  watch?: WatchWindow;
  drainSec: number;
  stopTimeoutSec: number;
  /** Stopped releases kept for rollback. */
  keep: number;
  accessories: Accessory[];
  nginx?: NginxSite;
  static?: StaticFiles;
  cron: CronJob[];
  /** Runs of each cron job kept in its history file on the host (`cron-history`; DEFAULT_CRON_HISTORY in deploy/day2-options.ts). */
  cronHistory?: number;
  /** Where a failing cron run is reported from the host (`notify-webhook`). */
  notify?: ReleaseNotify;
  /** `maintenance-page`: a file of the repository nginx serves (503) in maintenance mode. */
  maintenancePage?: string;
  registry?: RegistryLogin;
  /** `batch`: how many hosts switch together (deploy/batches.ts); default one at a time. */
  batch?: BatchSize;
  /** `balance`: nginx balances across every host's live release (deploy/balancer.ts). */
  balance?: Balance;
}

/** `batch: 2` (hosts) or `batch: 50%` (of the hosts, rounded up, at least one). */
export type BatchSize = { hosts: number } | { percent: number };

export interface Balance {
  /**
   * The hosts whose nginx site balances (`balance: front=HOST` names one of `hosts`; `balance:
   * all` is every host). Each release is also published on its host's address, which the
   * balancing nginx reaches it at.
   */
  front?: SshHost;
}

export interface ReleaseNotify {
  /** http(s) URL the host POSTs a JSON report to. */
  webhook: string;
}

export interface SshHost {
  host: string;
  port: number;
}

export interface EnvEntry {
  name: string;
  value: string;
}

export interface HealthCheck {
  /** HTTP path asked on the release's port (2xx/3xx passes). */
  path?: string;
  /** A command run in the release container with `sh -c` (exit 0 passes). */
  cmd?: string;
  timeoutSec: number;
  /** Sent as X-Forwarded-Proto with each HTTP probe (`https` for an app that forces SSL behind a TLS proxy). */
  forwardedProto?: 'http' | 'https';
}

/** `watch`, `watch-5xx`, `nginx-access-log`. */
export interface WatchWindow {
  seconds: number;
  /** Share of the new release's answers through nginx that may be 5xx; undefined: not counted. */
  max5xxPercent?: number;
  /** The access log nginx writes for this site (upstream address and status per request). */
  accessLog?: string;
}

export interface Accessory {
  name: string;
  /** `<prefix>-<name>`. */
  container: string;
  /** Network alias the app reaches it by (default: its name). */
  alias: string;
  image: string;
  env: EnvEntry[];
  volumes: string[];
  ports: string[];
  cmd: string[];
  /**
   * Readiness: a command run in the accessory (`sh -c`) until it exits 0, before the release
   * starts, so an app that migrates on start never meets a database still initialising.
   */
  wait?: { cmd: string; timeoutSec: number };
  /** The image map rule that chose its image (`werker plan` shows it; docs/wercker-compat.md §6.4). */
  mappedBy?: string;
  /** Of its settings (not secret values): a change is reported, never applied by recreating it. */
  hash: string;
}

export interface NginxSite {
  /** The site file werker owns on the server, included by its nginx.conf. */
  site: string;
  serverNames: string[];
  listen: string;
  /** How to call nginx on the server (`nginx`, `sudo -n nginx`, `nginx -c /etc/x.conf`). */
  command: string[];
}

export interface StaticFiles {
  /** Directory in the release's image. */
  from: string;
  /** Directory on the server; each release gets `<to>/<release>/`, served at `url`. */
  to: string;
  url: string;
}

export interface CronJob {
  /** Stable id from the command: lock, script and log names. */
  name: string;
  schedule: string;
  /** argv run with `docker exec` in the live release. */
  command: string[];
}

export interface RegistryLogin {
  server: string;
  username: string;
  password: string;
}

/** Who deploys, for the lock holder line and the audit log. */
export interface Actor {
  runId: string;
  /** `user@host` of the machine werker runs on. */
  who: string;
}
