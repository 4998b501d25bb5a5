import type { ReleaseCommands } from './commands.ts';
import { lastLines, ReleaseError, type Remote } from './remote.ts';
import { NO_CURL, SITE_CHECK_SECONDS, withSiteCheck } from './site-check.ts';

export interface ApplySiteOptions {
  /** What the site is, in the messages: "the new site", "the balanced site". */
  what: string;
  /** Don't print the commands (the balancer prints one line per change instead). */
  quiet?: boolean;
}

/**
 * Puts a site in effect on one host: writes it, tests the whole nginx config (the old file goes
 * back if nginx rejects it), reloads, and returns once nginx answers with the new file
 * (site-check.ts) — so "the site is in maintenance" or "nginx sends … to v2" is true when said.
 * A reload nginx did not take up puts the old file back too, and fails.
 */
export async function applySite(r: Remote, c: ReleaseCommands, site: string, o: ApplySiteOptions): Promise<void> {
  const quiet = { quiet: o.quiet ?? false };
  const before = await r.read(c.readSite());
  const putBack = () => r.try(before === undefined ? c.removeSite() : c.writeSite(`${before}\n`), quiet);
  const { text, generation } = withSiteCheck(c.spec.nginx!, c.spec.prefix, site);
  await r.run(c.writeSite(text), quiet);
  const test = await r.try(c.nginxTest(), quiet);
  if (test.code !== 0) {
    await putBack();
    throw new ReleaseError(`${r.host}: nginx rejected ${o.what}: ${lastLines(test)}`, 'the previous site file was put back; the site did not change');
  }
  await r.run(c.nginxReload(), quiet);
  const check = await r.try(c.awaitSite(generation), { quiet: true, timeoutMs: (SITE_CHECK_SECONDS + 30) * 1000 });
  if (check.code === 0) return;
  if (check.code === NO_CURL) {
    r.say(`${r.host}: nginx was reloaded; curl is not installed there, so werker could not confirm it serves ${o.what} yet`);
    return;
  }
  await putBack();
  await r.try(c.nginxReload(), quiet);
  throw new ReleaseError(
    `${r.host}: nginx did not take up ${o.what} within ${SITE_CHECK_SECONDS} s of the reload (it answered: ${lastLines(check, 1)})`,
    `nginx may have failed to apply it (a port it cannot bind, a file it cannot read): see its error log on ${r.host}; the previous site file was put back`,
  );
}
