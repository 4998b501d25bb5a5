import { readFileSync } from 'node:fs';
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
  if (tls && env.DOCKER_CERT_PATH) {
    const dir = env.DOCKER_CERT_PATH;
    options.ca = readFileSync(join(dir, 'ca.pem'));
    options.cert = readFileSync(join(dir, 'cert.pem'));
    options.key = readFileSync(join(dir, 'key.pem'));
  }
  return { url: `tcp://${parsed.hostname}:${port}`, options };
}
