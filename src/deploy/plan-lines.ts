import { PipelineEnv } from '../plan/environment.ts';
import type { RunPlan } from '../plan/types.ts';
import { Masker } from '../util/mask.ts';
import { ReleaseCommands, type RemoteCommand } from './commands.ts';
import { cronLines } from './cron.ts';
import { day2PlanLines } from './day2-plan-lines.ts';
import { rolloutPlanLines } from './rollout-plan-lines.ts';
import { locateOptionErrors } from './option-errors.ts';
import { parseReleaseOptions } from './release-options.ts';
import type { ReleaseSpec } from './release-spec.ts';
import { showCommand } from './remote.ts';
import { FAILED_IN_A_ROW } from './watch.ts';
import { accessLogSize, count5xx } from './watch-commands.ts';
import { SITE_CHECK_LINE } from './site-check.ts';

/** Facts only the server knows, shown as placeholders. */
const LIVE = '<live release>';

/**
 * The remote commands of a first-time deploy of the spec, in order, for one host, with `# …`
 * lines for the decisions taken on the server. Pure: what `werker plan` prints.
 */
export function plannedCommands(spec: ReleaseSpec): string[] {
  const c = new ReleaseCommands(spec);
  const port = spec.releasePorts[0] ?? 0;
  const out: string[] = [];
  const add = (...cs: (RemoteCommand | string)[]) => out.push(...cs.map((x) => (typeof x === 'string' ? `# ${x}` : `$ ${showCommand(x)}`)));
  add(c.prepareState(), c.lock(`deploy of ${spec.release} by <user@host>, run <run id>, since <time>`), '(held until the end; another deploy stops here, naming the holder)');
  if (spec.registry) add(c.login());
  add(c.pull(), c.readLive(), c.inspectRelease(LIVE), c.inspectNetwork(), '(if missing:)', c.createNetwork());
  for (const a of spec.accessories) {
    add(c.inspectAccessory(a), `(if ${a.container} is missing:)`, c.writeEnvFile(a.container, a.env), ...c.createVolumes(a), c.runAccessory(a), '(if stopped:)', c.start(a.container));
    if (a.wait) add(`(every 1s, up to ${a.wait.timeoutSec}s, until it passes:)`, c.accessoryReady(a));
  }
  add(`(new release port: the one of ${spec.releasePorts.join(', ') || '-'} the live release does not use; ${port} shown)`);
  add(c.inspectRelease(spec.release), '(if an old container has that name:)', c.removeContainer(spec.release));
  add(c.writeEnvFile(spec.release, spec.env), c.runRelease(port));
  const check = c.healthCheck(spec.release, port);
  add(c.containerState(spec.release), check ? `(every 1s, up to ${spec.health.timeoutSec}s, until it passes:)` : '(running for 2s)');
  if (check) add(check);
  add('(if it never passes: the new release is removed, the step fails, the live release keeps serving)', c.logs(spec.release), c.removeContainer(spec.release), c.removeReleaseFiles(spec.release));
  if (spec.static) add(...c.publishStatic(spec.release));
  if (spec.nginx) add(c.readSite(), c.writeSite(c.siteFor(spec.release, port)), c.nginxTest(), '(if the test fails, the old site file is put back)', c.nginxReload(), SITE_CHECK_LINE);
  add(...c.writePointer('previous', LIVE), ...c.writePointer('live', spec.release));
  for (const job of spec.cron) add(...c.writeCronScript(job));
  add(c.removeStaleCronScripts(), c.readCrontab(), c.writeCrontab(cronLines(spec.stateDir, spec.cron).join('\n')));
  for (const line of cronLines(spec.stateDir, spec.cron)) add(`crontab: ${line}`);
  if (spec.watch) add(...watchLines(spec));
  add(`(wait ${spec.drainSec}s${spec.watch ? ', less the watch window' : ''}: drain)`, ...spec.cron.map((j) => c.waitCronJob(j, Math.max(60, spec.stopTimeoutSec))), ...c.retire(LIVE));
  add(c.listReleases(), `(stopped releases beyond ${spec.keep} are removed:)`, ...c.removeRelease('<old release>'));
  add(c.audit('<time> deploy <release> from=<live> by=<user@host> run=<run id> <secs>s ok|failed: <reason>'), '(then the lock is let go)');
  return out;
}

/** The watch window's lines: what is checked each second, and what a failure does. */
function watchLines(spec: ReleaseSpec): (RemoteCommand | string)[] {
  const w = spec.watch!;
  const c = new ReleaseCommands(spec);
  const port = spec.releasePorts[0] ?? 0;
  const check = c.healthCheck(spec.release, port);
  const out: (RemoteCommand | string)[] = [
    `(watch ${w.seconds}s, ${LIVE} still running: every 1s the container's state and the health check; ${FAILED_IN_A_ROW} failed checks in a row fail it)`,
    c.containerState(spec.release),
  ];
  if (check) out.push(check);
  if (w.max5xxPercent !== undefined) {
    out.push(`(and the new release's answers through nginx, from ${w.accessLog}: more than ${w.max5xxPercent}% 5xx fails it)`, accessLogSize(w.accessLog!), count5xx(w.accessLog!, 0, `127.0.0.1:${port}`));
  }
  out.push(`(if it fails: nginx back to ${LIVE} (its health check first), the pointers back, ${spec.release} drained and stopped (kept); the step fails saying why)`);
  out.push('(Ctrl-C during the watch: the new release stays live, the old one is stopped; the audit line says so)');
  return out;
}

/**
 * For `werker plan`: each internal/release step of the plan with its hosts and remote commands.
 * Options are expanded with the pipeline's variables; what earlier steps export is not known
 * before the run (the step syncs the shell's env first), so such options show as empty.
 * Hidden values are masked, should one sit in an option that becomes an argument.
 */
export function releasePlanLines(plan: RunPlan): string[] {
  const env = new Map(plan.env.map((v) => [v.name, v.value]));
  const masker = new Masker(new PipelineEnv(plan.env).secrets());
  const lines: string[] = [];
  for (const step of [...plan.steps, ...plan.afterSteps]) {
    if (step.kind !== 'internal' || step.name !== 'release') continue;
    lines.push(`  ${step.displayName} (step ${step.index}): remote commands`);
    const parsed = parseReleaseOptions({ raw: step.properties, lookup: (n) => env.get(n), imageMap: plan.options.imageMap });
    if (!parsed.ok) {
      for (const e of locateOptionErrors(parsed.errors, plan.configFile, plan.pipeline, step)) lines.push(`    ✗ ${e}`);
      continue;
    }
    const s = parsed.spec;
    lines.push(`    hosts: ${s.hosts.map((h) => `${s.user}@${h.host}:${h.port}`).join(' ')} (${s.hosts.length > 1 ? 'in batches, below' : 'one'}; host keys checked against known-hosts)`);
    for (const l of rolloutPlanLines(s)) lines.push(`    ${l}`);
    lines.push(`    release: ${s.release} from ${s.image}:${s.tag}`);
    if (s.watch) lines.push(`    watch: ${s.watch.seconds}s after the switch; 5xx through nginx: ${s.watch.max5xxPercent === undefined ? 'not counted' : `at most ${s.watch.max5xxPercent}% (access log ${s.watch.accessLog})`}`);
    for (const a of s.accessories) if (a.mappedBy) lines.push(`    accessory ${a.name}: ${a.image}  (image map: ${a.mappedBy})`);
    for (const l of plannedCommands(s)) lines.push(`    ${l}`);
    for (const l of day2PlanLines(s)) lines.push(`    ${l}`);
  }
  return lines.map((l) => masker.mask(l));
}
