import type { ReleaseCommands } from './commands.ts';
import { describeFacts, factsCommand, listenersCommand, parseFacts, parseListeners, refusedHint } from './container-facts.ts';
import { describeProbe, parseProbe, probeCommand, probeHint, probePassed, probeRefused, type ProbeResult } from './probe.ts';
import { lastLines, type Remote } from './remote.ts';

/** One look at the release: passed or not, in a line, with the HTTP facts when the check is a probe. */
export interface CheckOutcome {
  passed: boolean;
  text: string;
  probe?: ProbeResult;
}

/** Failed checks a failure message shows (the last ones). */
const SHOWN = 3;

/**
 * The release's health check as one call: the HTTP probe of health-path on its host port (status,
 * Location, body head, latency, curl's error kept), the health-cmd in the container, or with
 * neither, that it keeps running. Remembers the failed outcomes for the failure message.
 */
export class HealthProbe {
  readonly failures: CheckOutcome[] = [];
  #polls = 0;

  constructor(readonly r: Remote, readonly c: ReleaseCommands, readonly name: string, readonly port: number) {}

  /** How the check is run, for the log. */
  describe(): string {
    const h = this.c.spec.health;
    if (h.path !== undefined) return `GET http://127.0.0.1:${this.port}${h.path}${h.forwardedProto ? ` with X-Forwarded-Proto: ${h.forwardedProto}` : ''}, 2xx passes`;
    if (h.cmd !== undefined) return `in the container: sh -c ${JSON.stringify(h.cmd)}, exit 0 passes`;
    return 'no health check: the container must keep running';
  }

  async check(): Promise<CheckOutcome> {
    const h = this.c.spec.health;
    let out: CheckOutcome;
    if (h.path !== undefined) {
      const probe = parseProbe(await this.r.try(probeCommand(this.port, h.path, h.forwardedProto), { quiet: true, timeoutMs: 30_000 }));
      out = { passed: probePassed(probe), text: `GET ${h.path}: ${describeProbe(probe)}`, probe };
    } else if (h.cmd !== undefined) {
      const res = await this.r.try(this.c.healthCheck(this.name, this.port)!, { quiet: true, timeoutMs: 30_000 });
      out = { passed: res.code === 0, text: `health-cmd exit ${res.code ?? res.signal ?? '?'}: ${lastLines(res, 1)}` };
    } else {
      out = { passed: this.#polls++ >= 2, text: 'starting' };
    }
    if (!out.passed) this.failures.push(out);
    if (this.failures.length > 10) this.failures.shift();
    return out;
  }

  /** The last failed checks, the container's state, what it listens on when the probe was refused, its last log lines; and a hint. */
  async explain(): Promise<{ details: string[]; hint?: string }> {
    const details = this.failures.slice(-SHOWN).map((f) => `  check: ${f.text}`);
    const facts = parseFacts(await this.r.read(factsCommand(this.c.spec.docker, this.name)));
    details.push(`  container ${this.name}: ${facts ? describeFacts(facts) : 'gone'}`);
    const probes = this.failures.flatMap((f) => (f.probe ? [f.probe] : []));
    let hint = probes.length ? probeHint(probes, { path: this.c.spec.health.path ?? '/', ...(this.c.spec.health.forwardedProto ? { forwardedProto: this.c.spec.health.forwardedProto } : {}) }) : undefined;
    const last = probes.at(-1);
    if (last && probeRefused(last) && this.c.spec.appPort !== undefined && facts?.status === 'running') {
      const out = await this.r.read(listenersCommand(this.c.spec.docker, this.name));
      hint = refusedHint(this.c.spec.appPort, out === undefined ? undefined : parseListeners(out));
    }
    if (facts?.oomKilled) hint = `${this.name} ran out of memory (OOM kill): give it more memory or make it use less`;
    const log = await this.r.try(this.c.logs(this.name), { quiet: true });
    const lines = `${log.stdout}\n${log.stderr}`.split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-5);
    if (lines.length) details.push('  last log lines:', ...lines.map((l) => `    ${l}`));
    return { details, ...(hint ? { hint } : {}) };
  }
}
