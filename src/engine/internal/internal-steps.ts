import type { InternalStep } from './context.ts';
import { dockerBuild } from './docker-build.ts';
import { dockerPush } from './docker-push.ts';
import { dockerKill, dockerRun } from './docker-run.ts';
import { release } from './release.ts';
import { shell } from './shell.ts';
import { watch } from './watch.ts';

/** werker's internal steps by name; plan/plan.ts INTERNAL_STEPS lists the same names. */
export const internalSteps: Record<string, InternalStep> = {
  'docker-push': dockerPush,
  'docker-build': dockerBuild,
  'docker-run': dockerRun,
  'docker-kill': dockerKill,
  release,
  watch,
  shell,
};
