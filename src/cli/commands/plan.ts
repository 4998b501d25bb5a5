import { releasePlanLines } from '../../deploy/plan-lines.ts';
import { dockerRunImage } from '../../plan/step-images.ts';
import type { RunPlan } from '../../plan/types.ts';
import { connectDocker } from '../../runtime/docker/client.ts';
import { dockerConnection } from '../docker-flags.ts';
import type { Output } from '../output.ts';
import type { PipelineFlags } from '../pipeline-options.ts';
import { prepareRun, warnOn } from '../prepare-run.ts';
import { isProjectUrl } from '../project-url.ts';
import { UsageError } from '../../errors.ts';

/**
 * `werker plan`: what a run would do — images, services and the link variables steps will see,
 * steps, env names (never values of hidden ones) — and runs nothing. Uses the engine, when one
 * answers, only to read image metadata.
 */
export async function planCommand(target: string, flags: PipelineFlags, global: { environment: string }, out: Output, kind: RunPlan['kind'] = 'build'): Promise<number> {
  // A plan runs and fetches nothing: the tarball URL a run takes (§4.3) would be a download.
  if (isProjectUrl(target)) {
    throw new UsageError(`werker plan reads a project directory, not a URL (${target})`, {
      hint: 'build, dev and deploy download a tarball URL into <working-dir>/projects/<name>; plan that directory after a run',
    });
  }
  const runtime = await connectDocker(dockerConnection(flags)).catch(() => undefined);
  const plan = await prepareRun(kind, target, flags, global.environment, runtime, warnOn(out));
  const view = planView(plan);
  out.stdout(flags.json ? JSON.stringify(view, null, 2) : renderPlan(view));
  // The plan is computed: exit 0. Steps werker cannot run yet are marked (✗); a run stops on
  // them before it starts anything, and says so.
  return 0;
}

export function planView(plan: RunPlan) {
  const step = (s: RunPlan['steps'][number]) => {
    const image = dockerRunImage(plan, s);
    return {
      name: s.displayName, id: s.id, kind: s.kind, status: s.status, ...(s.problem ? { problem: s.problem } : {}),
      // Where a registry step's package comes from (built-in, cache, file, dir, git URL@commit, lock …).
      ...(s.source ? { source: s.source } : {}),
      properties: Object.keys(s.properties), ...(image ? { image } : {}),
    };
  };
  return {
    runId: plan.runId, pipeline: plan.pipeline, kind: plan.kind,
    box: { image: plan.box.image, written: plan.box.written, ...mappedBy(plan.box), cmd: plan.box.cmd },
    services: plan.services.map((s) => ({ alias: s.alias, image: s.image, written: s.written, ...mappedBy(s), env: s.env.map(([k]) => k), linkVariables: s.linkVarNames })),
    // Where pulls from a registry go first (the user config file's registry-mirrors:).
    registryMirrors: (plan.options.registryMirrors ?? []).map((m) => ({ registry: m.registry, mirror: m.mirror, origin: m.origin })),
    steps: plan.steps.map(step), afterSteps: plan.afterSteps.map(step),
    env: plan.env.map((v) => (v.hidden ? `${v.name} (hidden)` : v.name)),
    sourceDir: plan.paths.sourceDir,
    // internal/release steps: their remote commands, in order (deploy/plan-lines.ts).
    remoteCommands: releasePlanLines(plan),
  };
}

const mappedBy = (i: { mappedBy?: string }) => (i.mappedBy ? { mappedBy: i.mappedBy } : {});

/** `IMAGE  (wercker.yml: WRITTEN, mapped by RULE'S ORIGIN)` when the image map changed it (docs/wercker-compat.md §6.4). */
function imageText(i: { image: string; written: string; mappedBy?: string }): string {
  if (i.mappedBy) return `${i.image}  (wercker.yml: ${i.written}; image map: ${i.mappedBy})`;
  return `${i.image}${i.written !== i.image ? `  (wercker.yml: ${i.written})` : ''}`;
}

function renderPlan(v: ReturnType<typeof planView>): string {
  const lines = [`pipeline ${v.pipeline} (${v.kind})`, `  box: ${imageText(v.box)}`];
  for (const m of v.registryMirrors) lines.push(`  registry mirror: ${m.registry} → ${m.mirror}  (${m.origin})`);
  for (const s of v.services) {
    lines.push(`  service ${s.alias}: ${imageText(s)}`);
    lines.push(`    link variables: ${s.linkVariables.join(' ')}`);
  }
  const steps = (title: string, list: typeof v.steps) => {
    if (!list.length) return;
    lines.push(`  ${title}:`);
    list.forEach((s, i) => {
      lines.push(`    ${i + 1}. ${s.name}${s.name !== s.id ? ` [${s.id}]` : ''}${s.status === 'ready' ? '' : `  ✗ ${s.problem?.replaceAll('\n', '\n       ')}`}`);
      if (s.source) lines.push(`       from ${s.source}`);
      if (s.image) lines.push(`       image: ${imageText(s.image)}`);
    });
  };
  steps('steps', v.steps);
  steps('after-steps', v.afterSteps);
  lines.push(...v.remoteCommands);
  lines.push(`  env: ${v.env.join(' ')}`);
  return lines.join('\n');
}
