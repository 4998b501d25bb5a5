import type { DockerTlsFlags } from '../runtime/docker/address.ts';
import type { PipelineFlags } from './pipeline-options.ts';

/**
 * How a pipeline command reaches the engine: `--docker-host`, and wercker's `--docker-tls-verify`
 * and `--docker-cert-path`, which stand for DOCKER_TLS_VERIFY and DOCKER_CERT_PATH
 * (docs/wercker-compat.md §8.3).
 */
export function dockerConnection(flags: Pick<PipelineFlags, 'dockerHost' | 'dockerTlsVerify' | 'dockerCertPath'>): { host?: string } & DockerTlsFlags {
  return {
    ...(flags.dockerHost ? { host: flags.dockerHost } : {}),
    ...(flags.dockerTlsVerify !== undefined ? { tlsVerify: flags.dockerTlsVerify } : {}),
    ...(flags.dockerCertPath !== undefined ? { certPath: flags.dockerCertPath } : {}),
  };
}
