import type { InternalStep } from './context.ts';

/**
 * werker's internal steps by name; plan/plan.ts INTERNAL_STEPS lists the same names. Each is
 * loaded when a pipeline runs it: together they pull in the deploy code, the SSH client and the
 * file watcher, which a run without internal steps would load for nothing (~0.15 s at start-up).
 */
const loaders: Record<string, () => Promise<InternalStep>> = {
  'docker-push': async () => (await import('./docker-push.ts')).dockerPush,
  'docker-scratch-push': async () => (await import('./docker-scratch-push.ts')).dockerScratchPush,
  'docker-build': async () => (await import('./docker-build.ts')).dockerBuild,
  'docker-run': async () => (await import('./docker-run.ts')).dockerRun,
  'docker-kill': async () => (await import('./docker-run.ts')).dockerKill,
  release: async () => (await import('./release.ts')).release,
  watch: async () => (await import('./watch.ts')).watch,
  shell: async () => (await import('./shell.ts')).shell,
  'publish-step': async () => (await import('./publish-step.ts')).publishStep,
  'store-container': async () => (await import('./store-container.ts')).storeContainer,
};

/** The internal step of that name, or undefined when werker has none. */
export async function loadInternalStep(name: string): Promise<InternalStep | undefined> {
  return Object.hasOwn(loaders, name) ? loaders[name]!() : undefined;
}
