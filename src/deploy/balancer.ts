import { applySite } from './nginx-apply.ts';
import { balancedSiteText, type UpstreamServer } from './nginx-site.ts';
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

  /** Puts the balanced site in effect on each front host (nginx-apply.ts). */
  async write(why: string): Promise<void> {
    if (this.#members.size === 0) return;
    const text = balancedSiteText(this.spec, [...this.#members.values()]);
    await Promise.all(this.fronts.map(({ r, c }) => applySite(r, c, text, { what: 'the balanced site', quiet: true })));
    for (const { r } of this.fronts) r.say(`balancer on ${r.host} (${why}): upstream ${this.describe()}`);
  }
}
