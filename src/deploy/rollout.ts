import { CancelledError, SshError } from '../errors.ts';
import type { RemoteShell } from '../runtime/ssh/connection.ts';
import { Balancer, hostLabel } from './balancer.ts';
import { describeBatch, splitBatches } from './batches.ts';
import { connectHost } from './day2-hosts.ts';
import { ReleaseError } from './remote.ts';
import {
  alreadyLive, failedResult, finishHost, lockHost, prepareHost, switchBack, switchToNew, unlockHost,
  type LockedHost, type ReleaseIo, type ReleaseState, type Route, type SwitchedHost,
} from './release.ts';
import type { Actor, ReleaseSpec, SshHost } from './release-spec.ts';
import { watchRelease } from './watch.ts';

/** How a host is reached (deploy/day2-hosts.ts connectHost; a stand-in in the unit tests). */
export type Connect = (spec: ReleaseSpec, host: SshHost, signal?: AbortSignal) => Promise<RemoteShell & { close(): void }>;

/** Where one host stands, for the closing message (README "Several servers"). */
type Serving = 'untouched' | 'old' | 'new' | 'none' | 'unknown';

/** One host of the rollout. */
interface HostRun {
  host: SshHost;
  label: string;
  conn?: RemoteShell & { close(): void };
  locked?: LockedHost;
  live?: ReleaseState | undefined;
  switched?: SwitchedHost;
  serving: Serving;
  /** What happened to it, in a few words, for the closing message. */
  note: string;
  /** Its SSH connection dropped: nothing more can be done there. */
  lost?: string;
  lockNote?: string;
  auditWritten?: boolean;
}

/**
 * Several hosts (README "Several servers"): every host's lock is taken first (a lock held
 * elsewhere stops the rollout before anything changed), the image pulled everywhere, then the
 * hosts switch in batches (`batch`), each batch's hosts together; the next batch starts when the
 * whole batch is live and has passed its watch. The old releases keep running until the end, so
 * the first failed batch (or a cancel) switches every host that moved back to them: every host
 * ends on one release. Each host gets its audit line and its lock back whatever happened, and
 * the message says per host what it serves.
 */
export async function rollout(spec: ReleaseSpec, actor: Actor, io: ReleaseIo, connect: Connect = connectHost): Promise<void> {
  const runs: HostRun[] = spec.hosts.map((host) => ({ host, label: hostLabel(host), serving: 'unknown', note: '' }));
  const batches = splitBatches(runs, spec.batch);
  io.print(`deploying ${spec.release} to ${runs.length} hosts, ${describeBatch(spec.batch, runs.length)}${spec.balance ? `; nginx on ${spec.balance.front ? hostLabel(spec.balance.front) : 'every host'} balances across them` : ''}`);
  let failure: unknown;
  let balancer: Balancer | undefined;
  // Until the first switch a cancel may cut the connections (their locks go with them, nothing
  // changed); from then on they are held so every host can be brought back to one release.
  let holding = false;
  const onAbort = () => holding || runs.forEach((h) => h.conn?.close());
  io.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await lockAll(runs, spec, actor, io, connect);
    await prepareAll(runs, io.signal);
    if (io.signal?.aborted) throw new CancelledError('cancelled before any host switched');
    holding = true;
    balancer = makeBalancer(spec, runs);
    for (const [i, batch] of batches.entries()) {
      if (io.signal?.aborted) throw new CancelledError(`cancelled before batch ${i + 1} of ${batches.length}`);
      io.print(`batch ${i + 1} of ${batches.length}: ${batch.map((h) => h.label).join(' ')}`);
      await runBatch(spec, batch, balancer, io.signal);
    }
    await Promise.all(runs.map(async (h) => {
      if (h.switched) await finishHost(h.locked!.r, h.locked!.c, h.switched);
      h.locked!.audit.result = h.locked!.audit.result === 'failed' ? 'ok' : h.locked!.audit.result;
    }));
  } catch (err) {
    failure = err;
    await unwind(runs, balancer, err);
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    await releaseAll(runs);
  }
  const report = runs.map(describeHost);
  if (failure === undefined) {
    io.print(`${spec.release} is live on every host:`);
    for (const l of report) io.print(l);
    return;
  }
  throw closingError(io.signal?.aborted ? new CancelledError(`cancelled: ${(failure as Error).message}`) : failure, report);
}

/** Connects and locks each host in order; a refusal lets go of the ones already locked, untouched. */
async function lockAll(runs: HostRun[], spec: ReleaseSpec, actor: Actor, io: ReleaseIo, connect: Connect): Promise<void> {
  for (const h of runs) {
    h.conn = await connect(spec, h.host, io.signal).catch((err: Error) => {
      throw new ReleaseError(`${h.label}: could not connect: ${err.message}`, 'nothing was changed on any host; check the host and its known-hosts line');
    });
    const print = (line: string) => io.print(`[${h.label}] ${line}`);
    h.locked = await lockHost(h.conn, spec, actor, { ...io, print }, 'deploy', spec.release).catch((err: Error) => {
      for (const o of runs) if (o.locked) o.locked.audit.result = `not started: ${h.label}: ${err.message.replace(/^\S+: /, '')}`;
      throw err;
    });
    h.serving = 'untouched';
  }
}

/** Login, pull, accessories on every host at once: a registry that fails the pull stops the rollout before any switch. */
async function prepareAll(runs: HostRun[], signal: AbortSignal | undefined): Promise<void> {
  const results = await Promise.allSettled(runs.map(async (h) => {
    h.live = await prepareHost(h.locked!.r, h.locked!.c, h.locked!.audit, signal);
    h.serving = h.live?.status === 'running' ? 'old' : 'none';
  }));
  results.forEach((r, i) => r.status === 'rejected' && (runs[i]!.locked!.audit.result = failedResult(r.reason)));
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) {
    for (const h of runs) if (h.locked!.audit.result === 'failed' && results[runs.indexOf(h)]!.status === 'fulfilled') h.locked!.audit.result = `not started: preparing ${runs[failed]!.label} failed`;
    throw (results[failed] as PromiseRejectedResult).reason;
  }
}

function makeBalancer(spec: ReleaseSpec, runs: HostRun[]): Balancer | undefined {
  if (!spec.balance) return undefined;
  const fronts = runs.filter((h) => !spec.balance!.front || hostLabel(spec.balance!.front) === h.label).map((h) => h.locked!);
  const b = new Balancer(spec, fronts);
  for (const h of runs) if (h.live?.status === 'running' && h.live.port) b.set(h.host, h.live.name, h.live.port);
  return b;
}

/**
 * One batch: out of the balancer, every host's switch at once, back in with what each now
 * serves, then the watch of all of them. Throws the first failure (after every host of the
 * batch settled, so each one's state is known).
 */
async function runBatch(spec: ReleaseSpec, batch: HostRun[], balancer: Balancer | undefined, signal: AbortSignal | undefined): Promise<void> {
  const out = balancer?.takeOut(batch.map((h) => h.host)) ?? [];
  if (out.length) await balancer!.write(`${batch.map((h) => h.label).join(' ')} out while switching`);
  const routes = new Map<HostRun, { name: string; port: number }>();
  const switched = await Promise.allSettled(batch.map(async (h) => {
    const { r, c, audit } = h.locked!;
    if (await alreadyLive(r, c, h.live, audit)) return void (h.note = 'it was already live');
    const route: Route | undefined = balancer ? async (name, port) => void routes.set(h, { name, port }) : undefined;
    h.switched = await switchToNew(r, c, h.live, signal, route, balancer ? h.host.host : undefined);
    h.serving = 'new';
  }));
  if (balancer) {
    for (const h of batch) {
      const to = (h.serving === 'new' ? routes.get(h) : undefined) ?? (h.live?.status === 'running' && h.live.port ? { name: h.live.name, port: h.live.port } : undefined);
      if (to) balancer.set(h.host, to.name, to.port);
    }
    await balancer.write(`${batch.map((h) => h.label).join(' ')} in again`);
  }
  await noteFailures(batch, switched);
  if (spec.watch) {
    const watched = await Promise.allSettled(batch.map(async (h) => {
      if (!h.switched) return;
      const res = await watchRelease(h.locked!.r, h.locked!.c, h.switched.name, h.switched.port, h.switched.logOffset, signal);
      if (res.outcome === 'cancelled') throw new CancelledError(`the watch of ${h.switched.name} on ${h.label} was cancelled after ${res.secs}s`);
      if (res.outcome === 'failed') throw new ReleaseError([`${h.label}: ${h.switched.name} failed its watch after ${res.secs}s: ${res.reason}`, ...res.details].join('\n'), res.hint);
    }));
    await noteFailures(batch, watched);
  }
}

/**
 * Marks each host whose step failed (its own failure goes in its audit line), finds out whether
 * its SSH connection is still there, and throws the first failure.
 */
async function noteFailures(batch: HostRun[], results: PromiseSettledResult<void>[]): Promise<void> {
  let first: unknown;
  for (const [i, res] of results.entries()) {
    if (res.status === 'fulfilled') continue;
    const h = batch[i]!;
    let err = res.reason as Error;
    h.locked!.audit.result = failedResult(err);
    if (err instanceof SshError || !(await reachable(h))) {
      h.lost = err.message;
      err = new ReleaseError(`${h.label}: lost SSH during the switch (${err.message})`, 'check the host (sshd, network), then deploy again');
    }
    first ??= err;
  }
  if (first !== undefined) throw first;
}

/** Whether the host still answers over its connection (a dropped one fails at once). */
async function reachable(h: HostRun): Promise<boolean> {
  const res = await h.locked!.r.try({ argv: ['true'] }, { quiet: true, timeoutMs: 10_000 }).catch(() => undefined);
  return res?.code === 0;
}

/**
 * After a failure: every host that serves the new release goes back to the old one (still
 * running), in parallel, the balancer with them. A host whose SSH dropped is served its old
 * release through the balancer where there is one (its own files could not be reset).
 */
async function unwind(runs: HostRun[], balancer: Balancer | undefined, why: unknown): Promise<void> {
  const cause = (why as Error).message?.split('\n')[0] ?? String(why);
  const moved = runs.filter((h) => h.serving === 'new' && h.switched?.old);
  await Promise.allSettled(moved.map(async (h) => {
    const { r, c, audit } = h.locked!;
    const route: Route | undefined = balancer ? async (name, port) => balancer.set(h.host, name, port) : undefined;
    try {
      if (h.lost) throw new Error(h.lost);
      await switchBack(r, c, h.switched!, route);
      h.serving = 'old';
      h.note = `switched back from ${h.switched!.name}`;
      const back = `switched back to ${h.switched!.old!.name}`;
      audit.result = audit.result.startsWith('failed:') ? `${audit.result}; ${back}` : `failed: the rollout stopped (${cause.slice(0, 200)}); ${back}`;
    } catch (err) {
      if (!h.lost && !(await reachable(h))) h.lost = (err as Error).message;
      if (balancer && h.lost) {
        balancer.set(h.host, h.switched!.old!.name, h.switched!.old!.port);
        h.serving = 'old';
        h.note = 'its old release is served through the balancer; its live pointer could not be reset';
      } else h.note = `switching back failed: ${(err as Error).message.split('\n')[0]}`;
    }
  }));
  for (const h of runs) {
    // SSH lost before its switch: the old release was never touched, so the balancer may send it traffic again.
    if (balancer && h.lost && h.serving === 'old' && h.live?.status === 'running' && h.live.port && !balancer.has(h.host)) balancer.set(h.host, h.live.name, h.live.port);
    if (h.locked && h.locked.audit.result === 'failed' && h.serving !== 'new') h.locked.audit.result = `not started: the rollout stopped (${cause.slice(0, 200)})`;
  }
  if (balancer) await balancer.write('after the rollout stopped').catch((err: Error) => {
    for (const h of runs) h.note += `${h.note ? '; ' : ''}the balanced site could not be written: ${err.message}`;
  });
}

/** Each host's audit line and lock, whatever happened; a dropped connection took its lock with it. */
async function releaseAll(runs: HostRun[]): Promise<void> {
  await Promise.all(runs.map(async (h) => {
    if (h.locked) {
      h.auditWritten = await unlockHost(h.locked);
      h.lockNote = h.lost ? 'lock went with the dropped connection' : 'lock released';
    }
    h.conn?.close();
  }));
}

/** `  10.0.0.5:22: old release app_v1 live; lock released; audit line written`. */
function describeHost(h: HostRun): string {
  const release = h.serving === 'new' ? h.switched?.name : h.serving === 'old' ? (h.switched?.old?.name ?? h.live?.name) : undefined;
  const what = !h.locked ? 'not locked, not changed'
    : h.serving === 'untouched' ? 'not changed (what it served before still serves)'
    : h.serving === 'none' ? 'no release live (none was before)'
    : h.serving === 'unknown' ? 'state unknown'
    : `${h.serving} release ${release ?? '?'} live`;
  const parts = [what, ...(h.note ? [h.note] : []), ...(h.lost ? [`SSH lost: ${h.lost}`] : [])];
  if (h.locked) parts.push(h.lockNote ?? 'lock released', h.auditWritten ? 'audit line written' : 'no audit line (the host could not be reached)');
  return `  ${h.label}: ${parts.join('; ')}`;
}

function closingError(failure: unknown, report: string[]): Error {
  const err = failure as Error;
  const text = [err.message, 'hosts now:', ...report].join('\n');
  if (err instanceof CancelledError) return new CancelledError(text);
  const hint = (err as { hint?: string }).hint;
  return new ReleaseError(text, hint ?? 'fix the cause above and deploy again; every host serves the release listed');
}
