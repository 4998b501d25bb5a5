import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecResult, RemoteShell, RunningCommand } from '../runtime/ssh/connection.ts';
import { LOCK_BUSY, ReleaseCommands } from './commands.ts';
import { withCronBlock, cronLines } from './cron.ts';
import { HealthProbe, type CheckOutcome } from './health.ts';
import { watchAfterSwitch, type Switched } from './after-switch.ts';
import { applySite } from './nginx-apply.ts';
import { accessLogSize } from './watch-commands.ts';
import { ReleaseError, Remote, lastLines, showCommand } from './remote.ts';
import type { Accessory, Actor, ReleaseSpec } from './release-spec.ts';

/** What the release step prints through (masked by the caller) and how it is cancelled. */
export interface ReleaseIo {
  print(line: string): void;
  signal?: AbortSignal;
  /**
   * From now on a cancel must not cut the connection: the release ends on one whole release
   * (the watch window decides which), writes its audit line and lets the lock go itself.
   */
  holdConnection?(): void;
}

/** What holds the lock and heads the audit line; `maintenance` and `live` come from `werker release` (deploy/maintenance.ts). */
export type Action = 'deploy' | 'rollback' | 'maintenance' | 'live';

/** A release container as the server reports it. */
export interface ReleaseState {
  name: string;
  status: string;
  port: number | undefined;
}

/**
 * Deploys the spec's release to one host: lock → login/pull → accessories → new release beside
 * the old one → health gate → nginx switch → live pointer → cron → drain → stop the old one
 * (kept for rollback) → prune → audit line → unlock. Any failure before the switch leaves the
 * live release serving and removes the new one.
 */
export async function deployRelease(shell: RemoteShell, spec: ReleaseSpec, actor: Actor, io: ReleaseIo): Promise<void> {
  await withLock(shell, spec, actor, io, 'deploy', spec.release, async (r, c, audit) => {
    const live = await prepareHost(r, c, audit, io.signal);
    if (await alreadyLive(r, c, live, audit)) return;
    const { port, switchedAt, old, previous, logOffset } = await switchToNew(r, c, live, io.signal);
    if (spec.watch) {
      io.holdConnection?.();
      const moves = {
        switchBack: async (to: { name: string; port: number }, prev: string | undefined) => {
          await gateAndSwitch(r, c, to.name, to.port, undefined, async () => undefined);
          await setPointers(r, c, to.name, prev);
        },
        retire: (name: string, since = switchedAt) => retireOld(r, c, name, {}, since),
      };
      await watchAfterSwitch(r, c, { name: spec.release, port, old, previous, logOffset }, io.signal, moves, (result) => (audit.result = result));
    }
    // After a watch the connection is held: the old release is retired even if a cancel comes now.
    if (live) await retireOld(r, c, live.name, spec.watch ? {} : io, switchedAt);
    await prune(r, c, spec.release, live?.name ?? (await r.read(c.readPrevious())));
    audit.result = 'ok';
  });
}

/**
 * Returns one host to its previous release the same way: lock → start it → health gate → nginx
 * switch → pointers swapped (so a second rollback goes forward again) → drain → stop the one that
 * was live → audit → unlock.
 */
export async function rollbackRelease(shell: RemoteShell, spec: ReleaseSpec, actor: Actor, io: ReleaseIo): Promise<void> {
  await withLock(shell, spec, actor, io, 'rollback', '(previous)', async (r, c, audit) => {
    const live = await readLive(r, c);
    const prevName = await r.read(c.readPrevious());
    const prev = prevName ? await inspect(r, c, prevName) : undefined;
    if (!prev) throw new ReleaseError(`${r.host}: there is no previous release to return to${prevName ? ` (${prevName} is gone)` : ''}`);
    audit.release = prev.name;
    audit.from = live?.name;
    if (spec.appPort !== undefined && (prev.port === undefined || prev.port === live?.port)) {
      throw new ReleaseError(`${r.host}: ${prev.name} is bound to port ${prev.port ?? '?'}, which the live release uses`);
    }
    await r.runAll(c.revive(prev.name));
    await gateAndSwitch(r, c, prev.name, prev.port ?? 0, io.signal, async () => {
      io.print(`${prev.name} did not become healthy; stopping it again (${live?.name ?? 'nothing'} stays live)`);
      await r.try(c.logs(prev.name), { stream: true });
      for (const x of c.retire(prev.name)) await r.try(x);
    });
    await setPointers(r, c, prev.name, live?.name);
    if (live) await retireOld(r, c, live.name, io);
    audit.result = 'ok';
  });
}

/** Login, pull, the live release (into the audit line), the app's network and accessories: nothing that changes what is served. */
export async function prepareHost(r: Remote, c: ReleaseCommands, audit: Audit, signal: AbortSignal | undefined): Promise<ReleaseState | undefined> {
  if (c.spec.registry) await r.run(c.login());
  await r.run(c.pull(), { stream: true, timeoutMs: 30 * 60_000 });
  const live = await readLive(r, c);
  audit.from = live?.name;
  await ensureNetwork(r, c);
  await ensureAccessories(r, c, signal);
  return live;
}

/** True (and the audit result set) when the release to deploy is already the running live one. */
export async function alreadyLive(r: Remote, c: ReleaseCommands, live: ReleaseState | undefined, audit: Audit): Promise<boolean> {
  if (live?.name !== c.spec.release || live.status !== 'running') return false;
  r.say(`${c.spec.release} is already the live release on ${r.host}; nothing to swap (its settings are those it was started with)`);
  await installCron(r, c);
  audit.result = 'ok (already live)';
  return true;
}

/** Where nginx (or the balancer) sends the app's traffic: to `name` on `port`. */
export type Route = (name: string, port: number) => Promise<void>;

/** A host that switched to the new release; the old one (if any) still runs. */
export interface SwitchedHost extends Switched {
  switchedAt: number;
}

/**
 * The new release beside the live one, its health gate, then the switch (`route`, nginx by
 * default), the pointers and cron. A failure before the switch removes the new release; the
 * live one keeps serving. `publishOn`: the host's address, with balance.
 */
export async function switchToNew(r: Remote, c: ReleaseCommands, live: ReleaseState | undefined, signal: AbortSignal | undefined, route?: Route, publishOn?: string): Promise<SwitchedHost> {
  const spec = c.spec;
  const port = freePort(spec, live);
  await startRelease(r, c, port, publishOn);
  const previous = await r.read(c.readPrevious());
  const logOffset = spec.watch?.accessLog ? Number(await r.read(accessLogSize(spec.watch.accessLog))) || 0 : 0;
  await gateAndSwitch(r, c, spec.release, port, signal, async () => {
    r.say(`${spec.release} did not become live; removing it (${live ? `${live.name} keeps serving` : 'nothing was live'})`);
    await r.try(c.logs(spec.release), { stream: true });
    await r.try(c.removeContainer(spec.release));
    await r.try(c.removeReleaseFiles(spec.release));
  }, route);
  const switchedAt = Date.now();
  await setPointers(r, c, spec.release, live?.name);
  await installCron(r, c);
  const old = live?.status === 'running' ? { name: live.name, port: live.port ?? 0 } : undefined;
  return { name: spec.release, port, old, previous, logOffset, switchedAt };
}

/**
 * Back to the release that served before (still running): its health gate, the switch, the
 * pointers as they were; then the new one is drained and stopped (kept for a look).
 */
export async function switchBack(r: Remote, c: ReleaseCommands, s: SwitchedHost, route?: Route): Promise<void> {
  const old = s.old!;
  await gateAndSwitch(r, c, old.name, old.port, undefined, async () => undefined, route);
  await setPointers(r, c, old.name, s.previous);
  await retireOld(r, c, s.name, {}, Date.now());
}

/** After the rollout: the old release drained (from the switch) and stopped, old ones pruned. */
export async function finishHost(r: Remote, c: ReleaseCommands, s: SwitchedHost): Promise<void> {
  if (s.old) await retireOld(r, c, s.old.name, {}, s.switchedAt);
  await prune(r, c, s.name, s.old?.name ?? (await r.read(c.readPrevious())));
}

/** The audit line's facts, filled in as the release goes. */
export interface Audit {
  release: string;
  from: string | undefined;
  result: string;
}

/** Takes the host's deploy lock, runs `body`, appends the audit line, and lets the lock go whatever happened. */
export async function withLock(
  shell: RemoteShell, spec: ReleaseSpec, actor: Actor, io: ReleaseIo, action: Action, release: string,
  body: (r: Remote, c: ReleaseCommands, audit: Audit) => Promise<void>,
): Promise<void> {
  const h = await lockHost(shell, spec, actor, io, action, release);
  try {
    await body(h.r, h.c, h.audit);
  } catch (err) {
    // A result the body set before it threw (a watch that switched back, a cancelled watch) stays.
    if (h.audit.result === 'failed') h.audit.result = failedResult(err);
    throw err;
  } finally {
    await unlockHost(h);
  }
}

export const failedResult = (err: unknown): string => `failed: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 300)}`;

/** A host whose deploy lock is held, with the audit line its unlock writes. */
export interface LockedHost {
  r: Remote;
  c: ReleaseCommands;
  audit: Audit;
  lock: RunningCommand;
  started: number;
  line(a: Audit, secs: string): string;
}

/** Takes the host's deploy lock (or fails naming its holder, the refusal in the host's audit log). */
export async function lockHost(shell: RemoteShell, spec: ReleaseSpec, actor: Actor, io: ReleaseIo, action: Action, release: string): Promise<LockedHost> {
  const r = new Remote(shell, io.print);
  const c = new ReleaseCommands(spec);
  await r.run(c.prepareState());
  const started = new Date();
  const holder = `${action} of ${release === '(previous)' ? 'the previous release' : release} by ${actor.who}, run ${actor.runId}, since ${started.toISOString()}`;
  const line = (a: Audit, secs: string) => `${new Date().toISOString()} ${action} ${a.release} from=${a.from ?? '-'} by=${actor.who} run=${actor.runId} ${secs}s ${a.result}`;
  const lock = await takeLock(r, c, holder, (who) => line({ release, from: undefined, result: `refused: the lock is held by ${who}` }, '0.0'));
  return { r, c, lock, line, started: started.getTime(), audit: { release, from: undefined, result: 'failed' } };
}

/** Appends the audit line and lets the lock go, whatever happened; says whether the line was written. */
export async function unlockHost(h: LockedHost): Promise<boolean> {
  const secs = ((Date.now() - h.started) / 1000).toFixed(1);
  const res = await h.r.try(h.c.audit(h.line(h.audit, secs)), { quiet: true }).catch(() => undefined);
  await h.lock.end().catch(() => undefined);
  h.r.say(`released the deploy lock on ${h.r.host}`);
  return res?.code === 0;
}

/** Takes the lock or fails naming its holder (and notes the refusal in the audit log). */
async function takeLock(r: Remote, c: ReleaseCommands, holder: string, refusedLine: (who: string) => string): Promise<RunningCommand> {
  const cmd = c.lock(holder);
  r.say(`$ ${showCommand(cmd)}`);
  const running = await r.shell.start(cmd.argv);
  if ((await running.firstLine) === 'locked') {
    r.say(`took the deploy lock on ${r.host}`);
    return running;
  }
  const res = await running.done;
  if (res.code === LOCK_BUSY) {
    const who = (await r.read(c.lockHolder())) || 'unknown (no holder line)';
    await r.try(c.audit(refusedLine(who)), { quiet: true });
    throw new ReleaseError(`${r.host}: another deploy holds the lock: ${who}`, `wait for it to finish; the lock goes when that deploy ends or its connection drops (${c.paths.lock})`);
  }
  throw new ReleaseError(`${r.host}: could not take the deploy lock: ${lastLines(res)}`, 'is flock (util-linux) installed on the server?');
}

async function inspect(r: Remote, c: ReleaseCommands, name: string): Promise<ReleaseState | undefined> {
  const out = await r.read(c.inspectRelease(name));
  if (out === undefined) return undefined;
  const [status = '', port = ''] = out.split(/\s+/);
  return { name, status, port: /^\d+$/.test(port) ? Number(port) : undefined };
}

async function readLive(r: Remote, c: ReleaseCommands): Promise<ReleaseState | undefined> {
  const name = await r.read(c.readLive());
  const live = name ? await inspect(r, c, name) : undefined;
  r.say(live ? `live release on ${r.host}: ${live.name} (${live.status}${live.port ? `, port ${live.port}` : ''})` : `no live release on ${r.host} yet`);
  return live;
}

/** The release port the live release does not hold. */
function freePort(spec: ReleaseSpec, live: ReleaseState | undefined): number {
  if (spec.appPort === undefined) return 0;
  return spec.releasePorts.find((p) => p !== live?.port) ?? spec.releasePorts[0]!;
}

async function ensureNetwork(r: Remote, c: ReleaseCommands): Promise<void> {
  if ((await r.read(c.inspectNetwork())) === undefined) await r.run(c.createNetwork());
}

/**
 * Accessories are created when missing and started when stopped; never recreated (their data
 * stays). One with a `wait` command is ready before the release starts.
 */
async function ensureAccessories(r: Remote, c: ReleaseCommands, signal: AbortSignal | undefined): Promise<void> {
  for (const a of c.spec.accessories) {
    const state = await r.read(c.inspectAccessory(a));
    if (state === undefined) {
      r.say(`accessory ${a.name}: creating ${a.container}`);
      await r.run(c.writeEnvFile(a.container, a.env));
      await r.runAll(c.createVolumes(a));
      await r.run(c.runAccessory(a), { stream: true, timeoutMs: 30 * 60_000 });
    } else {
      const [status, hash] = state.split(/\s+/);
      if (hash !== a.hash) r.say(`accessory ${a.name}: its settings changed since ${a.container} was created; werker never recreates an accessory (its data); remove the container yourself (volumes stay) to apply them`);
      if (status === 'running') r.say(`accessory ${a.name}: ${a.container} is running`);
      else await r.run(c.start(a.container));
    }
    if (a.wait) await waitAccessory(r, c, a, signal);
  }
}

/** Polls the accessory's `wait` command each second until it passes or its timeout. */
async function waitAccessory(r: Remote, c: ReleaseCommands, a: Accessory, signal: AbortSignal | undefined): Promise<void> {
  const check = c.accessoryReady(a);
  const { timeoutSec, cmd } = a.wait!;
  const res = await pollEachSecond(timeoutSec, signal, () => r.try(check, { quiet: true, timeoutMs: 30_000 }));
  if (res.passed) {
    r.say(`accessory ${a.name}: ready after ${res.secs}s (${cmd})`);
    return;
  }
  await r.try(c.logs(a.container), { stream: true });
  throw new ReleaseError(`${r.host}: accessory ${a.name} was not ready within ${timeoutSec}s (last check: ${lastLines(res.last, 1)})`,
    `see its log above; nothing of the app was touched. Check the accessory's image and env, or raise its wait-timeout`);
}

/**
 * Runs `check` each second until it exits 0 or `timeoutSec` has passed; says which, with the last
 * result. A cancelled release stops waiting at once (the wait rejects with the abort).
 */
async function pollEachSecond(timeoutSec: number, signal: AbortSignal | undefined, check: () => Promise<ExecResult>): Promise<{ passed: boolean; last: ExecResult; secs: string }> {
  const started = Date.now();
  for (;;) {
    const last = await check();
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (last.code === 0) return { passed: true, last, secs };
    if (Date.now() - started > timeoutSec * 1000) return { passed: false, last, secs };
    await sleep(1000, undefined, signal ? { signal } : {});
  }
}

/** Removes a leftover container of the same name (a failed attempt, or an old copy), then starts the release. */
async function startRelease(r: Remote, c: ReleaseCommands, port: number, publishOn?: string): Promise<void> {
  const name = c.spec.release;
  if (await inspect(r, c, name)) {
    r.say(`removing an earlier container named ${name} (not live)`);
    await r.run(c.removeContainer(name));
  }
  await r.run(c.writeEnvFile(name, c.spec.env));
  await r.run(c.runRelease(port, publishOn));
}

/** Health gate, static files, then the nginx switch; on any failure `undo` runs and the error goes on. */
async function gateAndSwitch(r: Remote, c: ReleaseCommands, name: string, port: number, signal: AbortSignal | undefined, undo: () => Promise<void>, route?: Route): Promise<void> {
  try {
    await waitHealthy(r, c, name, port, signal);
    if (c.spec.static) await r.runAll(c.publishStatic(name));
    if (c.spec.nginx) await (route ?? ((n, p) => switchNginx(r, c, n, p)))(name, port);
  } catch (err) {
    await undo().catch(() => undefined);
    throw err;
  }
}

/**
 * Polls the health check each second until it passes, the container stops, or the timeout. A
 * failure says what the last checks saw, the container's state and last log lines, and a hint.
 */
async function waitHealthy(r: Remote, c: ReleaseCommands, name: string, port: number, signal: AbortSignal | undefined): Promise<void> {
  const probe = new HealthProbe(r, c, name, port);
  const timeout = c.spec.health.timeoutSec;
  r.say(`health check, every 1s for up to ${timeout}s: ${probe.describe()}`);
  let last: CheckOutcome | undefined;
  const res = await pollEachSecond(timeout, signal, async () => {
    const state = await r.read(c.containerState(name));
    if (!state?.startsWith('running')) throw await unhealthy(probe, `${r.host}: ${name} stopped (${state ?? 'gone'}) before it was healthy`);
    last = await probe.check();
    return { code: last.passed ? 0 : 1, stdout: '', stderr: last.text };
  });
  if (res.passed) {
    r.say(`${name} is healthy after ${res.secs}s`);
    return;
  }
  throw await unhealthy(probe, `${r.host}: ${name} was not healthy within ${timeout}s (last check: ${last?.text ?? '-'})`);
}

/** The failure with what the probes saw and the container's side of it (deploy/health.ts). */
async function unhealthy(probe: HealthProbe, message: string): Promise<ReleaseError> {
  const { details, hint } = await probe.explain().catch((err: Error) => ({ details: [`  (could not look closer: ${err.message})`], hint: undefined }));
  return new ReleaseError([message, ...details].join('\n'), hint ?? 'see its log above; the live release was not touched');
}

/** Puts the release's site in effect (nginx-apply.ts): nginx serves the release when this returns. */
async function switchNginx(r: Remote, c: ReleaseCommands, name: string, port: number): Promise<void> {
  await applySite(r, c, c.siteFor(name, port), { what: 'the new site' });
  r.say(`nginx now sends ${c.spec.nginx!.serverNames.join(' ')} to ${name} (127.0.0.1:${port})`);
}

async function setPointers(r: Remote, c: ReleaseCommands, live: string, previous: string | undefined): Promise<void> {
  if (previous && previous !== live) await r.runAll(c.writePointer('previous', previous));
  await r.runAll(c.writePointer('live', live));
}

/** Writes the runner scripts and this app's crontab block; drops scripts of jobs no longer declared. */
async function installCron(r: Remote, c: ReleaseCommands): Promise<void> {
  for (const job of c.spec.cron) await r.runAll(c.writeCronScript(job));
  await r.run(c.removeStaleCronScripts());
  const current = await r.try(c.readCrontab(), { quiet: true });
  // `crontab -l` exits 1 with "no crontab for USER" when there is none: that is an empty one.
  const text = current.code === 0 ? current.stdout : '';
  const next = withCronBlock(text, c.spec.prefix, cronLines(c.spec.stateDir, c.spec.cron));
  if (next !== text) await r.run(c.writeCrontab(next));
}

/**
 * Drain (what is left of it since the switch: a watch window may have covered it), let a cron
 * run in the old release finish, then stop it (kept, without restart policy, for rollback).
 */
async function retireOld(r: Remote, c: ReleaseCommands, old: string, io: { signal?: AbortSignal }, switchedAt = Date.now()): Promise<void> {
  const drainMs = c.spec.drainSec * 1000 - (Date.now() - switchedAt);
  if (drainMs > 0) {
    r.say(`draining ${old} for ${(drainMs / 1000).toFixed(1)}s (requests nginx's old workers still hold finish there)`);
    await sleep(drainMs, undefined, io.signal ? { signal: io.signal } : {});
  }
  for (const job of c.spec.cron) await r.run(c.waitCronJob(job, Math.max(60, c.spec.stopTimeoutSec)));
  await r.runAll(c.retire(old));
}

/** Removes stopped releases beyond `keep-releases` (the previous one always kept, then the newest), with their env and static files. */
async function prune(r: Remote, c: ReleaseCommands, live: string, previous: string | undefined): Promise<void> {
  const names = ((await r.read(c.listReleases())) ?? '').split('\n').filter(Boolean);
  const old = names.filter((n) => n !== live && n !== previous);
  for (const name of old.slice(Math.max(0, c.spec.keep - (previous ? 1 : 0)))) await r.runAll(c.removeRelease(name));
}
