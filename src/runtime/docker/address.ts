import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { UsageError } from '../../errors.ts';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export interface DockerAddress {
  /** The address as a user (or a `docker: true` step) would write it: unix:///… or tcp://host:port. */
  url: string;
  /** Connection options for dockerode, complete enough that none of its env defaults apply. */
  options: Docker.DockerOptions;
}

/**
 * Picks the engine address: the --docker-host flag, else DOCKER_HOST, else the default socket.
 * Accepts unix://PATH, tcp://HOST:PORT (TLS when DOCKER_TLS_VERIFY=1 or port 2376, with certs
 * from DOCKER_CERT_PATH, like the docker CLI) and a plain socket path.
 */
export function resolveDockerAddress(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): DockerAddress {
  const raw = (flag || env.DOCKER_HOST || DEFAULT_DOCKER_HOST).trim();
  if (raw.startsWith('/')) return unixAddress(raw);
  if (raw.startsWith('unix://')) return unixAddress(raw.slice('unix://'.length) || '/var/run/docker.sock');
  if (raw.startsWith('tcp://')) return tcpAddress(raw, env);
  throw new UsageError(`unsupported Docker host address: ${raw}`, {
    hint: 'use unix:///path/to/docker.sock, tcp://host:port, or a socket path',
  });
}

function unixAddress(socketPath: string): DockerAddress {
  // host: undefined on purpose: dockerode merges its own DOCKER_HOST parsing under ours, and a
  // host from the environment would win over our socketPath.
  return { url: `unix://${socketPath}`, options: { socketPath, host: undefined } };
}

function tcpAddress(raw: string, env: NodeJS.ProcessEnv): DockerAddress {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UsageError(`invalid Docker host address: ${raw}`, { hint: 'expected tcp://host:port' });
  }
  const tls = env.DOCKER_TLS_VERIFY === '1' || parsed.port === '2376';
  const port = parsed.port || (tls ? '2376' : '2375');
  const options: Docker.DockerOptions = { host: parsed.hostname, port, protocol: tls ? 'https' : 'http', socketPath: undefined };
  if (tls && env.DOCKER_CERT_PATH) Object.assign(options, readCerts(env.DOCKER_CERT_PATH));
  return { url: `tcp://${parsed.hostname}:${port}`, options };
}

/** The client certificates in DOCKER_CERT_PATH (or --docker-cert-path), as the docker CLI names them. */
function readCerts(dir: string): Pick<Docker.DockerOptions, 'ca' | 'cert' | 'key'> {
  try {
    return { ca: readFileSync(join(dir, 'ca.pem')), cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } catch (err) {
    throw new UsageError(`cannot read the Docker TLS certificates in ${dir}: ${(err as Error).message}`, {
      cause: err, hint: 'DOCKER_CERT_PATH (or --docker-cert-path) names a directory holding ca.pem, cert.pem and key.pem',
    });
  }
}

/**
 * wercker's guesses after the socket (docs/wercker-compat.md §8.3): boot2docker's VM, then a
 * daemon on local TCP without TLS.
 */
export const FALLBACK_DOCKER_HOSTS = ['tcp://192.168.59.103:2376', 'tcp://127.0.0.1:2375'];

/** How long a fallback address may take to accept a connection: a guess, so no long wait. */
const FALLBACK_CONNECT_MS = 1000;

/** `--docker-tls-verify` and `--docker-cert-path` (wercker's flags, §8.3) stand for these variables. */
export interface DockerTlsFlags {
  tlsVerify?: string;
  certPath?: string;
}

/** The env with wercker's TLS flags read as the DOCKER_TLS_VERIFY / DOCKER_CERT_PATH they stand for. */
export function dockerEnv(flags: DockerTlsFlags, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (flags.tlsVerify === undefined && flags.certPath === undefined) return env;
  return {
    ...env, ...(flags.tlsVerify !== undefined ? { DOCKER_TLS_VERIFY: flags.tlsVerify } : {}), ...(flags.certPath !== undefined ? { DOCKER_CERT_PATH: flags.certPath } : {}),
  };
}

/** What the search tried, for the error when nothing answers. */
export interface AddressSearch {
  address: DockerAddress | undefined;
  tried: string[];
}

/**
 * The engine address as wercker found it (docs/wercker-compat.md §8.3): the flag or DOCKER_HOST
 * as given; else the default socket when it exists; else the first of the fallbacks that accepts
 * a connection within a second (boot2docker's with its certificates, when DOCKER_CERT_PATH names
 * none). `address` is undefined when none of them is there.
 */
export async function findDockerAddress(
  flag: string | undefined, env: NodeJS.ProcessEnv = process.env,
  defaults: { socket: string; fallbacks: string[] } = { socket: DEFAULT_DOCKER_HOST, fallbacks: FALLBACK_DOCKER_HOSTS },
): Promise<AddressSearch> {
  if (flag || env.DOCKER_HOST) return { address: resolveDockerAddress(flag, env), tried: [] };
  const socket = resolveDockerAddress(defaults.socket, env);
  if (existsSync(socket.options.socketPath!)) return { address: socket, tried: [] };
  const tried = [socket.url];
  for (const url of defaults.fallbacks) {
    const address = resolveDockerAddress(url, withBoot2dockerCerts(url, env));
    tried.push(address.url);
    if (await accepts(address.options.host!, Number(address.options.port))) return { address, tried };
  }
  return { address: undefined, tried };
}

/** boot2docker kept its client certificates here; wercker used them for its address. */
function withBoot2dockerCerts(url: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const dir = join(homedir(), '.boot2docker', 'certs', 'boot2docker-vm');
  return url.endsWith(':2376') && !env.DOCKER_CERT_PATH && existsSync(dir) ? { ...env, DOCKER_CERT_PATH: dir } : env;
}

/** Whether something accepts a TCP connection at host:port within FALLBACK_CONNECT_MS. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: FALLBACK_CONNECT_MS });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
