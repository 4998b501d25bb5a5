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
