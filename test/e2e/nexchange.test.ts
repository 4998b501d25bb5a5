import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { requireDocker, testLabel } from '../helpers/docker.ts';
import { REGISTRY } from '../helpers/registry.ts';

// examples/nexchange end to end, as its README walks a newcomer through it: `werker build` of the
// reference user's pipeline (their step names and quirks, their images mapped to local ones) runs
// the Django tests against PostGIS, collects the static files and pushes the image to the local
// registry tagged with the commit; then the image runs the way their deploy ran it, `docker run
// --link <db>:postgis`, next to a fresh PostGIS: its entrypoint migrates and gunicorn serves the
// tick page, and their cron line (`python manage.py ticker` by docker exec) records a tick.
const docker: DockerRuntime | undefined = await requireDocker();
const run = promisify(execFile);

const EXAMPLE = path.join(repoRoot, 'examples/nexchange');
const IMAGE_MAP = ['--image-map', 'pitervergara/geodjango=werker-test/python-django', '--image-map', 'mdillon/postgis=werker-test/postgis'];
// A repository of the tests' own (X_ in the shell wins over the example's ENVIRONMENT), so the
// test never touches what a user pushed by hand; its tag is deleted afterwards.
const REPO = 'werker-e2e/nexchange';
const REF = `${REGISTRY.host}/${REPO}`;
const AUTH = `Basic ${Buffer.from(`${REGISTRY.username}:${REGISTRY.password}`).toString('base64')}`;
const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

// WERCKER_GIT_COMMIT, as werker reads it: the checkout's HEAD.
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: EXAMPLE, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();
const workDir = mkdtempSync(path.join(tmpdir(), 'werker-nexchange-'));
const label = docker ? testLabel(docker) : undefined;
let pushedDigest: string | undefined;

afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  if (!docker || !label) return;
  await label.cleanup();
  await docker.removeImage(`${REF}:${commit}`).catch(() => undefined);
  if (pushedDigest) {
    await fetch(`http://${REGISTRY.host}/v2/${REPO}/manifests/${pushedDigest}`, { method: 'DELETE', headers: { Authorization: AUTH } });
  }
});

const manifest = (auth?: string) =>
  fetch(`http://${REGISTRY.host}/v2/${REPO}/manifests/${commit}`, { method: 'HEAD', headers: { Accept: MANIFEST_V2, ...(auth ? { Authorization: auth } : {}) } });

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe.skipIf(!docker)('examples/nexchange: werker build, then the image runs as their deploy ran it', () => {
  it('werker build: the Django tests pass on PostGIS, collectstatic runs, the image is pushed tagged with the commit', async () => {
    expect(commit, 'examples/nexchange is in a git checkout (the tag is its commit)').toMatch(/^[0-9a-f]{40}$/);
    const started = Date.now();
    const r = await runCli(['build', EXAMPLE, '--working-dir', workDir, ...IMAGE_MAP], { env: { X_DOCKER_HUB_REPO: REPO } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    console.log(`werker build of examples/nexchange: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    // Their steps, by their names.
    expect(r.stdout).toMatch(/Service postgis ready after/);
    expect(r.stdout).toMatch(/npm install --prefix static --offline .*\n[\s\S]*added 1 package/);
    expect(r.stdout).toMatch(/--> Running step: Django collect static\n[\s\S]*?\d+ static files copied to '\/usr\/share\/nginx\/html\/static'/);
    expect(r.stdout).toMatch(/--> Running step: Django run tests\n[\s\S]*?Ran 9 tests in [\d.]+s\s+OK\n/);
    // The entrypoint their create-file step wrote, with the box's shell expansions (GUNICORN_PORT,
    // WERCKER_OUTPUT_DIR and "$@", which becomes "", as in wercker).
    expect(r.stdout).toContain('--bind 0.0.0.0:8000 --workers 3');
    expect(r.stdout).toContain('cp -ra /pipeline/output/staticfiles/* /usr/share/nginx/html/static');
    expect(r.stdout).toContain('nexchange.wsgi:application ""');
    expect(r.stdout).toContain(`Pushed ${REF}:${commit}`);
    // The registry password is a hidden XXX_ variable: masked in the output and the logs.
    const logs = readdirSync(path.join(workDir, 'logs')).map((f) => readFileSync(path.join(workDir, 'logs', f), 'utf8'));
    for (const text of [r.stdout, r.stderr, ...logs]) expect(text).not.toContain(REGISTRY.password);

    // In the registry, behind its auth.
    expect((await manifest()).status).toBe(401);
    const found = await manifest(AUTH);
    expect(found.status).toBe(200);
    pushedDigest = found.headers.get('docker-content-digest') ?? undefined;
    expect(pushedDigest).toMatch(/^sha256:/);
  });

  it('the pushed image, pulled back with credentials and linked to a fresh PostGIS, migrates and serves the tick page', async () => {
    expect(pushedDigest, 'the build test pushed the image').toBeDefined();
    const started = Date.now();
    await docker!.removeImage(`${REF}:${commit}`);
    await docker!.pullImage(`${REF}:${commit}`, { auth: { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host } });
    const info = await docker!.inspectImage(`${REF}:${commit}`);
    expect(info.entrypoint).toEqual(['/entrypoint.sh']);
    expect(info.exposedPorts).toEqual(['8000/tcp']);
    expect(info.workingDir).toBe('/usr/src/app');

    // The database container as they started theirs (readme_wercker.md), on a network of the test's.
    const network = label!.name('net');
    await docker!.createNetwork(network, label!.labels);
    const db = label!.name('db');
    const dbId = await docker!.createContainer({
      name: db, image: 'werker-test/postgis:latest', labels: label!.labels, network: { name: network, aliases: [] },
      env: ['POSTGRES_USER=nexchange', 'POSTGRES_PASSWORD=nexchange', 'POSTGRES_DB=nexchange'],
    });
    await docker!.startContainer(dbId);
    await waitFor('PostGIS to accept connections', async () => {
      const r = await docker!.exec(dbId, ['pg_isready', '-h', '127.0.0.1', '-U', 'nexchange', '-d', 'nexchange']);
      return r.exitCode === 0 ? true : undefined;
    }, 60_000);

    // Their deploy's `docker run` (with the port on loopback instead of -P). The werker.owner
    // override: the image carries the build's werker.run/werker.owner labels (docker-push commits
    // the box with them), and any werker run's cleanup would remove a container with a dead owner.
    const app = label!.name('nexchange_app');
    await run('docker', ['run', '--name', app, '--network', network, '--link', `${db}:postgis`, '-p', '127.0.0.1::8000', '--detach=true',
      '--label', `${label!.key}=${label!.value}`, '--label', 'werker.owner=not-a-werker-run:0', `${REF}:${commit}`]);
    const hostPort = (await run('docker', ['port', app, '8000/tcp'])).stdout.trim().split('\n')[0]!;
    const page = async () => {
      const res = await fetch(`http://${hostPort}/`);
      return res.status === 200 ? await res.text() : undefined;
    };
    const first = await waitFor('gunicorn to answer', page, 90_000);
    expect(first).toContain('<h1>nexchange ticker</h1>');
    expect(first).toContain('0 ticks recorded');
    // gunicorn logs to /var/log/gunicorn_error.log; the entrypoint's `tail -f` brings it to the
    // container's output within a second or so.
    const log = await waitFor('gunicorn\'s log in the container output', async () => {
      const text = await docker!.containerLogs(app);
      return /Listening at: http:\/\/0\.0\.0\.0:8000/.test(text) ? text : undefined;
    }, 10_000);
    expect(log).toContain('Applying ticker.0001_initial... OK');
    expect(log).toContain('Gunicorn start');

    // Their cron line: docker exec … python manage.py ticker (the image's working dir, its env).
    const tick = await docker!.exec(app, ['python', 'manage.py', 'ticker']);
    expect(tick.exitCode, tick.stdout + tick.stderr).toBe(0);
    expect(tick.stdout).toContain('tick 1 of BTC/EUR: 407.50');
    const after = await page();
    expect(after).toContain('1 tick recorded');
    expect(after).toMatch(/<td>BTC\/EUR<\/td><td class="price">407\.50<\/td>.*638 km away/);

    // collectstatic's output is in the image and the entrypoint copied it for nginx; the
    // ENVIRONMENT file (registry password) stayed out of the box (.werckerignore).
    const files = await docker!.exec(app, ['sh', '-c', 'ls /usr/share/nginx/html/static/nexchange-theme/theme.css /usr/share/nginx/html/static/ticker/ticker.css /pipeline/output/staticfiles/ticker/ticker.css && test ! -e /pipeline/source/ENVIRONMENT']);
    expect(files.exitCode, files.stdout + files.stderr).toBe(0);
    console.log(`pull, PostGIS, entrypoint and first page: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  });
});
