import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { assembleWorkflowSource } from '../engine/workflow-source.ts';
import { WerkerError } from '../errors.ts';
import { parseEnvFile } from '../plan/env-file.ts';
import { extractTar } from './checkout.ts';
import type { Job, RunnerBackend, WorkflowInputs } from './protocol.ts';

/**
 * A workflow pipeline's source on a runner: each input's output downloaded from the server, put
 * together by the same code as `werker workflow` (docs/wercker-compat.md §4.11).
 */
export async function workflowSource(job: Job, workflow: WorkflowInputs, backend: RunnerBackend, dirs: { checkout: string; temp: string }, log: (text: string) => void): Promise<string> {
  const outputOf = async (name: string): Promise<string> => {
    const input = workflow.inputs.find((i) => i.name === name);
    if (!input) throw new WerkerError(`the server sent no run for workflow input ${name}`, 1, { hint: 'retry the run; if it persists, start the workflow again' });
    const tar = await backend.sourceOutput(job.runId, job.lease, input.runId);
    if (!tar) throw new WerkerError(`the output of run ${input.runId} (${name}) is gone`, 1, { hint: 'start the workflow again' });
    const dir = path.join(dirs.temp, 'inputs', String(input.runId));
    await extractTar(tar, dir);
    log(`taking the output of run ${input.runId} (${name})`);
    return dir;
  };
  return assembleWorkflowSource(workflow.source, { projectDir: dirs.checkout, scratchDir: path.join(dirs.temp, 'merged') }, outputOf);
}

/**
 * The lines of a workflow pipeline's env file in the checkout (none when it has no such file). The
 * path comes from the repository's wercker.yml, so it must stay inside the checkout.
 */
export async function workflowEnvFile(checkout: string, envFile: string | undefined): Promise<[string, string][]> {
  if (!envFile) return [];
  const file = path.resolve(checkout, envFile);
  if (!existsSync(file)) return [];
  const root = await realpath(checkout);
  const real = await realpath(file);
  if (real !== root && !real.startsWith(`${root}${path.sep}`)) {
    throw new WerkerError(`envFile ${envFile} points outside the repository`, 1, { hint: 'name a file inside the repository in workflows: … envFile' });
  }
  return parseEnvFile(await readFile(real, 'utf8'));
}
