import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { expandVars } from '../config/interpolate.ts';
import { formatImageRef, parseImageRef } from '../plan/image-ref.ts';
import { describeOrigin, resolveImage, type ImageMapRule } from '../plan/image-map.ts';
import { shellSplit } from '../util/shell-words.ts';
import { cronJobs } from './cron.ts';
import { parseForwardedProto, parseWatch } from './watch-options.ts';
import { parseDay2Options } from './day2-options.ts';
import { checkBalance, parseRollout } from './rollout-options.ts';
import type { Accessory, EnvEntry, NginxSite, ReleaseSpec, SshHost, StaticFiles } from './release-spec.ts';

/** A step's options as written, and the pipeline variables `$VAR` expands from. */
export interface OptionSource {
  raw: Record<string, string>;
  lookup(name: string): string | undefined;
  /**
   * `--image-map FROM=TO` of the run: accessory images are rewritten like the box's and the
   * services' (the map says which images stand in for unreachable ones on this machine). The
   * app's image is not: it is the one the build pushed.
   */
  imageMap?: readonly ImageMapRule[];
}

export type ParsedRelease = { ok: true; spec: ReleaseSpec } | { ok: false; errors: string[] };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Paths that go into nginx config and crontab lines as they are: no spaces, quotes, `;`, `%`, `$`, braces. */
const PATH = /^[A-Za-z0-9_./@+-]+$/;
const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;

/**
 * internal/release's options → ReleaseSpec, every problem listed (nothing is connected yet).
 * Text options are `$VAR`-expanded; `env` and `accessories` are parsed first and expanded per
 * value, so a value with quotes or newlines stays whole; `cron` and `health-cmd` are literal
 * (they are commands for the container, as docker-push's `cmd`).
 */
export function parseReleaseOptions(src: OptionSource): ParsedRelease {
  const errors: string[] = [];
  const raw = (n: string) => src.raw[n];
  const get = (n: string, fallback = '') => (src.raw[n] === undefined ? fallback : expandVars(src.raw[n]!, src.lookup)).trim();
  const list = (n: string) => get(n).split(/[\s,]+/).filter(Boolean);
  const int = (n: string, fallback: number, min = 0) => {
    const v = get(n);
    if (v === '') return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min) {
      errors.push(`${n}: "${v}" is not a whole number${min ? ` ≥ ${min}` : ''}`);
      return fallback;
    }
    return Number(v);
  };
  const words = (n: string, fallback: string[]) => {
    const v = get(n);
    try {
      return v ? shellSplit(v) : fallback;
    } catch (err) {
      errors.push(`${n}: ${(err as Error).message}`);
      return fallback;
    }
  };
  const need = (n: string, why = '') => {
    const v = get(n);
    if (!v) errors.push(`${n} is required${why}`);
    return v;
  };

  const port = int('port', 22, 1);
  const hosts = parseHosts(list('hosts'), port, errors);
  if (!hosts.length && !errors.some((e) => e.startsWith('hosts'))) errors.push('hosts is required (one or more, space or comma separated)');
  const key = need('ssh-key', ' (the private key text, e.g. $DEPLOY_KEY_PRIVATE)');
  // A key that went through a one-line variable may carry its line breaks as a literal "\n".
  const sshKey = !key.includes('\n') && key.includes('\\n') ? key.replace(/\\n/g, '\n') : key;
  const knownHosts = need('known-hosts', ' (a known_hosts line for each host: werker never skips the host key check)');

  const prefix = get('prefix') || safeName(src.lookup('WERCKER_APPLICATION_NAME') ?? '');
  if (!prefix) errors.push('prefix is required (the container name prefix, e.g. nexchange)');
  else if (!NAME.test(prefix)) errors.push(`prefix: "${prefix}" is not a container name (letters, digits, _ . -)`);

  const imageText = need('image', ' (the repository the build pushed, e.g. registry.example.com/team/app)');
  const ref = parseImageRef(imageText);
  const commit = src.lookup('WERCKER_GIT_COMMIT') ?? '';
  const tag = get('tag') || (imageText.lastIndexOf(':') > imageText.lastIndexOf('/') ? ref.tag : commit);
  if (!tag) errors.push('tag is required: WERCKER_GIT_COMMIT is empty (not a git checkout?), so say which tag to deploy');
  else if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) errors.push(`tag: "${tag}" is not a valid image tag`);
  const version = shortVersion(get('version') || commit || tag);

  const stateDir = get('state-dir') || `.werker/${prefix}`;
  if (!PATH.test(stateDir)) errors.push(`state-dir: "${stateDir}" may hold only letters, digits and _ . / @ + -`);

  const appPort = get('app-port') ? int('app-port', 0, 1) : undefined;
  const releasePorts = list('release-ports').map(Number);
  if (appPort !== undefined && (releasePorts.length !== 2 || releasePorts.some((p) => !Number.isInteger(p) || p < 1 || p > 65535) || releasePorts[0] === releasePorts[1])) {
    errors.push('release-ports: app-port needs two free host ports for the new and the old release to alternate on (e.g. release-ports: 8001 8002)');
  }
  const ports = list('ports');
  for (const p of ports) if (/^(\d+\.\d+\.\d+\.\d+:)?\d+:\d+/.test(p)) errors.push(`ports: "${p}" fixes a host port, which the old and new release cannot share during the swap; publish the container port alone (e.g. 9000), or let nginx front it`);

  const restart = get('restart') || 'unless-stopped';
  if (!RESTART.test(restart)) errors.push(`restart: "${restart}" is not a restart policy (no, always, unless-stopped, on-failure[:N])`);

  const healthPath = get('health-path');
  if (healthPath && !/^\/[^\s]*$/.test(healthPath)) errors.push(`health-path: "${healthPath}" must start with /`);
  if (healthPath && appPort === undefined) errors.push('health-path needs app-port (the port the path is asked on)');
  const healthCmd = raw('health-cmd')?.trim();
  const health: ReleaseSpec['health'] = { timeoutSec: int('health-timeout', 60, 1), ...(healthPath ? { path: healthPath } : {}), ...(healthCmd ? { cmd: healthCmd } : {}) };
  if (!healthPath && !healthCmd && appPort !== undefined) health.path = '/';
  parseForwardedProto(get, health, errors);

  const spec: ReleaseSpec = {
    hosts, user: get('user') || 'root', sshKey, knownHosts,
    image: ref.repository, tag, release: `${prefix}_${version}`, prefix, stateDir,
    docker: words('docker-command', ['docker']), network: prefix,
    releasePorts: appPort !== undefined ? releasePorts : [], ports, volumes: list('volumes'),
    env: parseEnv(raw('env') ?? '', src.lookup, 'env', errors), restart, health,
    drainSec: int('drain', 10), stopTimeoutSec: int('stop-timeout', 10), keep: int('keep-releases', 3),
    accessories: parseAccessories(raw('accessories') ?? '', prefix, src.lookup, src.imageMap ?? [], errors),
    cron: [], ...parseDay2Options(get, int, errors), ...parseRollout(get, hosts, errors),
  };
  if (appPort !== undefined) spec.appPort = appPort;
  if (get('ssh-key-passphrase')) spec.sshKeyPassphrase = get('ssh-key-passphrase');
  try {
    spec.cron = cronJobs(raw('cron') ?? '');
  } catch (err) {
    errors.push(`cron: ${(err as Error).message}`);
  }
  const nginx = parseNginx(get('nginx-site'), list('nginx-server-name'), get('nginx-listen') || '80', words('nginx-command', ['nginx']), errors);
  if (nginx) {
    spec.nginx = nginx;
    if (appPort === undefined) errors.push('nginx-site needs app-port (the container port nginx proxies to)');
  }
  const watch = parseWatch(get, prefix, !!nginx, errors, raw('watch') !== undefined);
  if (watch) spec.watch = watch;
  const statics = parseStatic(get('static-from'), get('static-to'), get('static-url') || '/static/', errors);
  if (statics) {
    spec.static = statics;
    if (!nginx) errors.push('static-from/static-to need nginx-site (nginx serves the files)');
  }
  if (get('registry-username') || get('registry-password')) {
    const server = get('registry') || registryHost(ref.repository);
    if (!get('registry-username') || !get('registry-password')) errors.push('registry-username and registry-password go together');
    else if (!server) errors.push('registry: the image names no registry host (Docker Hub); set registry: docker.io');
    else spec.registry = { server: server.replace(/^https?:\/\//, '').replace(/\/.*$/, ''), username: get('registry-username'), password: get('registry-password') };
  }
  checkBalance(spec, !!get('watch-5xx') && get('watch-5xx') !== 'off', errors);
  return errors.length ? { ok: false, errors } : { ok: true, spec };
}

function parseHosts(items: string[], port: number, errors: string[]): SshHost[] {
  return items.flatMap((item) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(item);
    if (!m || !/^[A-Za-z0-9.:_\[\]-]+$/.test(item)) {
      errors.push(`hosts: "${item}" is not host or host:port`);
      return [];
    }
    return [{ host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : port }];
  });
}

/** A commit becomes its first 7 characters (git's short form); anything else is made name-safe. */
function shortVersion(v: string): string {
  if (/^[0-9a-f]{8,}$/i.test(v)) return v.slice(0, 7).toLowerCase();
  return safeName(v) || 'release';
}

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 48);

/** `host:5000/team/app` → `host:5000`; Docker Hub names have no registry part. */
function registryHost(repository: string): string {
  const first = repository.split('/')[0]!;
  return repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : '';
}

/**
 * `env`: shell-split words of the text as written; `NAME` passes that pipeline variable,
 * `NAME=value` sets one (`$VAR` in the value expanded). Values go to a 0600 env file, one line
 * each, so they cannot hold a newline.
 */
export function parseEnv(text: string, lookup: (n: string) => string | undefined, what: string, errors: string[]): EnvEntry[] {
  let items: string[];
  try {
    items = shellSplit(text);
  } catch (err) {
    errors.push(`${what}: ${(err as Error).message}`);
    return [];
  }
  return items.flatMap((w) => entry(w.includes('=') ? w.slice(0, w.indexOf('=')) : w, w.includes('=') ? expandVars(w.slice(w.indexOf('=') + 1), lookup) : lookup(w), what, errors));
}

function entry(name: string, value: string | undefined, what: string, errors: string[]): EnvEntry[] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    errors.push(`${what}: "${name}" is not a variable name`);
    return [];
  }
  if (value === undefined) {
    errors.push(`${what}: ${name} is not a pipeline variable (set X_${name} or XXX_${name}, or write ${name}=value)`);
    return [];
  }
  if (/[\n\r\0]/.test(value)) {
    errors.push(`${what}: the value of ${name} has a line break, which a Docker env file cannot carry`);
    return [];
  }
  return [{ name, value }];
}

/** `accessories`: a YAML list of {name, image, env, volumes, ports, alias, cmd}, or a map name → the same. */
function parseAccessories(text: string, prefix: string, lookup: (n: string) => string | undefined, imageMap: readonly ImageMapRule[], errors: string[]): Accessory[] {
  if (!text.trim()) return [];
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    errors.push(`accessories: not YAML: ${(err as Error).message.split('\n')[0]}`);
    return [];
  }
  const items = Array.isArray(doc) ? doc : doc && typeof doc === 'object' ? Object.entries(doc).map(([name, v]) => ({ name, ...(v as object) })) : undefined;
  if (!items) {
    errors.push('accessories: expected a list of accessories (name, image, env, volumes, ports)');
    return [];
  }
  const x = (v: unknown) => expandVars(String(v ?? ''), lookup);
  const listOf = (v: unknown): string[] => (Array.isArray(v) ? v.map(x) : x(v).split(/[\s,]+/)).filter(Boolean);
  return items.flatMap((item: Record<string, unknown>, i) => {
    const name = x(item.name);
    const where = `accessories[${i}]${name ? ` (${name})` : ''}`;
    if (!NAME.test(name)) {
      errors.push(`${where}: name is required (letters, digits, _ . -)`);
      return [];
    }
    const written = x(item.image);
    if (!written) errors.push(`${where}: image is required`);
    const mapped = written ? resolveImage(formatImageRef(parseImageRef(written)), imageMap) : undefined;
    const image = mapped?.rule ? formatImageRef(parseImageRef(mapped.image)) : written;
    const env: EnvEntry[] = [];
    if (Array.isArray(item.env)) env.push(...parseEnv(item.env.map((w) => String(w)).join(' '), lookup, `${where} env`, errors));
    else if (item.env && typeof item.env === 'object') for (const [k, v] of Object.entries(item.env)) env.push(...entry(k, x(v), `${where} env`, errors));
    let cmd: string[] = [];
    try {
      cmd = item.cmd ? shellSplit(String(item.cmd)) : [];
    } catch (err) {
      errors.push(`${where} cmd: ${(err as Error).message}`);
    }
    const acc = { name, container: `${prefix}-${name}`, alias: x(item.alias) || name, image, env, volumes: listOf(item.volumes), ports: listOf(item.ports ?? item.port), cmd };
    const settings = { ...acc, env: env.map((e) => e.name) };
    const hash = createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 12);
    // Not a setting of the container (so not in the hash): changing it never asks for a recreate.
    const waitCmd = item.wait === undefined ? '' : x(item.wait).trim();
    const waitTimeout = item['wait-timeout'] === undefined ? 60 : Number(x(item['wait-timeout']));
    if (!Number.isInteger(waitTimeout) || waitTimeout < 1) errors.push(`${where} wait-timeout: "${x(item['wait-timeout'])}" is not a whole number of seconds ≥ 1`);
    const mappedBy = mapped?.rule ? { mappedBy: describeOrigin(mapped.rule.origin) } : {};
    return [{ ...acc, hash, ...mappedBy, ...(waitCmd ? { wait: { cmd: waitCmd, timeoutSec: waitTimeout } } : {}) }];
  });
}

function parseNginx(site: string, names: string[], listen: string, command: string[], errors: string[]): NginxSite | undefined {
  if (!site) return undefined;
  if (!PATH.test(site)) errors.push(`nginx-site: "${site}" must be a plain path (letters, digits, _ . / @ + -)`);
  for (const n of names) if (!/^[A-Za-z0-9*_.-]+$/.test(n)) errors.push(`nginx-server-name: "${n}" is not a server name`);
  if (!/^[A-Za-z0-9.:\[\]_]+$/.test(listen)) errors.push(`nginx-listen: "${listen}" is not an address:port`);
  return { site, serverNames: names.length ? names : ['_'], listen, command };
}

function parseStatic(from: string, to: string, url: string, errors: string[]): StaticFiles | undefined {
  if (!from && !to) return undefined;
  if (!from || !to) {
    errors.push('static-from and static-to go together (the directory in the image, and where nginx serves it from)');
    return undefined;
  }
  if (!from.startsWith('/') || !PATH.test(from)) errors.push(`static-from: "${from}" must be an absolute plain path`);
  if (!to.startsWith('/') || !PATH.test(to)) errors.push(`static-to: "${to}" must be an absolute plain path`);
  if (!/^\/([A-Za-z0-9_.@+-]+\/)*$/.test(url)) errors.push(`static-url: "${url}" must start and end with / (e.g. /static/)`);
  return { from: from.replace(/\/+$/, ''), to: to.replace(/\/+$/, ''), url };
}
