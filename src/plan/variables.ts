import { hostEnvironment } from './env-file.ts';

/**
 * Where a run's variables come from, which decides the host side of its pipeline env
 * (docs/wercker-compat.md §3.1):
 * - `host`: the process env with the ENVIRONMENT file's entries (the CLI);
 * - `server`: a werker server's variables, protected ones hidden (so the engine masks them) and
 *   every value exported literally (§3.6, where the server deliberately differs from wercker);
 * - `inherited`: a parent run's host env as it was planned (a local service's nested build, §5.4).
 */
export type VariableSource =
  | { from: 'host'; env: Record<string, string | undefined>; envFile: [string, string][] }
  | { from: 'server'; variables: readonly ServerVariable[] }
  | { from: 'inherited'; hostEnv: readonly [string, string][] };

/** A pipeline variable as a werker server keeps it (runner protocol, Job.variables). */
export interface ServerVariable {
  name: string;
  value: string;
  protected: boolean;
}

/** The host env the plan reads (plan.ts PlanInput.hostEnv), and whether its values stay literal. */
export function hostEnvOf(source: VariableSource): { hostEnv: Map<string, string>; literal: boolean } {
  switch (source.from) {
    case 'host': return { hostEnv: hostEnvironment(source.env, source.envFile), literal: false };
    case 'server': return { hostEnv: serverHostEnv(source.variables), literal: true };
    case 'inherited': return { hostEnv: new Map(source.hostEnv), literal: false };
  }
}

/** In precedence order (later wins): protected → XXX_ (hidden, masked), others → X_. */
function serverHostEnv(variables: readonly ServerVariable[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const v of variables) {
    env.delete(`X_${v.name}`);
    env.delete(`XXX_${v.name}`);
    env.set(`${v.protected ? 'XXX_' : 'X_'}${v.name}`, v.value);
  }
  return env;
}
