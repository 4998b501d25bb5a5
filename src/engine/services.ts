import type { PlannedService, RunPlan } from '../plan/types.ts';
import { linkVars } from '../plan/link-vars.ts';
import { portProto } from '../plan/plan.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { Bus } from './events.ts';
import { ServiceNotReadyError, waitForService } from './wait.ts';
import { WerkerError } from '../errors.ts';
import { serviceMemoryBytes } from './memory.ts';

export interface RunningService {
  plan: PlannedService;
  containerId: string;
  ip: string;
  links: [string, string][];
}

export interface StartedServices {
  running: RunningService[];
  /**
   * Settles when the last service is ready (rejects as a service that never got ready does).
   * Its link variables are known before that, so the box can be set up while it is pending;
   * only the first step waits for it.
   */
  ready: Promise<void>;
}

/**
 * Starts the services one by one in list order on the run's network (docs/wercker-compat.md §5),
 * each seeing the link variables of the ones before it, and waits for each to be ready before the
 * next starts; the last one's wait is handed back (`ready`) for the caller to await before the
 * first step. A service that fails shows its logs.
 */
export async function startServices(
  plan: RunPlan, runtime: ContainerRuntime, network: string, labels: Record<string, string>, bus: Bus, signal: AbortSignal | undefined,
  onCreated: (containerId: string) => void,
): Promise<StartedServices> {
  const running: RunningService[] = [];
  let ready: Promise<void> = Promise.resolve();
  for (const [i, svc] of plan.services.entries()) {
    const inherited = running.flatMap((r) => r.links);
    const env = [...svc.env.map(([k, v]) => `${k}=${v}`), ...inherited.map(([k, v]) => `${k}=${v}`)];
    const spec = {
      name: svc.containerName, image: svc.image, env, labels,
      network: { name: network, aliases: [svc.alias] },
      exposedPorts: svc.ports.map(portProto),
      ...(svc.cmd ? { cmd: svc.cmd } : {}),
      ...(svc.entrypoint ? { entrypoint: svc.entrypoint } : {}),
      ...(plan.options.exposePorts ? { portBindings: publishBindings(svc.ports) } : {}),
      // docs/wercker-compat.md §5.2: a service's volumes are mounted only with --enable-volumes.
      ...(plan.options.enableVolumes && svc.volumes.length ? { binds: svc.volumes } : {}),
      ...(serviceMemoryBytes(plan) ? { memoryBytes: serviceMemoryBytes(plan)! } : {}),
    };
    const id = await runtime.createContainer(spec);
    onCreated(id);
    await runtime.startContainer(id);
    bus.emit({ type: 'service.started', name: svc.alias, image: svc.image, containerId: id });
    const info = await runtime.inspectContainer(id);
    const ip = info.ips[network] ?? '';
    const inheritedNames = new Set(inherited.map(([k]) => k));
    const ownEnv = info.env.filter((e) => !inheritedNames.has(e.slice(0, e.indexOf('='))));
    const links = linkVars(svc.linkPrefix, ip, info.exposedPorts, plan.box.containerName, svc.alias, ownEnv);
    running.push({ plan: svc, containerId: id, ip, links });
    const waiting = awaitReady(runtime, bus, svc, id, ip, info.exposedPorts, ownEnv, signal);
    if (i < plan.services.length - 1) await waiting;
    else ready = waiting;
  }
  return { running, ready };
}

async function awaitReady(
  runtime: ContainerRuntime, bus: Bus, svc: PlannedService, id: string, ip: string, exposedPorts: string[], env: string[], signal: AbortSignal | undefined,
): Promise<void> {
  const started = Date.now();
  try {
    const image = await runtime.inspectImage(svc.image);
    const pgUser = env.find((e) => e.startsWith('POSTGRES_USER='))?.slice('POSTGRES_USER='.length);
    const how = await waitForService(runtime, {
      containerId: id, ip,
      tcpPorts: exposedPorts.filter((p) => p.endsWith('/tcp')).map((p) => parseInt(p, 10)),
      hasHealthcheck: Boolean(image.healthcheck && image.healthcheck.test[0] !== 'NONE'),
      ...(pgUser ? { pgUser } : {}),
    }, svc.wait, signal);
    bus.emit({ type: 'service.ready', name: svc.alias, waitedMs: Date.now() - started, how });
  } catch (err) {
    if (!(err instanceof ServiceNotReadyError)) throw err;
    // A service's env (and so its log) may hold a protected value: the bus masks both fields.
    const logs = await runtime.containerLogs(id, { tail: 50 }).catch(() => '');
    bus.emit({ type: 'service.failed', name: svc.alias, message: err.message, logs });
    throw new WerkerError(`service ${svc.alias} (${svc.image}): ${err.message}`, 1, {
      hint: 'its last log lines are above; check its env (e.g. passwords) and image, or raise wait.timeout in the service',
    });
  }
}

/**
 * `ports` entries as Docker port bindings: `8000`, `8080:80`, `0.0.0.0:8080:80`. werker publishes
 * on 127.0.0.1 unless the entry names an address (docker's `-p` default is every interface): a
 * dev server or a test database should not be reachable from the network by accident.
 */
export function publishBindings(ports: string[]): Record<string, { hostIp: string; hostPort: string }[]> {
  const out: Record<string, { hostIp: string; hostPort: string }[]> = {};
  for (const p of ports) {
    const parts = p.split(':');
    const container = portProto(p);
    const hostPort = parts.length >= 2 ? parts[parts.length - 2]! : parts[0]!.split('/')[0]!;
    const hostIp = parts.length === 3 ? parts[0]! : PUBLISH_ADDRESS;
    (out[container] ??= []).push({ hostIp, hostPort });
  }
  return out;
}

/** Where werker publishes a port that names no address. */
export const PUBLISH_ADDRESS = '127.0.0.1';
