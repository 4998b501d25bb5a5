import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { WerkerError } from '../errors.ts';
import type { WorkflowSource } from '../plan/workflow.ts';

export interface WorkflowSourceDirs {
  /** The project: the current directory for `werker workflow`, the commit's checkout on a runner. */
  projectDir: string;
  /** An empty directory the merged source may be built in. */
  scratchDir: string;
  /** Directories of the project not to copy into a merged source (the working dir when it sits inside). */
  skip?: string[];
}

/**
 * Makes a workflow pipeline's source as the plan says (docs/wercker-compat.md §4.11) and returns
 * its directory. `outputOf(name)` gives the directory holding that entry's stored output; the CLI
 * passes its runs' output dirs, a runner the outputs it downloaded. Both runners call this, so a
 * pipeline sees the same files on either.
 */
export async function assembleWorkflowSource(source: WorkflowSource, dirs: WorkflowSourceDirs, outputOf: (name: string) => Promise<string>): Promise<string> {
  if (source.layout === 'project') return dirs.projectDir;
  if (source.layout === 'output') return outputOf(source.from);
  const skip = new Set((dirs.skip ?? []).map((d) => path.resolve(d)));
  await mkdir(dirs.scratchDir, { recursive: true });
  await cp(dirs.projectDir, dirs.scratchDir, { recursive: true, verbatimSymlinks: true, filter: (from) => !skip.has(path.resolve(from)) });
  for (const name of source.from) {
    // The name comes from the wercker.yml: it names one directory inside the source, nothing else.
    if (!/^[^/\\]+$/.test(name) || name === '.' || name === '..') throw new WerkerError(`workflow pipeline name ${JSON.stringify(name)} cannot be a directory name in the source`, 1, { hint: 'rename it in workflows: (no / and not . or ..)' });
    await cp(await outputOf(name), path.join(dirs.scratchDir, name), { recursive: true, force: true, verbatimSymlinks: true });
  }
  return dirs.scratchDir;
}
