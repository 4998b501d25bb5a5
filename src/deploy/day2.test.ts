import { describe, expect, it } from 'vitest';
import { Day2Commands } from './day2-commands.ts';
import { day2PlanLines } from './day2-plan-lines.ts';
import { maintenanceOf, maintenanceSiteText, nginxString } from './maintenance-site.ts';
import { parseReleaseOptions } from './release-options.ts';
import { formatHostStatus, parseRuns, type HostStatus } from './release-status.ts';
import type { ReleaseSpec } from './release-spec.ts';

const spec: ReleaseSpec = {
  hosts: [{ host: 'nexchange.co.uk', port: 22 }], user: 'deploy', sshKey: 'KEY', knownHosts: 'KNOWN',
  image: 'registry.example.com/onitsoft/nexchange', tag: 'e0e3eb09', release: 'nexchange_e0e3eb0', prefix: 'nexchange',
  stateDir: '.werker/nexchange', docker: ['sudo', '-n', 'docker'], network: 'nexchange', appPort: 8000, releasePorts: [8001, 8002],
  ports: [], volumes: [], env: [], restart: 'always', health: { path: '/', timeoutSec: 60 }, drainSec: 10, stopTimeoutSec: 10, keep: 3,
  accessories: [], cron: [{ name: 'python-manage-py-ticker-0a1b2c', schedule: '* * * * *', command: ['python', 'manage.py', 'ticker'] }],
  cronHistory: 5, notify: { webhook: 'https://hooks.example.com/x' },
  nginx: { site: '/etc/nginx/conf.d/nexchange.conf', serverNames: ['nexchange.co.uk', 'www.nexchange.co.uk'], listen: '80', command: ['nginx'] },
  static: { from: '/app/static', to: '/srv/static', url: '/static/' },
};
const d = new Day2Commands(spec);
const job = spec.cron[0]!;
const TIED = 'exec 3<&0; "$@" 3<&- & pid=$!; (cat > /dev/null; kill "$pid") <&3 3<&- > /dev/null 2>&1 & exec 3<&-; wait "$pid"';

describe('day-2 commands (argv, exactly)', () => {
  it('logs: the last 100 lines by default, all since --since; a followed log is tied to the SSH channel', () => {
    expect(d.containerLogs('nexchange_e0e3eb0', { follow: false }).argv).toEqual(['sudo', '-n', 'docker', 'logs', '--timestamps', '--tail', '100', 'nexchange_e0e3eb0']);
    expect(d.containerLogs('nexchange-db', { follow: false, since: '10m' }).argv).toEqual(['sudo', '-n', 'docker', 'logs', '--timestamps', '--since', '10m', 'nexchange-db']);
    expect(d.containerLogs('x', { follow: true, lines: 0 }).argv).toEqual(['sh', '-c', TIED, 'sh', 'sudo', '-n', 'docker', 'logs', '--timestamps', '--follow', '--tail', '0', 'x']);
    expect(d.cronLogs(job, { follow: true }).argv).toEqual(['sh', '-c', TIED, 'sh', 'tail', '-n', '100', '-F', `.werker/nexchange/cron/${job.name}.out`]);
  });

  it('status reads and exec', () => {
    expect(d.cronHistory(job).argv).toEqual(['tail', '-n', '5', `.werker/nexchange/cron/${job.name}.history`]);
    expect(d.exec('nexchange_e0e3eb0', ['python', 'manage.py', 'shell'], true).argv).toEqual(['sudo', '-n', 'docker', 'exec', '--interactive', '--tty', 'nexchange_e0e3eb0', 'python', 'manage.py', 'shell']);
    expect(d.exec('nexchange_e0e3eb0', ['ls'], false).argv).toEqual(['sudo', '-n', 'docker', 'exec', 'nexchange_e0e3eb0', 'ls']);
  });
});

describe('maintenance site', () => {
  it('answers 503 with the page inline, static files still served; status reads the marker back', () => {
    const text = maintenanceSiteText(spec, 'nexchange_e0e3eb0', '2026-12-05T10:00:00.000Z', 'ops@laptop', '<p>"$5" \\o/</p>\n');
    expect(text).toContain('# Maintenance: on since 2026-12-05T10:00:00.000Z by ops@laptop\n');
    expect(text).toContain('geo $werker_nexchange_dollar { default "$"; }\n');
    expect(text).toContain('    server_name nexchange.co.uk www.nexchange.co.uk;\n    location /static/ {\n        alias /srv/static/nexchange_e0e3eb0/;\n    }\n');
    expect(text).toContain('        return 503 "<p>\\"${werker_nexchange_dollar}5\\" \\\\o/</p>\\n";\n');
    expect(maintenanceOf(text)).toEqual({ on: true, since: '2026-12-05T10:00:00.000Z by ops@laptop' });
    expect(maintenanceOf('server {}')).toEqual({ on: false });
    expect(maintenanceOf(undefined)).toEqual({ on: false });
  });

  it('nginx strings: control characters dropped, tabs and line breaks escaped', () => {
    expect(nginxString('a\tb\r\n\x01c;{}', 'v')).toBe('a\\tb\\r\\nc;{}');
  });
});

describe('day-2 options', () => {
  const base = { hosts: 'h', 'ssh-key': 'k', 'known-hosts': 'kh', image: 'r/app', tag: 't', prefix: 'app' };
  const parse = (extra: Record<string, string>) => parseReleaseOptions({ raw: { ...base, ...extra }, lookup: (n) => ({ HOOK: 'https://hooks.example.com/T0/B1?x=1' })[n] });

  it('cron-history, notify-webhook ($VAR) and maintenance-page', () => {
    const r = parse({ 'cron-history': '7', 'notify-webhook': '$HOOK', 'maintenance-page': 'public/503.html' });
    expect(r.ok && r.spec).toMatchObject({ cronHistory: 7, notify: { webhook: 'https://hooks.example.com/T0/B1?x=1' }, maintenancePage: 'public/503.html' });
    const plain = parse({});
    expect(plain.ok && plain.spec).toMatchObject({ cronHistory: 20 });
  });

  it('refuses what cannot be used, without echoing the webhook (it may hold a token)', () => {
    const r = parse({ 'cron-history': '0', 'notify-webhook': 'ftp://x/"secret"', 'maintenance-page': '../outside.html' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([
      'cron-history: "0" is not a whole number ≥ 1',
      'notify-webhook: not an http(s) URL without spaces, quotes or backslashes',
      'maintenance-page: "../outside.html" must be a path inside the repository (relative, no ..)',
    ]);
  });
});

describe('release status', () => {
  it('reads whole JSON records, skipping a cut line', () => {
    const ok = { job: 'j', release: 'app_1', start: 's', end: 'e', exitCode: 0, output: '', notified: '-' };
    expect(parseRuns(`${JSON.stringify(ok)}\n{"job":"j","rel\n\n`)).toEqual([ok]);
  });

  it('prints one block per host: releases, maintenance, accessories, cron with the last run', () => {
    const s: HostStatus = {
      host: 'web1', live: { name: 'app_2', status: 'running', port: 8001, startedAt: '2026-12-05T10:00:00.123456789Z' }, previous: { name: 'app_1', status: 'exited', port: 8002 },
      maintenance: { on: false }, accessories: [{ accessory: 'db', name: 'app-db', status: 'running', image: 'postgres:16' }],
      cron: [{ job: 'tick-abc', schedule: '* * * * *', command: 'tick', runs: [
        { job: 'tick-abc', release: 'app_2', start: '2026-12-05T10:01:00Z', end: '2026-12-05T10:01:02Z', exitCode: 0, output: 'ok', notified: '-' },
        { job: 'tick-abc', release: 'app_2', start: '2026-12-05T10:02:00Z', end: '2026-12-05T10:02:01Z', exitCode: 2, output: 'a\nb\nc\nboom', notified: 'HTTP 200' },
      ] }],
      lastAudit: ['2026-12-05T09:59:00Z deploy app_2 from=app_1 by=me run=r 12.0s ok'],
    };
    expect(formatHostStatus(s, 'deploy')).toEqual([
      'deploy@web1',
      '  live        app_2  running  127.0.0.1:8001  since 2026-12-05T10:00:00Z',
      '  previous    app_1  exited  127.0.0.1:8002',
      '  maintenance off',
      '  accessory   db: app-db  running  postgres:16',
      '  cron        * * * * *  tick  (tick-abc)',
      '              last run 2026-12-05T10:02:00Z → 2026-12-05T10:02:01Z in app_2: FAILED, exit 2; 1 of the last 2 runs failed',
      '                | b',
      '                | c',
      '                | boom',
      '              reported to the webhook: HTTP 200',
      '  audit       2026-12-05T09:59:00Z deploy app_2 from=app_1 by=me run=r 12.0s ok',
    ]);
  });
});

describe('werker plan', () => {
  it('names the cron history, the webhook and the day-2 commands', () => {
    expect(day2PlanLines(spec)).toEqual([
      'cron history: each run recorded (start, end, exit code, output tail, release) in .werker/nexchange/cron/<job>.history, the last 5 per job',
      'cron failures: a failed run is POSTed as JSON to notify-webhook, from the host',
      'day 2: werker release status [--json] | logs [-f] [--since T] [--grep RE] [--cron JOB] | exec [-i] -- CMD | maintenance (503 with werker\'s page (set maintenance-page for your own)) | live',
    ]);
  });
});
