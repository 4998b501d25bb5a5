import net from 'node:net';
import { PortInUseError, UsageError } from '../errors.ts';
import { publishBindings } from '../engine/services.ts';
import type { RunPlan } from '../plan/types.ts';

const PUBLISH_FORMAT = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d{1,5}):)?(\d{1,5})(?:\/(tcp|udp|sctp))?$/;

/** `--publish` values: `PORT`, `HOST_PORT:PORT` or `IP:HOST_PORT:PORT`, each with an optional `/udp`. */
export function assertPublishFlags(values: string[]): void {
  for (const v of values) {
    const m = PUBLISH_FORMAT.exec(v);
    const ports = m ? [m[2], m[3]].filter((p) => p !== undefined).map(Number) : [];
    if (!m || ports.some((p) => p < 1 || p > 65535)) {
      throw new UsageError(`--publish takes PORT, HOST_PORT:PORT or IP:HOST_PORT:PORT, not "${v}"`, {
        hint: '--publish 8000 serves the box\'s port 8000 on 127.0.0.1:8000; --publish 0.0.0.0:8000:8000 on every interface',
      });
    }
  }
}

/**
 * Fails before anything starts when a host port the run will publish is taken, so the user does
 * not wait for images and services to learn it. Only meaningful when the engine runs on this
 * host (a unix socket); the engine's own error, mapped in runtime/docker/map-error.ts, covers
 * the rest (a remote engine, or a port taken in between).
 */
export async function assertPortsFree(plan: RunPlan, engineHost: string): Promise<void> {
  if (!engineHost.startsWith('unix://')) return;
  const { options } = plan;
  const boxPorts = options.publish.length ? options.publish : options.exposePorts ? plan.box.ports : [];
  const servicePorts = options.exposePorts ? plan.services.flatMap((s) => s.ports) : [];
  for (const [proto, list] of Object.entries(publishBindings([...boxPorts, ...servicePorts]))) {
    if (!proto.endsWith('/tcp')) continue;
    for (const b of list) {
      const problem = await tryListen(b.hostIp, Number(b.hostPort));
      if (problem) throw new PortInUseError(b.hostPort, b.hostIp, problem);
    }
  }
}

/** undefined when the port can be bound (then it is released at once), else why not. */
function tryListen(host: string, port: number): Promise<string | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      // Binding a port under 1024 needs privileges werker may lack while dockerd has them.
      resolve(err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL' ? undefined : err.code ?? err.message);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
