import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import type { SshConnection } from '../../src/runtime/ssh/connection.ts';
import { runCli, spawnCli, type CliResult } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { deployTarget, removeCronBlock, TARGET } from '../helpers/deploy-target.ts';
import { requireDocker } from '../helpers/docker.ts';
import { REGISTRY } from '../helpers/registry.ts';
import { freePorts, getThroughNginx, startLoad } from '../helpers/site-load.ts';
import { fetchIfUp, waitFor } from '../helpers/wait-for.ts';

/**
 * examples/nexchange end to end, as its README walks a newcomer through it, with the reference
 * user's own pipelines (their images mapped to local ones):
 *   1. `werker dev --publish`: the app answers on the published port with migrations applied;
 *   2. `werker build --artifacts`: Django tests on PostGIS, collectstatic, the image pushed to
 *      the local registry tagged with the commit;
 *   3. `werker deploy`: their script deploy (key file, scp, ssh heredoc, remove-containers.sh,
 *      `docker run --link`) against the loopback deploy target, next to a database container
 *      started by hand as theirs was; the entrypoint migrates and serves, their cron line ticks;
 *   4. `werker deploy --pipeline release`: werker's release step with the PostGIS accessory, the
 *      nginx site with the static files, the ticker cron; a second deploy under load drops nothing.
 * Every request goes to 127.0.0.1 (127.0.0.2 for the deploy target's standard SSH port).
 */
const docker: DockerRuntime | undefined = await requireDocker();
const target = docker ? deployTarget() : undefined;
const run = promisify(execFile);

const EXAMPLE = path.join(repoRoot, 'examples/nexchange');
const IMAGE_MAP = [
  '--image-map', 'pitervergara/geodjango=werker-test/python-django', '--image-map', 'mdillon/postgis=werker-test/postgis',
  '--image-map', 'pcfseceng/ci-ssh-client=werker-test/ssh-client',
];
// A repository of the tests' own (X_ in the shell wins over the example's ENVIRONMENT), so the
// test never touches what a user pushed by hand; its tags are deleted afterwards.
const REPO = 'werker-e2e/nexchange';
const REF = `${REGISTRY.host}/${REPO}`;
const AUTH = `Basic ${Buffer.from(`${REGISTRY.username}:${REGISTRY.password}`).toString('base64')}`;
const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const SITE = 'nexchange.localhost';

// WERCKER_GIT_COMMIT of the build (the checkout's HEAD when it ran), read from its push.
let commit = '';
// The second release deployed by the release pipeline: the same image under another commit's tag.
const commit2 = 'e2e0000000000000000000000000000000000002';
const seedContainer = () => `nexchange_${commit.slice(0, 9)}`;
const workDir = mkdtempSync(path.join(tmpdir(), 'werker-nexchange-'));
const htmlDir = mkdtempSync(path.join(tmpdir(), 'werker-nexchange-html-'));
const dbContainer = `nexchange-e2e-db-${process.pid}`;
const outputs: string[] = [];
let conn: SshConnection | undefined;

const deployEnv = (): Record<string, string> => ({
  X_DOCKER_HUB_REPO: REF,
  XXX_PEM_FILE_CONTENT_PRIVATE: target!.key,
  X_DEST_KNOWN_HOSTS: target!.knownHosts,
});

const cli = async (args: string[], env: Record<string, string> = {}, cwd = repoRoot): Promise<CliResult> => {
  const r = await runCli(args, { env: { X_DOCKER_HUB_REPO: REF, ...env }, cwd });
  outputs.push(r.stdout + r.stderr);
  return r;
};

afterAll(async () => {
  if (docker) {
    for (const name of [seedContainer(), dbContainer]) await docker.removeContainer(name, { force: true, volumes: true }).catch(() => undefined);
    for (const label of ['werker.release', 'werker.accessory']) {
      const found = await docker.listLabelled(label, 'nexchange');
      await Promise.all(found.containers.map((c) => docker.removeContainer(c.id, { force: true })));
    }
    await docker.removeNetwork('nexchange').catch(() => undefined);
    await docker.removeVolume('nexchange-db').catch(() => undefined);
    for (const tag of [commit, commit2].filter(Boolean)) await docker.removeImage(`${REF}:${tag}`).catch(() => undefined);
    for (const tag of [commit, commit2].filter(Boolean)) await deleteTag(tag);
  }
  if (conn) {
    await conn.exec(['rm', '-rf', `${TARGET.nginxDir}/sites/nexchange.conf`, `${TARGET.nginxDir}/nexchange.access.log`, '.werker/nexchange', `${TARGET.home}/nexchange-static`, `/tmp/${commit}.sh`]);
    await conn.exec(['rmdir', '.werker']);
    await conn.exec(['/usr/sbin/nginx', '-c', `${TARGET.nginxDir}/nginx.conf`, '-e', `${TARGET.nginxDir}/error.log`, '-s', 'reload']);
    await removeCronBlock(conn, 'nexchange');
    await conn.exec(['sudo', '-n', 'docker', 'logout', REGISTRY.host]);
    conn.close();
  }
  // Secrets: the registry password and the deploy key are hidden variables, masked in every
  // output and log file.
  const logDir = path.join(workDir, 'logs');
  const logs = existsSync(logDir) ? readdirSync(logDir).map((f) => readFileSync(path.join(logDir, f), 'utf8')) : [];
  rmSync(workDir, { recursive: true, force: true });
  rmSync(htmlDir, { recursive: true, force: true });
  for (const text of [...outputs, ...logs]) {
    expect(text).not.toContain(REGISTRY.password);
    if (target) expect(text).not.toContain(target.key.split('\n')[1]!);
  }
});

const manifest = (tag: string, auth?: string) =>
  fetch(`http://${REGISTRY.host}/v2/${REPO}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: MANIFEST_V2, ...(auth ? { Authorization: auth } : {}) } });

async function deleteTag(tag: string): Promise<void> {
  const digest = (await manifest(tag, AUTH).catch(() => undefined))?.headers.get('docker-content-digest');
  if (digest) await fetch(`http://${REGISTRY.host}/v2/${REPO}/manifests/${digest}`, { method: 'DELETE', headers: { Authorization: AUTH } }).catch(() => undefined);
}

/** The pushed manifest under a second tag: a second release of the same image, with no second build. */
async function tagAgain(from: string, to: string): Promise<void> {
  const got = await fetch(`http://${REGISTRY.host}/v2/${REPO}/manifests/${from}`, { headers: { Accept: MANIFEST_V2, Authorization: AUTH } });
  expect(got.status).toBe(200);
  const put = await fetch(`http://${REGISTRY.host}/v2/${REPO}/manifests/${to}`, {
    method: 'PUT', headers: { 'Content-Type': MANIFEST_V2, Authorization: AUTH }, body: Buffer.from(await got.arrayBuffer()),
  });
  expect(put.status).toBe(201);
}

const ticksOn = (page: string): number => Number(page.match(/(\d+) ticks? recorded/)?.[1] ?? NaN);
const sitePage = async (urlPath = '/') => getThroughNginx(SITE, urlPath);

describe.skipIf(!docker || !target)('examples/nexchange: dev, build, their deploy, and the release pipeline', () => {
  it('werker dev --publish: the app answers on the published port with migrations applied; Ctrl-C ends it, nothing left', async () => {
    const [port] = await freePorts(1);
    const runId = `e2e-dev-${process.pid}`;
    const dev = spawnCli(['dev', EXAMPLE, '--publish', `${port}:8000`, '--working-dir', workDir, '--run-id', runId, ...IMAGE_MAP]);
    const page = await waitFor('the dev server on the published port', async () => {
      if (dev.child.exitCode !== null) throw new Error('werker dev ended');
      const res = await fetchIfUp(`http://127.0.0.1:${port}/`);
      return res?.status === 200 ? await res.text() : undefined;
    }, 300_000, 500).catch(async (err: Error) => {
      dev.child.kill('SIGKILL');
      const r = await dev.done;
      throw new Error(`${err.message}\n${r.stdout}\n${r.stderr}`);
    });
    // The page reads the ticks table: it exists, so the migrations ran.
    expect(page).toContain('<h1>nexchange ticker</h1>');
    expect(ticksOn(page)).toBeGreaterThanOrEqual(0);
    dev.child.kill('SIGINT');
    const r = await dev.done;
    outputs.push(r.stdout + r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // (Django prints "Applying …" and, once PostGIS is done, " OK": one line, in two pieces.)
    expect(r.stdout).toMatch(/--> Running step: Django aplly migrations\n[\s\S]*?Applying ticker\.0001_initial\.\.\. OK\n/);
    expect(r.stdout).toMatch(/--> Running step: Django run tests\n[\s\S]*?Ran 9 tests in [\d.]+s\s+OK\n/);
    const left = await docker!.listLabelled('werker.run', runId);
    expect([...left.containers, ...left.networks, ...left.volumes]).toEqual([]);
  });

  it('werker build: the Django tests pass on PostGIS, collectstatic runs, the image is pushed tagged with the commit', async () => {
    const started = Date.now();
    const r = await cli(['build', EXAMPLE, '--working-dir', workDir, '--artifacts', ...IMAGE_MAP]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // Tagged with the commit of the checkout, which werker read from git.
    commit = r.stdout.match(new RegExp(`Pushed ${REF}:([0-9a-f]{40})\\n`))?.[1] ?? '';
    expect(commit, r.stdout).toMatch(/^[0-9a-f]{40}$/);
    execFileSync('git', ['cat-file', '-e', `${commit}^{commit}`], { cwd: EXAMPLE });
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
    // The output the deploys run on: their script, and the static files.
    expect(existsSync(path.join(workDir, 'latest/output/remove-containers.sh'))).toBe(true);
    expect(existsSync(path.join(workDir, 'latest/output/staticfiles/ticker/ticker.css'))).toBe(true);

    // In the registry, behind its auth. The local copy goes, so the deploys really pull.
    expect((await manifest(commit)).status).toBe(401);
    expect((await manifest(commit, AUTH)).status).toBe(200);
    await docker!.removeImage(`${REF}:${commit}`);
  });

  it('werker deploy: their script deploy brings the site up on the server, linked to the database container started by hand', async () => {
    expect((await manifest(commit, AUTH)).status, 'the build test pushed the image').toBe(200);
    conn = await target!.connect();
    // The database container, as their readme says they started it on the server.
    await run('docker', ['run', '--detach', '--name', dbContainer, '-e', 'POSTGRES_USER=nexchange', '-e', 'POSTGRES_PASSWORD=nexchange', '-e', 'POSTGRES_DB=nexchange', 'werker-test/postgis']);
    await waitFor('the database container to accept connections', async () => {
      const r = await docker!.exec(dbContainer, ['pg_isready', '-h', '127.0.0.1', '-U', 'nexchange', '-d', 'nexchange']);
      return r.exitCode === 0 ? true : undefined;
    }, 60_000);
    // nginx's html directory on their server, which the entrypoint copies the static files into.
    for (const d of ['static', 'media']) mkdirSync(path.join(htmlDir, d));
    const [port] = await freePorts(1);
    const started = Date.now();
    // From the example's directory: its wercker.yml and ENVIRONMENT, on the build's output.
    const r = await cli(['deploy', '--working-dir', workDir, '--docker-network', 'host', ...IMAGE_MAP], {
      ...deployEnv(), X_DATABASE_CONTAINER: dbContainer, X_PORTS_PARAM: `-p 127.0.0.1:${port}:8000`, X_VOLUMES_PARAM: `-v ${htmlDir}:/usr/share/nginx/html`,
    }, EXAMPLE);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('No target specified, using recent build output.');
    expect(r.stdout).toContain('--> Running step: Do deploy');
    expect(r.stdout).toContain('Login Succeeded');
    // The password went over their `-p` (so the server's docker warned), masked in werker's output.
    expect(r.stdout + r.stderr).toMatch(/-p \*\*\*|Using --password via the CLI is insecure/);

    const inspect = await docker!.inspectContainer(seedContainer());
    expect(inspect.running).toBe(true);
    const page = await waitFor('gunicorn behind their PORTS_PARAM', async () => {
      const res = await fetchIfUp(`http://127.0.0.1:${port}/`);
      return res?.status === 200 ? await res.text() : undefined;
    }, 90_000);
    expect(page).toContain('<h1>nexchange ticker</h1>');
    expect(page).toContain('0 ticks recorded');
    // The entrypoint published the static files to nginx's volume (their VOLUMES_PARAM).
    expect(existsSync(path.join(htmlDir, 'static/ticker/ticker.css'))).toBe(true);
    // Their cron line, as it stood in the server's /etc/crontab.
    const tick = await run('sh', ['-c', 'docker exec $(docker ps -q -a --filter "name=nexchange_") python manage.py ticker']);
    expect(tick.stdout).toContain('tick 1 of BTC/EUR: 407.50');
    const after = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(after).toContain('1 tick recorded');
    expect(after).toMatch(/<td>BTC\/EUR<\/td><td class="price">407\.50<\/td>.*638 km away/);
    console.log(`their deploy, up to the first page: ${((Date.now() - started) / 1000).toFixed(1)}s`);

    // A second run of their deploy replaces the container (remove-containers.sh), as it did for them.
    const again = await cli(['deploy', '--working-dir', workDir, '--docker-network', 'host', ...IMAGE_MAP], {
      ...deployEnv(), X_DATABASE_CONTAINER: dbContainer, X_PORTS_PARAM: `-p 127.0.0.1:${port}:8000`, X_VOLUMES_PARAM: `-v ${htmlDir}:/usr/share/nginx/html`,
    }, EXAMPLE);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await docker!.inspectContainer(seedContainer())).id).not.toBe(inspect.id);

    // Their deploy and werker's release both own nexchange_* on a server: one or the other.
    await docker!.removeContainer(seedContainer(), { force: true, volumes: true });
    await docker!.removeContainer(dbContainer, { force: true, volumes: true });
  });

  it('werker deploy --pipeline release: PostGIS accessory, site and static files through nginx, the ticker cron; a second deploy under load drops nothing', async () => {
    const [p1, p2] = await freePorts(2);
    const env = { ...deployEnv(), X_RELEASE_PORTS: `${p1} ${p2}`, X_RELEASE_DRAIN: '2', X_RELEASE_WATCH: '5' };
    const release = (extra: string[] = []) => cli(['deploy', '--pipeline', 'release', '--working-dir', workDir, ...IMAGE_MAP, ...extra], env, EXAMPLE);

    const started = Date.now();
    const first = await release();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const firstDeployed = Date.now();
    console.log(`release pipeline, first deploy (accessory created, migrations): ${((firstDeployed - started) / 1000).toFixed(1)}s`);
    expect(first.stdout).toContain('accessory db: creating nexchange-db');
    const home = await sitePage();
    expect(home.status).toBe(200);
    expect(home.body).toContain('<h1>nexchange ticker</h1>');
    const css = await sitePage('/static/ticker/ticker.css');
    expect(css.status).toBe(200);
    expect(css.body).toBe(readFileSync(path.join(EXAMPLE, 'ticker/static/ticker/ticker.css'), 'utf8'));

    // The cron job: `python manage.py ticker` in the live release, every minute (the real cron
    // daemon fires at the next minute boundary).
    const firstTicks = await waitFor('a tick by the cron job', async () => {
      const n = ticksOn((await sitePage()).body);
      return n >= 1 ? n : undefined;
    }, 80_000, 2000);

    // A second release under continuous requests through nginx: none fails.
    await tagAgain(commit, commit2);
    const load = startLoad(sitePage, (p) => (p.body.includes('<h1>nexchange ticker</h1>') ? 'page' : undefined), { pauseMs: 50, maxMs: 180_000 });
    const second = await release(['--git-commit', commit2]);
    const stats = await load.stop();
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(stats.failures, `failed requests of ${stats.ok + stats.failed}`).toEqual([]);
    expect(stats.ok).toBeGreaterThan(20);
    console.log(`release pipeline, second deploy: ${stats.ok} requests through nginx during it, ${stats.failed} failed`);
    expect((await docker!.inspectContainer(`nexchange_${commit2.slice(0, 7)}`)).running).toBe(true);
    expect((await docker!.inspectContainer(`nexchange_${commit.slice(0, 7)}`)).running).toBe(false);

    // The database kept its rows through the swap, and the cron job goes on in the new release.
    const ticks = await waitFor('the next tick, in the new release', async () => {
      const n = ticksOn((await sitePage()).body);
      return n > firstTicks ? n : undefined;
    }, 80_000, 2000);
    expect(ticks).toBeGreaterThan(firstTicks);
    console.log(`release pipeline, all checks: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  });
});
