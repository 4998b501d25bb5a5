import { cronPaths } from './cron.ts';
import { DEFAULT_CRON_HISTORY } from './day2-options.ts';
import type { ReleaseSpec } from './release-spec.ts';

/** For `werker plan`: what the cron runner records and reports, and the day-2 commands of the step's hosts. */
export function day2PlanLines(spec: ReleaseSpec): string[] {
  const lines: string[] = [];
  if (spec.cron.length) {
    const history = spec.cronHistory ?? DEFAULT_CRON_HISTORY;
    lines.push(`cron history: each run recorded (start, end, exit code, output tail, release) in ${cronPaths(spec.stateDir, spec.cron[0]!).history.replace(spec.cron[0]!.name, '<job>')}, the last ${history} per job`);
    lines.push(spec.notify ? 'cron failures: a failed run is POSTed as JSON to notify-webhook, from the host' : 'cron failures: recorded only (set notify-webhook to be told)');
  }
  const page = spec.maintenancePage ? `${spec.maintenancePage} from the repository` : 'werker\'s page (set maintenance-page for your own)';
  lines.push('day 2: werker release status [--json] | logs [-f] [--since T] [--grep RE]' +
    `${spec.accessories.length ? ` [--accessory ${spec.accessories.map((a) => a.name).join('|')}]` : ''}${spec.cron.length ? ' [--cron JOB]' : ''} | exec [-i] -- CMD` +
    `${spec.nginx ? ` | maintenance (503 with ${page}) | live` : ''}`);
  return lines;
}
