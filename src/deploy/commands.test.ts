import { describe, expect, it } from 'vitest';
import { ReleaseCommands } from './commands.ts';
import type { ReleaseSpec } from './release-spec.ts';

/** The reference user's deploy (nexchange), as internal/release would read it. */
const spec: ReleaseSpec = {
  hosts: [{ host: 'nexchange.co.uk', port: 22 }], user: 'deploy', sshKey: 'KEY', knownHosts: 'KNOWN',
  image: 'registry.example.com/onitsoft/nexchange', tag: 'e0e3eb09', release: 'nexchange_e0e3eb0', prefix: 'nexchange',
  stateDir: '.werker/nexchange', docker: ['docker'], network: 'nexchange', appPort: 8000, releasePorts: [8001, 8002],
  ports: [], volumes: ['/usr/share/nginx/html/media:/usr/share/nginx/html/media'],
  env: [{ name: 'GUNICORN_PORT', value: '8000' }, { name: 'POSTGIS_ENV_POSTGRES_PASSWORD', value: "s3cr'et $(x)" }],
  restart: 'always', health: { path: '/health/', timeoutSec: 60 }, drainSec: 10, stopTimeoutSec: 10, keep: 3,
  accessories: [{
    name: 'postgis', container: 'nexchange-postgis', alias: 'postgis', image: 'mdillon/postgis',
    env: [{ name: 'POSTGRES_PASSWORD', value: 'pw' }], volumes: ['nexchange-db:/var/lib/postgresql/data', '/data/x:/x'], ports: [], cmd: [], hash: 'abc123abc123',
  }],
  nginx: { site: '/etc/nginx/sites-enabled/nexchange.conf', serverNames: ['nexchange.co.uk'], listen: '80', command: ['sudo', '-n', 'nginx'] },
  static: { from: '/usr/src/app/staticfiles', to: '/srv/nexchange/static', url: '/static/' },
  cron: [{ name: 'python-manage-py-ticker-0a1b2c', schedule: '* * * * *', command: ['python', 'manage.py', 'ticker'] }],
  registry: { server: 'registry.example.com', username: 'onit', password: 'hub-pw' },
};
const c = new ReleaseCommands(spec);

describe('release commands (argv, exactly)', () => {
  it('state, lock and login', () => {
    expect(c.prepareState().argv).toEqual(['install', '-d', '-m', '700', '.werker/nexchange', '.werker/nexchange/env', '.werker/nexchange/cron']);
    expect(c.lock('deploy of x by me').argv).toEqual([
      'flock', '-n', '-E', '75', '.werker/nexchange/lock', 'sh', '-c', 'printf \'%s\\n\' "$1" > "$2" && echo locked && exec cat > /dev/null', 'sh', 'deploy of x by me', '.werker/nexchange/lock.holder',
    ]);
    expect(c.login()).toEqual({ argv: ['docker', 'login', 'registry.example.com', '--username', 'onit', '--password-stdin'], stdin: 'hub-pw', note: 'the registry password' });
    expect(c.pull().argv).toEqual(['docker', 'pull', 'registry.example.com/onitsoft/nexchange:e0e3eb09']);
  });

  it('accessories: volumes first, joined to the app network under their alias', () => {
    const a = spec.accessories[0]!;
    expect(c.createVolumes(a).map((x) => x.argv)).toEqual([['docker', 'volume', 'create', '--label', 'werker.accessory=nexchange', 'nexchange-db']]);
    expect(c.runAccessory(a).argv).toEqual([
      'docker', 'run', '--detach', '--name', 'nexchange-postgis', '--network', 'nexchange', '--network-alias', 'postgis', '--restart', 'unless-stopped',
      '--env-file', '.werker/nexchange/env/nexchange-postgis.env', '--label', 'werker.accessory=nexchange', '--label', 'werker.accessory.hash=abc123abc123',
      '--volume', 'nexchange-db:/var/lib/postgresql/data', '--volume', '/data/x:/x', 'mdillon/postgis',
    ]);
  });

  it('the release: env file over stdin (never argv), its own loopback port, labels for what werker reads back', () => {
    const env = c.writeEnvFile(spec.release, spec.env);
    expect(env).toEqual({
      argv: ['install', '-m', '600', '/dev/stdin', '.werker/nexchange/env/nexchange_e0e3eb0.env'],
      stdin: "GUNICORN_PORT=8000\nPOSTGIS_ENV_POSTGRES_PASSWORD=s3cr'et $(x)\n", note: 'env file: GUNICORN_PORT POSTGIS_ENV_POSTGRES_PASSWORD',
    });
    expect(c.runRelease(8002).argv).toEqual([
      'docker', 'run', '--detach', '--name', 'nexchange_e0e3eb0', '--network', 'nexchange', '--restart', 'always',
      '--env-file', '.werker/nexchange/env/nexchange_e0e3eb0.env', '--label', 'werker.release=nexchange', '--label', 'werker.version=e0e3eb09',
      '--label', 'werker.port=8002', '--publish', '127.0.0.1:8002:8000', '--volume', '/usr/share/nginx/html/media:/usr/share/nginx/html/media',
      'registry.example.com/onitsoft/nexchange:e0e3eb09',
    ]);
    // The probe keeps status, Location, latency and the body's first bytes (deploy/probe.ts), so no --fail.
    expect(c.healthCheck('nexchange_e0e3eb0', 8002)!.argv.slice(3)).toEqual(['sh', '--silent', '--show-error', '--max-time', '5', '--write-out', '%{http_code} %{time_total} %{redirect_url}\\n', 'http://127.0.0.1:8002/health/']);
    expect(new ReleaseCommands({ ...spec, health: { cmd: 'python manage.py check', timeoutSec: 5 } }).healthCheck('r', 1)!.argv).toEqual(['docker', 'exec', 'r', 'sh', '-c', 'python manage.py check']);
  });

  it('static files, nginx switch, pointers', () => {
    expect(c.publishStatic('nexchange_e0e3eb0').map((x) => x.argv)).toEqual([
      ['mkdir', '-p', '/srv/nexchange/static/nexchange_e0e3eb0'],
      ['sh', '-c', 'dest=$1; shift; "$@" | tar -x -f - -C "$dest"', 'sh', '/srv/nexchange/static/nexchange_e0e3eb0', 'docker', 'cp', 'nexchange_e0e3eb0:/usr/src/app/staticfiles/.', '-'],
    ]);
    const sudo = new ReleaseCommands({ ...spec, docker: ['sudo', '-n', 'docker'] }).publishStatic('r')[1]!.argv;
    expect(sudo.slice(-6)).toEqual(['sudo', '-n', 'docker', 'cp', 'r:/usr/src/app/staticfiles/.', '-']);
    expect(c.writeSite('x').argv).toEqual(['install', '-m', '644', '/dev/stdin', '/etc/nginx/sites-enabled/nexchange.conf']);
    expect(c.nginxTest().argv).toEqual(['sudo', '-n', 'nginx', '-t', '-q']);
    expect(c.nginxReload().argv).toEqual(['sudo', '-n', 'nginx', '-s', 'reload']);
    expect(c.writePointer('live', 'nexchange_e0e3eb0')).toEqual([
      { argv: ['install', '-m', '644', '/dev/stdin', '.werker/nexchange/live.new'], stdin: 'nexchange_e0e3eb0\n', note: 'nexchange_e0e3eb0' },
      { argv: ['mv', '-f', '.werker/nexchange/live.new', '.werker/nexchange/live'] },
    ]);
  });

  it('the nginx site proxies to the live release and serves its static files', () => {
    expect(c.siteFor('nexchange_e0e3eb0', 8002)).toBe([
      '# Written by werker (internal/release) for nexchange; every deploy rewrites this file.',
      '# Live release: nexchange_e0e3eb0 on 127.0.0.1:8002',
      'upstream werker_nexchange {', '    server 127.0.0.1:8002;', '    keepalive 16;', '}',
      'server {', '    listen 80;', '    server_name nexchange.co.uk;',
      '    location /static/ {', '        alias /srv/nexchange/static/nexchange_e0e3eb0/;', '    }',
      '    location / {', '        proxy_pass http://werker_nexchange;', '        proxy_http_version 1.1;', '        proxy_set_header Connection "";',
      '        proxy_set_header Host $http_host;', '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '        proxy_set_header X-Forwarded-Proto $scheme;', '        proxy_redirect off;', '    }', '}', '',
    ].join('\n'));
  });

  it('cron, retiring, reviving, pruning, audit', () => {
    // Written beside and renamed over, so a tick never execs a half-written script (ETXTBSY, exit 126).
    expect(c.writeCronScript(spec.cron[0]!).map((x) => x.argv)).toEqual([
      ['install', '-m', '755', '/dev/stdin', '.werker/nexchange/cron/python-manage-py-ticker-0a1b2c.sh.new'],
      ['mv', '-f', '.werker/nexchange/cron/python-manage-py-ticker-0a1b2c.sh.new', '.werker/nexchange/cron/python-manage-py-ticker-0a1b2c.sh'],
    ]);
    expect(c.removeStaleCronScripts().argv).toEqual(['find', '.werker/nexchange/cron', '-maxdepth', '1', '-name', '*.sh', '!', '-name', 'python-manage-py-ticker-0a1b2c.sh', '-delete']);
    expect(c.waitCronJob(spec.cron[0]!, 60).argv).toEqual(['flock', '--wait', '60', '.werker/nexchange/cron/python-manage-py-ticker-0a1b2c.lock', 'true']);
    expect(c.retire('nexchange_old').map((x) => x.argv)).toEqual([['docker', 'update', '--restart', 'no', 'nexchange_old'], ['docker', 'stop', '--time', '10', 'nexchange_old']]);
    expect(c.revive('nexchange_old').map((x) => x.argv)).toEqual([['docker', 'update', '--restart', 'always', 'nexchange_old'], ['docker', 'start', 'nexchange_old']]);
    expect(c.listReleases().argv).toEqual(['docker', 'ps', '--all', '--filter', 'label=werker.release=nexchange', '--format', '{{.Names}}']);
    expect(c.removeRelease('nexchange_old').map((x) => x.argv)).toEqual([['docker', 'rm', 'nexchange_old'], ['rm', '-rf', '.werker/nexchange/env/nexchange_old.env', '/srv/nexchange/static/nexchange_old']]);
    expect(c.audit('line')).toEqual({ argv: ['tee', '-a', '.werker/nexchange/audit.log'], stdin: 'line\n', note: 'audit line' });
  });

  it('calls docker the way the server needs (sudo)', () => {
    expect(new ReleaseCommands({ ...spec, docker: ['sudo', '-n', 'docker'] }).pull().argv).toEqual(['sudo', '-n', 'docker', 'pull', 'registry.example.com/onitsoft/nexchange:e0e3eb09']);
  });
});
