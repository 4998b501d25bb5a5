import { SshConnection } from '../runtime/ssh/connection.ts';
import type { ReleaseSpec, SshHost } from './release-spec.ts';

/** The spec's hosts, or the one `--host` names (host, or host:port). */
export function selectHosts(spec: ReleaseSpec, only: string | undefined): SshHost[] {
  if (!only) return spec.hosts;
  return spec.hosts.filter((h) => h.host === only || `${h.host}:${h.port}` === only);
}

/** One SSH connection to a host of the spec, its key checked against known-hosts. */
export function connectHost(spec: ReleaseSpec, h: SshHost, signal?: AbortSignal): Promise<SshConnection> {
  return SshConnection.connect({
    host: h.host, port: h.port, username: spec.user, privateKey: spec.sshKey, knownHosts: spec.knownHosts,
    ...(spec.sshKeyPassphrase ? { passphrase: spec.sshKeyPassphrase } : {}),
  }, signal);
}
