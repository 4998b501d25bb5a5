import { hostLabel } from './balancer.ts';
import { describeBatch, splitBatches } from './batches.ts';
import { ReleaseCommands } from './commands.ts';
import { balancedSiteText } from './nginx-site.ts';
import type { ReleaseSpec } from './release-spec.ts';
import { showCommand } from './remote.ts';
import { SITE_CHECK_LINE } from './site-check.ts';

/**
 * For `werker plan`: how several hosts are deployed (deploy/rollout.ts): the batches, and with
 * `balance` what the balancing nginx does around each batch. Empty for one host.
 */
export function rolloutPlanLines(spec: ReleaseSpec): string[] {
  if (spec.hosts.length < 2) return [];
  const batches = splitBatches(spec.hosts, spec.batch);
  const lines = [
    `rollout: ${describeBatch(spec.batch, spec.hosts.length)}`,
    ...batches.map((b, i) => `  batch ${i + 1}: ${b.map(hostLabel).join(' ')}`),
    '  # (first every host\'s lock, in order: a lock held elsewhere stops the rollout before anything changed, the locks taken are let go)',
    '  # (then login, pull and accessories on every host at once; a failure there changes nothing)',
    '  # (each batch\'s hosts switch together, as below; the next batch starts when the whole batch is live' +
      `${spec.watch ? ` and has passed its ${spec.watch.seconds}s watch` : ''})`,
    '  # (old releases keep running until every batch is live, then each is drained and stopped)',
    '  # (a failed batch, a dropped host or Ctrl-C: every host that switched goes back to its old release; later hosts are not touched; the message says what each host serves)',
  ];
  if (spec.balance) lines.push(...balanceLines(spec));
  return lines;
}

function balanceLines(spec: ReleaseSpec): string[] {
  const c = new ReleaseCommands(spec);
  const fronts = spec.balance!.front ? [spec.balance!.front] : spec.hosts;
  const port = spec.releasePorts[0] ?? 0;
  const site = balancedSiteText(spec, spec.hosts.map((h) => ({ host: hostLabel(h), release: spec.release, address: h.host, port })));
  return [
    `balance: nginx on ${fronts.map(hostLabel).join(' ')} balances across every host's live release`,
    `  # (each release is also published on its host's address, where the balancing nginx reaches it: e.g. --publish ${spec.hosts[0]!.host}:${port}:${spec.appPort ?? '?'} on ${hostLabel(spec.hosts[0]!)})`,
    '  # (before a batch switches, on each balancing host, its hosts out of the upstream:)',
    `  $ ${showCommand(c.readSite())}`, `  $ ${showCommand(c.writeSite(site))}`, `  $ ${showCommand(c.nginxTest())}`, `  $ ${showCommand(c.nginxReload())}`, `  # ${SITE_CHECK_LINE}`,
    '  # (after it, the same with them back in at their new release\'s port; a batch of every host, or a first deploy, stays in and moves in that one reload)',
    ...site.split('\n').filter((l) => l.startsWith('# Balanced') || l.startsWith('    server ')).map((l) => `  ${l.startsWith('#') ? l : `# site: ${l.trim()}`}`),
  ];
}
