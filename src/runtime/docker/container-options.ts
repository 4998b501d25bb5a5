import type Docker from 'dockerode';
import type { ContainerSpec } from '../runtime.ts';

/** ContainerSpec → the Engine API's create body. Only what the spec sets is sent. */
export function toCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const ports = [...new Set([...(spec.exposedPorts ?? []), ...Object.keys(spec.portBindings ?? {})])];
  const opts: Docker.ContainerCreateOptions = {
    name: spec.name,
    Image: spec.image,
    Labels: spec.labels,
    // Stdout/stderr are always attached; stdin only for a box whose shell reads it
    // (docs/wercker-compat.md §4.4).
    AttachStdin: spec.openStdin ?? false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: spec.openStdin ?? false,
    // StdinOnce would close stdin after the first attach ends; a restarted box gets a new session.
    StdinOnce: false,
    Tty: spec.tty ?? false,
    HostConfig: toHostConfig(spec),
  };
  if (spec.cmd) opts.Cmd = spec.cmd;
  if (spec.entrypoint) opts.Entrypoint = spec.entrypoint;
  if (spec.env) opts.Env = spec.env;
  if (spec.workingDir) opts.WorkingDir = spec.workingDir;
  if (spec.user) opts.User = spec.user;
  if (ports.length) opts.ExposedPorts = Object.fromEntries(ports.map((p) => [p, {}]));
  if (spec.volumes?.length) opts.Volumes = Object.fromEntries(spec.volumes.map((v) => [v, {}]));
  if (spec.network) {
    opts.NetworkingConfig = { EndpointsConfig: { [spec.network.name]: { Aliases: spec.network.aliases } } };
  }
  return opts;
}

function toHostConfig(spec: ContainerSpec): Docker.HostConfig {
  const host: Docker.HostConfig = {};
  if (spec.network) host.NetworkMode = spec.network.name;
  if (spec.logDriver) host.LogConfig = { Type: spec.logDriver, Config: {} };
  if (spec.binds?.length) host.Binds = spec.binds;
  if (spec.portBindings) {
    host.PortBindings = Object.fromEntries(
      Object.entries(spec.portBindings).map(([port, list]) => [port, list.map((b) => ({ HostIp: b.hostIp ?? '', HostPort: b.hostPort }))]),
    );
  }
  if (spec.privileged) host.Privileged = true;
  // Swap unset: the daemon then allows twice the memory, as wercker's boxes had
  // (docs/wercker-compat.md §4.2); `--docker-memory-swap` sets it (§8.3).
  if (spec.memoryBytes) host.Memory = spec.memoryBytes;
  if (spec.memorySwapBytes) host.MemorySwap = spec.memorySwapBytes;
  if (spec.dns?.length) host.Dns = spec.dns;
  if (spec.extraHosts?.length) host.ExtraHosts = spec.extraHosts;
  if (spec.restartPolicy) {
    host.RestartPolicy = { Name: spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount ?? 0 };
  }
  return host;
}
