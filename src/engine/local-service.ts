import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CancelledError, ConfigError, WerkerError } from '../errors.ts';
import { preparePlan } from '../plan/prepare.ts';
import type { PlannedService, RunOptions, RunPlan } from '../plan/types.ts';
import type { Bus, RunEventBody } from './events.ts';
import type { RunDeps, RunResult } from './run-types.ts';

type RunFn = (plan: RunPlan, deps: RunDeps) => Promise<RunResult>;

/**
 * Builds each local service (`url: file://<dir>#<pipeline>`, docs/wercker-compat.md §5.4): that
 * project's pipeline runs as a nested build whose box is committed as the service's image
 * (`run-<runID>:latest`), which then starts like any service. `run` is runPipeline (passed in, as
 * run.ts calls this). `onBuilt` learns each image, so the run removes it at the end.
 */
export async function buildLocalServices(plan: RunPlan, deps: RunDeps, run: RunFn, onBuilt: (image: string) => void): Promise<void> {
  for (const svc of plan.services) {
    if (!svc.local) continue;
    await buildOne(plan, svc, deps, run);
    onBuilt(svc.image);
  }
}

async function buildOne(plan: RunPlan, svc: PlannedService, deps: RunDeps, run: RunFn): Promise<void> {
  const local = svc.local!;
  const what = `service ${svc.alias} (${local.position})`;
  const isDir = await stat(local.dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    throw new WerkerError(`${what}: ${local.url}: there is no directory ${local.dir}`, 1, {
      hint: `the url's dir is relative to this project (${plan.projectDir}); point it at a project that has a wercker.yml`,
    });
  }
  let nested: RunPlan;
  try {
    nested = await planNested(plan, svc);
  } catch (err) {
    if (!(err instanceof WerkerError)) throw err;
    const detail = err instanceof ConfigError ? err.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}:${d.col} ${d.message}`).join('; ') : err.message;
    throw new WerkerError(`${what}: ${local.url} cannot be built: ${detail || err.message}`, 1, {
      cause: err, hint: `check it with: werker check-config in ${local.dir}, or fix the url (file://<dir>#<pipeline>)`,
    });
  }
  deps.bus.emit({ type: 'log', level: 'info', text: `building service ${svc.alias} from ${local.url} (pipeline ${local.pipeline} of ${local.dir})` });
  const result = await run(nested, { runtime: deps.runtime, bus: nestedBus(deps.bus, svc.alias), ...(deps.signal ? { signal: deps.signal } : {}) });
  if (result.status === 'cancelled') throw new CancelledError(`cancelled while building service ${svc.alias}`);
  if (result.status !== 'passed') {
    const step = result.failedStep ? ` at step "${result.failedStep.name}"${result.failedStep.message ? ` (${result.failedStep.message})` : ''}` : '';
    throw new WerkerError(`${what}: the build of ${local.url} ${result.status}${step}`, 1, {
      hint: `its output is above, marked [${svc.alias}]; run it on its own with: werker build ${local.dir} --pipeline ${local.pipeline}`,
    });
  }
}

/** The nested build: that project's pipeline with this run's options, committed as the service's image. */
async function planNested(plan: RunPlan, svc: PlannedService): Promise<RunPlan> {
  const local = svc.local!;
  const workingDir = path.join(plan.workingDir, 'services', svc.alias);
  const { deployTarget: _unused, ...inherited } = plan.options;
  const options: RunOptions = {
    ...inherited, artifacts: false, directMount: false, publish: [],
    commit: { repo: `run-${local.runId}`, tag: 'latest', message: `Run ${local.runId}` },
  };
  const { plan: nested, config } = await preparePlan({
    project: { dir: local.dir }, pipeline: local.pipeline, kind: 'build', workingDir, options, keepTimeouts: true,
    variables: { from: 'inherited', hostEnv: local.hostEnv }, overrides: { runId: local.runId }, secrets: local.secrets,
  });
  const bad = [...nested.steps, ...nested.afterSteps].find((s) => s.status !== 'ready');
  if (bad) throw new WerkerError(`${config.file}:${bad.at?.line ?? 0}:${bad.at?.col ?? 0} ${bad.problem ?? `step ${bad.id} cannot run`}`);
  return nested;
}

/** The nested build's events, told as this run's log lines marked with the service's alias. */
function nestedBus(parent: Bus, alias: string): Bus {
  const log = (text: string, level: 'info' | 'warn' | 'debug' = 'info') => parent.emit({ type: 'log', level, text: `[${alias}] ${text}` });
  const emit = (body: RunEventBody) => {
    switch (body.type) {
      case 'run.started': return log(`build ${body.pipeline}: box ${body.box}`);
      case 'step.started': return log(`--> ${body.name}`);
      case 'step.finished': return log(`${body.status === 'passed' ? 'passed' : 'failed'}: ${body.name}${body.message ? ` (${body.message})` : ''}`, body.status === 'passed' ? 'info' : 'warn');
      case 'log': return log(body.text, body.level);
      case 'run.finished': return log(`build ${body.status}${body.error ? `: ${body.error.message}` : ''}`, body.status === 'passed' ? 'info' : 'warn');
      case 'step.output': return log(body.text, body.partial ? 'debug' : 'info');
      default: return log(body.type, 'debug');
    }
  };
  const output = (_step: number, _stream: 'stdout' | 'stderr', text: string, partial?: boolean) => log(text, partial ? 'debug' : 'info');
  return { emit, output, congested: parent.congested, hide: parent.hide, holdBack: parent.holdBack, mask: parent.mask };
}
