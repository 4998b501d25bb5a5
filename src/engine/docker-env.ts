import type { RunPlan } from '../plan/types.ts';
import { quoteForExport } from './quote-for-export.ts';

/**
 * `docker: true` (docs/wercker-compat.md §3.2, §4.2): beside DOCKER_HOST (planned), the run's
 * network, known only once the engine made it, so steps can `docker run --network=$DOCKER_NETWORK_NAME`
 * and reach the services by name.
 */
export function dockerNetworkExports(plan: RunPlan, network: string): string[] {
  return plan.docker ? [quoteForExport('DOCKER_NETWORK_NAME', network)] : [];
}

/**
 * `docker: true` (docs/wercker-compat.md §4.2): the engine's socket, when werker reaches it over
 * one (DOCKER_HOST `unix://PATH`), bind-mounted at its own path so the box's DOCKER_HOST works
 * there too; an engine reached over TCP needs no mount.
 */
export function dockerSocketBinds(plan: Pick<RunPlan, 'dockerHost'>): string[] {
  const socket = plan.dockerHost?.startsWith('unix://') ? plan.dockerHost.slice('unix://'.length) : '';
  return socket ? [`${socket}:${socket}`] : [];
}
