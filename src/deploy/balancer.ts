import { balancedSiteText, type UpstreamServer } from './nginx-site.ts';
import { ReleaseError, lastLines } from './remote.ts';
import type { LockedHost } from './release.ts';
import type { ReleaseSpec, SshHost } from './release-spec.ts';

export const hostLabel = (h: SshHost): string => `${h.host}:${h.port}`;

/**
 * `balance` (README "Several servers"): the nginx site of the front host (or of every host)
 * holds an upstream with each host's live release at the host's address. A host is taken out
 * (nginx reloaded) before its batch switches and put back with its new release after, so no
 * request reaches a host mid-switch; nginx's reload is graceful, requests already on the old
 * release finish there (it runs until the rollout ends).
 */
export class Balancer {
  readonly #members = new Map<string, UpstreamServer>();

  constructor(private readonly spec: ReleaseSpec, private readonly fronts: LockedHost[]) {}

  /** Puts a host's release in the upstream (or moves it to another release and port). */
  set(host: SshHost, release: string, port: number): void {
    this.#members.set(hostLabel(host), { host: hostLabel(host), release, address: host.host, port });
  }

  has(host: SshHost): boolean {
    return this.#members.has(hostLabel(host));
  }

  /**
   * Takes the hosts out, unless that would leave no host serving (a batch of every host, or a
   * first deploy): then they stay in and nginx moves them in one reload after the switch.
   */
  takeOut(hosts: SshHost[]): UpstreamServer[] {
    const remaining = [...this.#members.values()].filter((m) => !hosts.some((h) => hostLabel(h) === m.host));
    if (remaining.length === 0) return [];
    const out = hosts.flatMap((h) => this.#members.get(hostLabel(h)) ?? []);
    for (const h of hosts) this.#members.delete(hostLabel(h));
    return out;
  }

  describe(): string {
    return [...this.#members.values()].map((m) => `${m.host} (${m.release} at ${m.address}:${m.port})`).join(', ') || 'no host';
  }

  /** Writes the balanced site on each front host, tests it (the old file goes back if nginx rejects it) and reloads. */
  async write(why: string): Promise<void> {
    if (this.#members.size === 0) return;
    const text = balancedSiteText(this.spec, [...this.#members.values()]);
    await Promise.all(this.fronts.map(async ({ r, c }) => {
      const before = await r.read(c.readSite());
      await r.run(c.writeSite(text), { quiet: true });
      const test = await r.try(c.nginxTest(), { quiet: true });
      if (test.code !== 0) {
        await r.try(before === undefined ? c.removeSite() : c.writeSite(`${before}\n`), { quiet: true });
        throw new ReleaseError(`${r.host}: nginx rejected the balanced site: ${lastLines(test)}`, 'the previous site file was put back');
      }
      await r.run(c.nginxReload(), { quiet: true });
    }));
    for (const { r } of this.fronts) r.say(`balancer on ${r.host} (${why}): upstream ${this.describe()}`);
  }
}
