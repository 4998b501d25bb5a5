import path from 'node:path';
import type { RunPlan } from '../plan/types.ts';
import type { ContainerRuntime, ContainerSpec } from '../runtime/runtime.ts';
import { exportLine } from './quote-for-export.ts';
import { publishBindings } from './services.ts';
import type { RunningService } from './services.ts';
import { ShellSession, type SessionOptions } from './shell-session.ts';
import { dockerSocketBinds } from './docker-env.ts';

/** The pipeline container and the one shell every step runs in. */
export interface RunningBox {
  containerId: string;
  session: ShellSession;
}

/**
 * Creates the box (docs/wercker-compat.md §4.2): its main process is the shell (bash, else sh)
 * reading commands from stdin, with the box env and every service's link variables, on the run's
 * network. The host's cache is mounted read-only at /mnt/cache, copied in and collected at the end
 * (cache.ts); with --direct-mount (dev) the project and the cache are mounted read-write in
 * /pipeline instead.
 */
export async function createBox(
  plan: RunPlan, runtime: ContainerRuntime, network: string, labels: Record<string, string>, services: RunningService[], cacheDir: string,
  stepBinds: string[],
): Promise<string> {
  const env = [
    ...plan.box.env.map(([k, v]) => `${k}=${v}`),
    ...services.flatMap((s) => s.links.map(([k, v]) => `${k}=${v}`)),
  ];
  const binds = [plan.options.directMount ? `${cacheDir}:${plan.paths.cache}` : `${cacheDir}:${plan.paths.mnt}/cache:ro`, ...stepBinds];
  if (plan.options.directMount) binds.push(`${path.resolve(plan.projectDir)}:${plan.paths.base}`);
  if (plan.options.enableVolumes) binds.push(...plan.box.volumes);
  binds.push(...dockerSocketBinds(plan));
  const spec: ContainerSpec = {
    name: plan.box.containerName, image: plan.box.image, env, labels, openStdin: true, tty: false,
    network: { name: network, aliases: [] }, binds, privileged: plan.docker,
    // werker reads the shell's output from the attach stream, masks it and logs it itself. A
    // daemon log would be a second copy, unmasked, on the engine's disk, and writing it took as
    // much of dockerd's time as passing the output on (half the throughput of a chatty step).
    logDriver: 'none',
  };
  if (plan.box.cmd) spec.cmd = plan.box.cmd;
  if (plan.box.entrypoint) spec.entrypoint = plan.box.entrypoint;
  const published = plan.options.publish.length ? plan.options.publish : plan.options.exposePorts ? plan.box.ports : [];
  if (published.length) {
    spec.portBindings = publishBindings(published);
    spec.exposedPorts = Object.keys(spec.portBindings);
  }
  if (plan.options.memoryMb) spec.memoryBytes = Math.round(plan.options.memoryMb * (plan.services.length ? 0.75 : 1) * 1024 * 1024);
  if (plan.options.memorySwapMb) spec.memorySwapBytes = plan.options.memorySwapMb < 0 ? -1 : Math.round(plan.options.memorySwapMb * 1024 * 1024);
  if (plan.options.dockerDns?.length) spec.dns = plan.options.dockerDns;
  return runtime.createContainer(spec);
}

/** Starts (or restarts) the box and attaches a fresh shell session to it. */
export async function attachSession(runtime: ContainerRuntime, containerId: string, restart: boolean, opts: SessionOptions = {}): Promise<ShellSession> {
  if (restart) {
    await runtime.restartContainer(containerId, 1);
    return new ShellSession(await runtime.attach(containerId), opts);
  }
  const attached = await runtime.attach(containerId);
  await runtime.startContainer(containerId);
  return new ShellSession(attached, opts);
}

/** Export lines for the pipeline env: public first, then hidden, so hidden values win; literal ones stay literal (§3.6). */
export function envExports(vars: { name: string; value: string; hidden: boolean; literal?: boolean }[]): string[] {
  return [...vars.filter((v) => !v.hidden), ...vars.filter((v) => v.hidden)].map(exportLine);
}
