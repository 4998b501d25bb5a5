import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { Bus } from './events.ts';

/**
 * A service that exited non-zero has its output shown once (docs/wercker-compat.md §5.4), even
 * when the steps passed: wercker did not stream services' output but showed a dying one's. Checked
 * when the steps are done, so each such service is reported exactly once.
 */
export async function showFailedServices(runtime: ContainerRuntime, bus: Bus, services: { name: string; containerId: string }[]): Promise<void> {
  for (const s of services) {
    const info = await runtime.inspectContainer(s.containerId).catch(() => undefined);
    if (!info || info.running || !info.exitCode) continue;
    const logs = await runtime.containerLogs(s.containerId, {}).catch(() => '');
    bus.emit({ type: 'log', level: 'warn', text: `service ${s.name} exited with code ${info.exitCode}` });
    bus.emit({ type: 'service.logs', name: s.name, logs });
  }
}
