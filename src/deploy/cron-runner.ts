import { shellJoin, shellQuote } from '../util/shell-quote.ts';
import { cronPaths } from './cron.ts';
import { DEFAULT_CRON_HISTORY } from './day2-options.ts';
import type { CronJob, ReleaseSpec } from './release-spec.ts';

/** Bytes of a run's output kept in its history record and sent with a failure report. */
export const OUTPUT_TAIL_BYTES = 2000;

/**
 * Turns stdin into the inside of a JSON string: tabs become spaces, other control characters go,
 * `\` and `"` are escaped, lines are joined with `\n`. Invalid UTF-8 (a tail cut in the middle
 * of a character) is dropped by iconv where the host has it.
 */
const JSON_TEXT = [
  'json_text() {',
  `  (iconv -c -f UTF-8 -t UTF-8 2>/dev/null || cat) | tr '\\t' ' ' | tr -d '\\000-\\010\\013-\\037' | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g' | awk 'NR > 1 { printf "%s", "\\\\n" } { printf "%s", $0 }'`,
  '}',
];

/**
 * The runner script for one job. Under the job's `flock -n` lock (a run that finds it held exits
 * 75 and does nothing), it reads the live release's name from the pointer the switch replaces
 * atomically and `docker exec`s the command there, its output both passed on (to the crontab
 * line's log) and kept in `<job>.out`; then it appends a JSON record of the run (start, end,
 * exit code, output tail, release) to `<job>.history`, keeping the last `cron-history` runs,
 * and a failed run is POSTed as JSON to `notify-webhook`. The webhook URL reaches curl on
 * stdin (a config heredoc), never its argv, so `ps` on the host does not show it.
 */
export function cronScript(spec: Pick<ReleaseSpec, 'prefix' | 'stateDir' | 'docker' | 'cronHistory' | 'notify'>, job: CronJob): string {
  const p = cronPaths(spec.stateDir, job);
  const q = shellQuote;
  return [
    '#!/bin/sh',
    `# werker: cron job ${job.name} of ${spec.prefix}, written by every deploy (internal/release); edits are lost.`,
    '# Runs the command in the live release, one run at a time; exits 75 when the previous run still holds the lock.',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'cd || exit 1',
    `exec 9>>${q(p.lock)}`,
    `if ! flock -n 9; then echo ${q(`werker cron ${job.name}: skipped, the previous run is still going`)} >&2; exit 75; fi`,
    `live=$(cat ${q(`${spec.stateDir}/live`)}) || exit 1`,
    ...JSON_TEXT,
    'start=$(date -u +%Y-%m-%dT%H:%M:%SZ)',
    '# The command\'s exit code comes out on fd 4, its output goes to the log (fd 3) and to the run\'s file.',
    'exec 3>&1',
    `code=$( { { ${shellJoin([...spec.docker, 'exec'])} "$live" ${shellJoin(job.command)} 2>&1; echo $? >&4; } | tee ${q(p.out)} >&3; } 4>&1 )`,
    'exec 3>&-',
    'end=$(date -u +%Y-%m-%dT%H:%M:%SZ)',
    `output=$(tail -c ${OUTPUT_TAIL_BYTES} ${q(p.out)} | json_text)`,
    `run=$(printf '"job":"%s","release":"%s","start":"%s","end":"%s","exitCode":%s,"output":"%s"' ${q(job.name)} "$live" "$start" "$end" "$code" "$output")`,
    ...notifyLines(spec, job),
    `printf '{%s,"notified":"%s"}\\n' "$run" "$notified" >> ${q(p.history)}`,
    `tail -n ${spec.cronHistory ?? DEFAULT_CRON_HISTORY} ${q(p.history)} > ${q(`${p.history}.new`)} && mv -f ${q(`${p.history}.new`)} ${q(p.history)}`,
    'exit "$code"',
    '',
  ].join('\n');
}

/** On a failed run: the report POSTed to the webhook, `notified` saying how that went ("-" without one). */
function notifyLines(spec: Pick<ReleaseSpec, 'prefix' | 'stateDir' | 'notify'>, job: CronJob): string[] {
  if (!spec.notify) return ['notified=-'];
  const q = shellQuote;
  const about = JSON.stringify({ event: 'cron.failed', app: spec.prefix, schedule: job.schedule, command: job.command.join(' ') }).slice(1, -1);
  const text = `werker: cron job ${job.name} of ${spec.prefix} failed`;
  const body = `${spec.stateDir}/cron/${job.name}.report.json`;
  return [
    'notified=-',
    'if [ "$code" != 0 ]; then',
    `  host=$(uname -n)`,
    `  printf '{%s,"host":"%s",%s,"text":"%s on %s with exit %s"}' ${q(about)} "$host" "$run" ${q(text)} "$host" "$code" > ${q(body)}`,
    `  notified=$(curl --silent --show-error --max-time 10 --output /dev/null --write-out 'HTTP %{http_code}' --header 'Content-Type: application/json' --data-binary @${q(body)} --config - 2>&1 <<'WERKER_WEBHOOK'`,
    `url = "${spec.notify.webhook}"`,
    'WERKER_WEBHOOK',
    '  )',
    '  notified=$(printf \'%s\' "$notified" | json_text)',
    'fi',
  ];
}
