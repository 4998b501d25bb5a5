import type { RemoteShell } from '../runtime/ssh/connection.ts';
import { ReleaseCommands } from './commands.ts';
import { Day2Commands } from './day2-commands.ts';
import { maintenanceOf } from './maintenance-site.ts';
import { Remote } from './remote.ts';
import type { ReleaseSpec } from './release-spec.ts';

/** A container as `docker inspect` reports it ("missing" when there is none of that name). */
export interface ContainerFacts {
  name: string;
  status: string;
  port?: number;
  startedAt?: string;
  image?: string;
}

/** One recorded run of a cron job (deploy/cron-runner.ts writes it on the host). */
export interface CronRun {
  job: string;
  release: string;
  start: string;
  end: string;
  exitCode: number;
  output: string;
  /** How the failure report went: `HTTP 200`, curl's error, or `-` (none sent). */
  notified: string;
}

export interface CronStatus {
  job: string;
  schedule: string;
  command: string;
  /** Oldest first, at most `cron-history`. */
  runs: CronRun[];
}

/** What `werker release status` shows for one host. */
export interface HostStatus {
  host: string;
  live?: ContainerFacts;
  previous?: ContainerFacts;
  maintenance: { on: boolean; since?: string };
  accessories: (ContainerFacts & { accessory: string })[];
  cron: CronStatus[];
  lastAudit: string[];
}

/** Reads the host's state; changes nothing, takes no lock. */
export async function readHostStatus(shell: RemoteShell, spec: ReleaseSpec): Promise<HostStatus> {
  const r = new Remote(shell, () => undefined);
  const c = new ReleaseCommands(spec);
  const d = new Day2Commands(spec);
  const facts = async (name: string | undefined) => (name ? describe(await r.read(d.describeRelease(name)), name) : undefined);
  const status: HostStatus = {
    host: shell.host,
    live: await facts(await r.read(c.readLive())),
    previous: await facts(await r.read(c.readPrevious())),
    maintenance: spec.nginx ? maintenanceOf(await r.read(c.readSite())) : { on: false },
    accessories: [],
    cron: [],
    lastAudit: ((await r.read(d.lastAuditLines(5))) ?? '').split('\n').filter(Boolean),
  };
  for (const a of spec.accessories) {
    const out = await r.read(d.describeAccessory(a.container));
    const [state = 'missing', startedAt, image] = out?.split(' ') ?? [];
    status.accessories.push({ accessory: a.name, name: a.container, status: state, ...(startedAt ? { startedAt } : {}), ...(image ? { image } : {}) });
  }
  for (const job of spec.cron) {
    const runs = parseRuns((await r.read(d.cronHistory(job))) ?? '');
    status.cron.push({ job: job.name, schedule: job.schedule, command: job.command.join(' '), runs });
  }
  return status;
}

function describe(out: string | undefined, name: string): ContainerFacts {
  if (out === undefined) return { name, status: 'missing' };
  const [status = '?', port = '', startedAt = '', image = ''] = out.split(' ');
  return { name, status, ...(/^\d+$/.test(port) ? { port: Number(port) } : {}), ...(startedAt ? { startedAt } : {}), ...(image ? { image } : {}) };
}

/** History lines that are whole JSON records (a line cut by a full disk is skipped). */
export function parseRuns(text: string): CronRun[] {
  return text.split('\n').flatMap((line) => {
    try {
      const run = JSON.parse(line) as CronRun;
      return typeof run.exitCode === 'number' ? [run] : [];
    } catch {
      return [];
    }
  });
}

/** The text form: one block per host. */
export function formatHostStatus(s: HostStatus, user: string): string[] {
  const container = (c: ContainerFacts | undefined) => (c ? `${c.name}  ${c.status}${c.port ? `  127.0.0.1:${c.port}` : ''}${c.startedAt && c.status === 'running' ? `  since ${c.startedAt.replace(/\.\d+Z$/, 'Z')}` : ''}` : '(none)');
  const lines = [`${user}@${s.host}`, `  live        ${container(s.live)}`, `  previous    ${container(s.previous)}`];
  lines.push(`  maintenance ${s.maintenance.on ? `on since ${s.maintenance.since} (werker release live ends it)` : 'off'}`);
  for (const a of s.accessories) lines.push(`  accessory   ${a.accessory}: ${a.name}  ${a.status}${a.image ? `  ${a.image}` : ''}`);
  for (const j of s.cron) {
    const last = j.runs.at(-1);
    const failed = j.runs.filter((r) => r.exitCode !== 0).length;
    lines.push(`  cron        ${j.schedule}  ${j.command}  (${j.job})`);
    lines.push(last ? `              last run ${last.start} → ${last.end} in ${last.release}: ${last.exitCode === 0 ? 'ok' : `FAILED, exit ${last.exitCode}`}; ${failed} of the last ${j.runs.length} runs failed` : '              no run recorded yet');
    if (last && last.exitCode !== 0) {
      for (const l of last.output.split('\n').slice(-3)) lines.push(`                | ${l}`);
      if (last.notified !== '-') lines.push(`              reported to the webhook: ${last.notified.split('\n').join(' / ')}`);
    }
  }
  for (const l of s.lastAudit) lines.push(`  audit       ${l}`);
  return lines;
}
