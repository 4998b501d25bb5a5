import { describe, expect, it } from 'vitest';
import { flagRules } from '../../test/helpers/image-map.ts';
import { parseReleaseOptions } from './release-options.ts';

const vars: Record<string, string> = {
  WERCKER_GIT_COMMIT: 'e0e3eb09aa11bb22cc33dd44ee55ff6677889900', WERCKER_APPLICATION_NAME: 'nexchange',
  KEY: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----', KNOWN: '[10.0.0.5]:2222 ssh-ed25519 AAAA',
  PG_PASSWORD: "p@ss'word $(x)", SECRET: 'a "quoted" $value',
};
const base = { hosts: '10.0.0.5', port: '2222', user: 'deploy', 'ssh-key': '$KEY', 'known-hosts': '$KNOWN', image: 'registry.example.com:5000/onit/nexchange' };
const parse = (extra: Record<string, string> = {}) => parseReleaseOptions({ raw: { ...base, ...extra }, lookup: (n) => vars[n] });
const spec = (extra: Record<string, string> = {}) => {
  const r = parse(extra);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.spec;
};

describe('internal/release options', () => {
  it('has sensible defaults: commit tag, <prefix>_<short commit>, state in the home dir', () => {
    const s = spec();
    expect(s).toMatchObject({
      hosts: [{ host: '10.0.0.5', port: 2222 }], user: 'deploy', image: 'registry.example.com:5000/onit/nexchange',
      tag: 'e0e3eb09aa11bb22cc33dd44ee55ff6677889900', release: 'nexchange_e0e3eb0', prefix: 'nexchange', stateDir: '.werker/nexchange',
      docker: ['docker'], network: 'nexchange', restart: 'unless-stopped', drainSec: 10, stopTimeoutSec: 10, keep: 3,
      health: { timeoutSec: 60 }, env: [], accessories: [], cron: [],
    });
    expect(s.sshKey).toBe(vars.KEY);
  });

  it('reads hosts with their own ports, and a key whose line breaks arrived as \\n', () => {
    const s = spec({ hosts: 'a.example.com, b.example.com:2200 [::1]:22', 'ssh-key': 'line1\\nline2' });
    expect(s.hosts).toEqual([{ host: 'a.example.com', port: 2222 }, { host: 'b.example.com', port: 2200 }, { host: '::1', port: 22 }]);
    expect(s.sshKey).toBe('line1\nline2');
  });

  it('passes env by name or as NAME=value, values whole (quotes, $, spaces)', () => {
    const s = spec({ env: 'PG_PASSWORD SECRET DJANGO_SETTINGS_MODULE=nexchange.settings_prod "GREETING=hello world" COPY=$SECRET' });
    expect(s.env).toEqual([
      { name: 'PG_PASSWORD', value: "p@ss'word $(x)" }, { name: 'SECRET', value: 'a "quoted" $value' },
      { name: 'DJANGO_SETTINGS_MODULE', value: 'nexchange.settings_prod' }, { name: 'GREETING', value: 'hello world' },
      { name: 'COPY', value: 'a "quoted" $value' },
    ]);
  });

  it('reads accessories from a YAML block, expanding each value on its own', () => {
    const s = spec({
      accessories: 'postgis:\n  image: mdillon/postgis\n  alias: postgis\n  env:\n    POSTGRES_PASSWORD: $PG_PASSWORD\n    POSTGRES_USER: nexchange\n  volumes:\n    - /data/database:/var/lib/postgresql/data\n',
    });
    expect(s.accessories).toEqual([{
      name: 'postgis', container: 'nexchange-postgis', alias: 'postgis', image: 'mdillon/postgis',
      env: [{ name: 'POSTGRES_PASSWORD', value: "p@ss'word $(x)" }, { name: 'POSTGRES_USER', value: 'nexchange' }],
      volumes: ['/data/database:/var/lib/postgresql/data'], ports: [], cmd: [], hash: expect.stringMatching(/^[0-9a-f]{12}$/),
    }]);
    // The hash is of the settings, not of secret values: a new password is not a "changed accessory".
    const other = spec({ accessories: 'postgis:\n  image: mdillon/postgis\n  alias: postgis\n  env:\n    POSTGRES_PASSWORD: other\n    POSTGRES_USER: nexchange\n  volumes:\n    - /data/database:/var/lib/postgresql/data\n' });
    expect(other.accessories[0]!.hash).toBe(s.accessories[0]!.hash);
  });

  it('defaults the health check to GET / when an app port is set', () => {
    expect(spec({ 'app-port': '8000', 'release-ports': '8001 8002' }).health).toEqual({ timeoutSec: 60, path: '/' });
    expect(spec({ 'app-port': '8000', 'release-ports': '8001,8002', 'health-cmd': 'python manage.py check' }).health).toEqual({ timeoutSec: 60, cmd: 'python manage.py check' });
  });

  it('lists every problem at once', () => {
    const r = parseReleaseOptions({ raw: { 'app-port': '8000', ports: '80:8000', restart: 'sometimes', 'nginx-site': '/etc/nginx/x;y.conf', 'nginx-server-name': 'a.com;', 'static-from': 'rel/path', drain: 'soon', cron: 'every minute python x', env: 'MISSING', 'registry-username': 'u' }, lookup: () => undefined });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([
      'hosts is required (one or more, space or comma separated)',
      'ssh-key is required (the private key text, e.g. $DEPLOY_KEY_PRIVATE)',
      'known-hosts is required (a known_hosts line for each host: werker never skips the host key check)',
      'prefix is required (the container name prefix, e.g. nexchange)',
      'image is required (the repository the build pushed, e.g. registry.example.com/team/app)',
      'tag is required: WERCKER_GIT_COMMIT is empty (not a git checkout?), so say which tag to deploy',
      'release-ports: app-port needs two free host ports for the new and the old release to alternate on (e.g. release-ports: 8001 8002)',
      'ports: "80:8000" fixes a host port, which the old and new release cannot share during the swap; publish the container port alone (e.g. 9000), or let nginx front it',
      'restart: "sometimes" is not a restart policy (no, always, unless-stopped, on-failure[:N])',
      'env: MISSING is not a pipeline variable (set X_MISSING or XXX_MISSING, or write MISSING=value)',
      'drain: "soon" is not a whole number',
      'cron: "every minute python x" does not start with five schedule fields (minute hour day month weekday)',
      'nginx-site: "/etc/nginx/x;y.conf" must be a plain path (letters, digits, _ . / @ + -)',
      'nginx-server-name: "a.com;" is not a server name',
      'static-from and static-to go together (the directory in the image, and where nginx serves it from)',
      'registry-username and registry-password go together',
    ]);
  });

  it('refuses env values a Docker env file cannot carry', () => {
    const r = parseReleaseOptions({ raw: { ...base, env: 'MULTI' }, lookup: (n) => (n === 'MULTI' ? 'a\nb' : vars[n]) });
    expect(!r.ok && r.errors).toEqual(['env: the value of MULTI has a line break, which a Docker env file cannot carry']);
  });

  it('logs in to the image\'s registry with the given credentials', () => {
    expect(spec({ 'registry-username': 'onit', 'registry-password': 'pw' }).registry).toEqual({ server: 'registry.example.com:5000', username: 'onit', password: 'pw' });
    const hub = parseReleaseOptions({ raw: { ...base, image: 'onit/nexchange', 'registry-username': 'onit', 'registry-password': 'pw' }, lookup: (n) => vars[n] });
    expect(!hub.ok && hub.errors).toEqual(['registry: the image names no registry host (Docker Hub); set registry: docker.io']);
  });
  it('maps accessory images with --image-map, as the box and services are, but not the app image', () => {
    const accessories = '- name: db\n  image: mdillon/postgis\n- name: cache\n  image: redis:7';
    const r = parseReleaseOptions({ raw: { ...base, accessories }, lookup: (n) => vars[n], imageMap: flagRules(['mdillon/postgis=werker-test/postgis', 'registry.example.com:5000/onit/nexchange=other']) });
    expect(r.ok && r.spec.accessories.map((a) => a.image)).toEqual(['werker-test/postgis:latest', 'redis:7']);
    // werker plan names the rule that chose an accessory's image (deploy/plan-lines.ts).
    expect(r.ok && r.spec.accessories.map((a) => a.mappedBy)).toEqual(['--image-map', undefined]);
    expect(r.ok && r.spec.image).toBe(spec({}).image);
  });
  it('reads an accessory\'s readiness command and timeout, which are not part of its settings hash', () => {
    const plain = spec({ accessories: '- name: db\n  image: postgis' }).accessories[0]!;
    const waiting = spec({ accessories: '- name: db\n  image: postgis\n  wait: pg_isready -h 127.0.0.1\n  wait-timeout: 90' }).accessories[0]!;
    expect(waiting.wait).toEqual({ cmd: 'pg_isready -h 127.0.0.1', timeoutSec: 90 });
    expect(waiting.hash).toBe(plain.hash);
    expect(plain.wait).toBeUndefined();
    const bad = parse({ accessories: '- name: db\n  image: postgis\n  wait: true\n  wait-timeout: soon' });
    expect(!bad.ok && bad.errors).toEqual(['accessories[0] (db) wait-timeout: "soon" is not a whole number of seconds ≥ 1']);
  });
});
