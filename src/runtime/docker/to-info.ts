import type Docker from 'dockerode';
import type { ContainerInfo, ImageInfo } from '../runtime.ts';

/** Image inspect → ImageInfo. Older daemons send null for empty lists and maps. */
export function toImageInfo(raw: Docker.ImageInspectInfo): ImageInfo {
  const c = raw.Config ?? ({} as Partial<Docker.ImageInspectInfo['Config']>);
  const info: ImageInfo = {
    id: raw.Id,
    env: c.Env ?? [],
    cmd: c.Cmd ?? null,
    entrypoint: c.Entrypoint == null ? null : Array.isArray(c.Entrypoint) ? c.Entrypoint : [c.Entrypoint],
    exposedPorts: Object.keys(c.ExposedPorts ?? {}),
    workingDir: c.WorkingDir ?? '',
    user: c.User ?? '',
    labels: c.Labels ?? {},
  };
  const hc = c.Healthcheck;
  if (hc?.Test) {
    info.healthcheck = { test: hc.Test };
    if (hc.Interval) info.healthcheck.intervalNs = hc.Interval;
    if (hc.Timeout) info.healthcheck.timeoutNs = hc.Timeout;
    if (hc.Retries) info.healthcheck.retries = hc.Retries;
  }
  return info;
}

/** Container inspect → ContainerInfo. */
export function toContainerInfo(raw: Docker.ContainerInspectInfo): ContainerInfo {
  const networks = raw.NetworkSettings?.Networks ?? {};
  const ports = (raw.NetworkSettings?.Ports ?? {}) as Record<string, { HostIp: string; HostPort: string }[] | null>;
  const info: ContainerInfo = {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    running: raw.State.Running,
    exitCode: raw.State.ExitCode,
    ips: Object.fromEntries(Object.entries(networks).map(([name, n]) => [name, n.IPAddress])),
    env: raw.Config?.Env ?? [],
    exposedPorts: Object.keys(raw.Config?.ExposedPorts ?? {}),
    health: toHealth(raw.State.Health?.Status),
    publishedPorts: {},
  };
  for (const [port, bindings] of Object.entries(ports)) {
    const first = bindings?.[0];
    if (first?.HostPort) info.publishedPorts[port] = first.HostPort;
  }
  return info;
}

function toHealth(status: string | undefined): ContainerInfo['health'] {
  if (status === 'starting' || status === 'healthy' || status === 'unhealthy') return status;
  return 'none';
}
