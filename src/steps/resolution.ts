import path from 'node:path';
import { lockPath, readLock } from './lock.ts';
import { stepSources } from './sources.ts';

/**
 * The step sources (flags, WERKER_STEP_SOURCES, werker.config.yml next to wercker.yml, the
 * user's config.yml, then the GitHub conventions) and the lock file next to wercker.yml
 * (docs/wercker-compat.md §7.2). The CLI, the server's runner and local services all use it, so a
 * project resolves its steps the same way wherever it runs.
 */
export function stepResolution(werckerYml: string, flags: { stepSource?: string[] | undefined; stepsRegistry?: string | undefined } = {}) {
  const file = path.resolve(werckerYml);
  const inputs: Parameters<typeof stepSources>[0] = { flags: flags.stepSource ?? [], projectDir: path.dirname(file) };
  if (flags.stepsRegistry) inputs.stepsRegistry = flags.stepsRegistry;
  return { sources: stepSources(inputs), lock: readLock(lockPath(file)) };
}
