import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { cliCommand, fixture, runCli, spawnCli } from '../helpers/cli.ts';
import { readSnapshotLabels } from '../../src/engine/snapshot-record.ts';
import { requireDocker, runLeftovers, runOnce } from '../helpers/docker.ts';
import { deleteRegistryTags, REGISTRY } from '../helpers/registry.ts';
import { tempDirs, writeTree } from '../helpers/temp-dirs.ts';

// Rows of docs/wercker-compat.md §6–§8 that were implemented but untested, each shown on the real
// engine through the CLI (pushes go to the local registry), named after its section.
const docker: DockerRuntime | undefined = await requireDocker();
const workDir = tempDirs('werker-compat-c');
const images: string[] = [];
const registryTags: [string, string[]][] = [];
afterAll(async () => {
  for (const i of images) await docker?.removeImage(i).catch(() => undefined);
  for (const [repo, tags] of registryTags) await deleteRegistryTags(repo, tags);
});

/** The run's result, its failed box's snapshot (werker-snapshot:<key>, §8.4) noted for removal. */
function tracked<T extends { stdout: string }>(r: T): T {
  for (const m of r.stdout.matchAll(/werker-snapshot:[0-9a-f]+/g)) images.push(m[0]);
  return r;
}

const leftovers = (runId: string): Promise<string[]> => runLeftovers(docker!, runId);
const registryEnv = (repo: string): Record<string, string> => ({ X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: REGISTRY.password, X_REGISTRY_REPO: repo });

/** A port free on loopback now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The lines a step printed: from its `Running step:` heading to its end line. */
function stepSection(out: string, name: string): string {
  const start = out.indexOf(`Running step: ${name}`);
  expect(start, `no step "${name}" in\n${out}`).toBeGreaterThanOrEqual(0);
  const end = out.indexOf('Step passed:', start);
  return out.slice(start, end < 0 ? undefined : end);
}

describe.skipIf(!docker)('§6.3 / §6.4 / §6.1 docker-run, docker-build and an image-mode push', () => {
  it('docker-run takes cmd, entrypoint, env, working-dir, user and published ports; docker-build takes context, dockerfile, build-args, labels, no-cache and q on the run\'s network; docker-push pushes the built image', async () => {
    const repo = `werker-it/built-${Date.now().toString(36)}`;
    const ref = `${REGISTRY.host}/${repo}`;
    images.push(`${ref}:img`);
    registryTags.push([repo, ['img']]);
    const port = await freePort();
    const { done } = spawnCli(['build', fixture('compat-6.3-build-push'), '--working-dir', workDir(), '--run-id', 'itbuildpush1', '--expose-ports'], {
      env: { ...registryEnv(repo), X_SIDE_PORT: String(port) },
    });
    // While the run goes on, the side container is published on the host port asked for.
    let fromHost = '';
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished && !fromHost) {
      fromHost = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
      if (!fromHost) await new Promise((r) => setTimeout(r, 200));
    }
    const r = tracked(await done);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // docker-run: entrypoint `sh -c` with the cmd as one word, run as nobody in /tmp with the env.
    const sideSays = 'user=65534 dir=/tmp env=hello-side/two words';
    expect(r.stdout).toContain(sideSays);
    expect(fromHost.trim()).toBe(sideSays);

    // docker-build: the quiet build prints no build steps; no-cache builds every step again.
    expect(stepSection(r.stdout, 'warm build')).toMatch(/Step 1\/\d+ : FROM/);
    const fresh = stepSection(r.stdout, 'fresh build');
    expect(fresh).toMatch(/Step \d+\/\d+ : RUN wget/);
    expect(fresh).not.toContain('Using cache');
    expect(stepSection(r.stdout, 'quiet build')).not.toMatch(/Step \d+\//);
    expect(r.stdout).toContain(`Pushed ${ref}:img`);
    expect(await leftovers('itbuildpush1')).toEqual([]);

    // The pushed image, pulled back: built from app/ with Dockerfile.alt, the build arg, the labels,
    // and the side container reached by name during the build.
    await docker!.removeImage(`${ref}:img`);
    await docker!.pullImage(`${ref}:img`, { auth: { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host } });
    const info = await docker!.inspectImage(`${ref}:img`);
    expect(info.labels).toMatchObject({ team: 'core', stage: 'test' });
    const ran = await runOnce(docker!, { name: `werker-it-built-${Date.now()}`, image: `${ref}:img`, labels: { 'werker.test': 'built' } });
    expect(ran.code).toBe(0);
    const logs = ran.logs;
    expect(logs).toContain('from the app context');
    expect(logs).toContain('greeting=hello-arg');
    expect(logs).toContain(sideSays);
  });
});

/** Whether the local registry holds `repo:tag`. */
async function inRegistry(repo: string, tag: string): Promise<boolean> {
  const auth = `Basic ${Buffer.from(`${REGISTRY.username}:${REGISTRY.password}`).toString('base64')}`;
  const res = await fetch(`http://${REGISTRY.host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { authorization: auth, accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  return res.ok;
}

describe.skipIf(!docker)('§6 / §6.1 / §8.3 docker-push in commit mode with --docker-local', () => {
  it('syncs the shell\'s env before the step (not with disable-sync), gives no WERCKER_STEP_*, sets user, stopsignal, volumes, env, labels, author and message over the box\'s CMD and env; --docker-local only tags; a label without = fails the step', async () => {
    const repo = `werker-it/pushopts-${Date.now().toString(36)}`;
    const ref = `${REGISTRY.host}/${repo}`;
    const tags = ['first', 'unsynced', 'synced', 'bad'];
    images.push(...tags.map((t) => `${ref}:${t}`));
    registryTags.push([repo, tags]);
    const r = tracked(await runCli(['build', fixture('compat-6.1-push-options'), '--working-dir', workDir(), '--run-id', 'itpushopts1', '--docker-local'], { env: { X_PUSH_REPO: ref } }));
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain(`--docker-local: tagged ${ref}:synced, not pushed`);
    expect(r.stdout).toMatch(/Step failed: bad label[\s\S]*nolabel/);
    for (const tag of ['first', 'unsynced', 'synced']) expect(await inRegistry(repo, tag), tag).toBe(false);
    expect(await leftovers('itpushopts1')).toEqual([]);

    const config = async (tag: string) => (await docker!.docker.getImage(`${ref}:${tag}`).inspect());
    // No WERCKER_STEP_* of an internal step's own: without a sync it has none; after a sync, the
    // last script step's, left in the shell (docs/wercker-compat.md §3.3: never unset).
    expect((await config('first')).Config.Env).toEqual(expect.arrayContaining(['STEP_ID=x', 'STEP_NAME=x', 'STEP_ROOT=x']));
    // The shell's export reaches the step's options through the sync, not with disable-sync.
    expect((await config('unsynced')).Config.Env).toContain('SEEN=x');
    const synced = await config('synced');
    expect(synced.Config.Env).toEqual(expect.arrayContaining(['SEEN=from-the-shellx', 'TWO=a b', 'STEP_NAME=scriptx', 'BOX_GREETING=from the box', 'IDLE_ENV_MODE=resting']));
    // The image has the container's env, not the shell's exports.
    expect(synced.Config.Env.some((e: string) => e.startsWith('SHELL_EXPORT='))).toBe(false);
    expect(synced.Config.User).toBe('nobody');
    expect((synced.Config as { StopSignal?: string }).StopSignal).toBe('SIGINT');
    expect(Object.keys(synced.Config.Volumes ?? {}).sort()).toEqual(['/cache', '/data']);
    expect(synced.Config.Labels).toMatchObject({ team: 'core', motto: 'hello world' });
    expect(synced.Author).toBe('Ada <ada@example.invalid>');
    expect(synced.Comment).toBe('committed by the test');
    // No cmd given: the box's shell CMD stays.
    expect(synced.Config.Cmd).toEqual(['/bin/sh', '-c', 'if [ -e /bin/bash ]; then /bin/bash; else /bin/sh; fi']);
  });
});

describe.skipIf(!docker)('§7.2 where a registry step\'s package comes from', () => {
  it('the step cache is used once there, even over a built-in; a .tar.gz URL is downloaded and unpacked', async () => {
    // A step package as a .tar.gz, served over HTTP on loopback.
    const pkgDir = workDir();
    writeTree(pkgDir, {
      'tarstep/step.yml': 'name: tarstep\nversion: 1.0.0\nproperties:\n  - name: word\n    type: string\n    default: from-the-default\n',
      'tarstep/run.sh': 'echo "tarstep ran with word=$WERCKER_TARSTEP_WORD"\n',
    });
    const tarball = path.join(pkgDir, 'tarstep.tar.gz');
    execFileSync('tar', ['czf', tarball, '-C', pkgDir, 'tarstep']);
    const served: string[] = [];
    const server = createHttpServer((req, res) => {
      served.push(req.url ?? '');
      if (req.url !== '/steps/tarstep.tar.gz') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(readFileSync(tarball));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;

    const project = workDir();
    const wd = workDir();
    writeTree(project, {
      'wercker.yml': [
        'box: werker-test/busybox',
        'build:',
        '  steps:',
        '    - someone/greeter@1.0.0',
        '    - install-packages:',
        '        packages: never-installed',
        `    - tarstep "http://127.0.0.1:${port}/steps/tarstep.tar.gz"`,
        '',
      ].join('\n'),
    });
    // In the step cache: a step no source has, and one that shadows werker's built-in.
    writeTree(wd, {
      'steps/someone-greeter@1.0.0/run.sh': 'echo "greeter from the step cache"\n',
      'steps/wercker-install-packages/run.sh': 'echo "install-packages from the step cache: $WERCKER_INSTALL_PACKAGES_PACKAGES"\n',
    });
    try {
      const plan = await runCli(['plan', project, '--working-dir', wd]);
      expect(plan.stdout).toContain(`cache ${path.join(wd, 'steps', 'someone-greeter@1.0.0')}`);
      const r = tracked(await runCli(['build', project, '--working-dir', wd, '--run-id', 'itstepcache1']));
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('greeter from the step cache');
      expect(r.stdout).toContain('install-packages from the step cache: never-installed');
      expect(r.stdout).toContain('tarstep ran with word=from-the-default');
      expect(served).toContain('/steps/tarstep.tar.gz');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** The containers of a run while it goes on, inspected by the engine. */
async function runContainers(runId: string): Promise<Array<{ name: string; dns: string[]; memory: number; swap: number }>> {
  // Running ones only, and one that goes between the list and the inspect is skipped: a run may
  // have short-lived containers of its own (under load the list can catch one as it is removed).
  const list = await docker!.docker.listContainers({ filters: { label: [`werker.run=${runId}`], status: ['running'] } });
  const inspected = await Promise.all(list.map(async (c) => {
    const raw = await docker!.docker.getContainer(c.Id).inspect().catch(() => undefined);
    return raw && { name: raw.Name.replace(/^\//, ''), dns: raw.HostConfig.Dns ?? [], memory: raw.HostConfig.Memory ?? 0, swap: raw.HostConfig.MemorySwap ?? 0 };
  }));
  return inspected.filter((c) => c !== undefined);
}

/** The box's container (src/plan/plan.ts names it); services are `wercker-service-…`. */
const isBox = (c: { name: string }): boolean => c.name.startsWith('wercker-pipeline-');

/** Runs a build and inspects its containers while its `hold` step sleeps. */
async function buildAndInspect(args: string[], runId: string): Promise<{ r: Awaited<ReturnType<typeof runCli>>; containers: Awaited<ReturnType<typeof runContainers>> }> {
  const { done } = spawnCli([...args, '--run-id', runId]);
  let finished = false;
  void done.then(() => (finished = true));
  let containers: Awaited<ReturnType<typeof runContainers>> = [];
  while (!finished) {
    // Services start before the box, so once the box runs every container of the run is there.
    if ((await runContainers(runId)).some(isBox)) {
      await new Promise((r) => setTimeout(r, 1000));
      containers = await runContainers(runId);
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { r: tracked(await done), containers };
}

const FLAGS_YML = (extra: string): string => [
  extra,
  'box: werker-test/busybox',
  'build:',
  '  steps:',
  '    - script:',
  '        name: hold',
  '        code: |',
  '          echo "in $(pwd)"; ls -a "$WERCKER_SOURCE_DIR" "$WERCKER_ROOT" | sort -u | tr "\\n" " "; echo',
  '          sleep 6',
  '',
].join('\n');

describe.skipIf(!docker)('§8.3 pipeline flags on the box', () => {
  it('--docker-dns and --docker-memory set the box\'s DNS and memory; --ignore-file replaces .werckerignore; --source-dir is where steps start', async () => {
    const project = workDir();
    writeTree(project, {
      'wercker.yml': FLAGS_YML(''),
      '.werckerignore': 'default-ignored.txt\n',
      'my.ignore': 'custom-ignored.txt\n',
      'default-ignored.txt': 'x', 'custom-ignored.txt': 'x', 'kept.txt': 'x', 'sub/in-sub.txt': 'x',
    });
    const { r, containers } = await buildAndInspect(['build', project, '--working-dir', workDir(), '--docker-dns', '192.0.2.53', '--docker-memory', '300', '--ignore-file', 'my.ignore', '--source-dir', 'sub'], 'itflagsbox1');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(containers).toHaveLength(1);
    expect(containers[0]).toMatchObject({ dns: ['192.0.2.53'], memory: 300 * 1024 * 1024, swap: 2 * 300 * 1024 * 1024 });
    expect(r.stdout).toContain('in /pipeline/source/sub');
    expect(r.stdout).toContain('in-sub.txt');
    expect(r.stdout).toMatch(/default-ignored\.txt/);
    expect(r.stdout).toMatch(/kept\.txt/);
    expect(r.stdout).not.toMatch(/custom-ignored\.txt/);
  });

  it('the yml\'s source-dir wins over --source-dir; .werckerignore is the default; --docker-dns is the box\'s only; with a service the box gets 75% of --docker-memory', async () => {
    const project = workDir();
    writeTree(project, {
      'wercker.yml': FLAGS_YML('source-dir: other\nservices:\n  - id: werker-test/busybox\n    name: idle\n    cmd: sleep 60'),
      '.werckerignore': 'default-ignored.txt\n',
      'default-ignored.txt': 'x', 'kept.txt': 'x', 'sub/in-sub.txt': 'x', 'other/in-other.txt': 'x',
    });
    const { r, containers } = await buildAndInspect(['build', project, '--working-dir', workDir(), '--docker-dns', '192.0.2.53', '--docker-memory', '400', '--source-dir', 'sub'], 'itflagsbox2');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const box = containers.find(isBox);
    const service = containers.find((c) => c !== box);
    expect(box, JSON.stringify(containers)).toMatchObject({ dns: ['192.0.2.53'], memory: 300 * 1024 * 1024 });
    expect(service?.dns).toEqual([]);
    expect(r.stdout).toContain('in /pipeline/source/other');
    expect(r.stdout).toContain('in-other.txt');
    expect(r.stdout).toMatch(/kept\.txt/);
    expect(r.stdout).not.toMatch(/default-ignored\.txt/);
  });
});

describe('§8.2 --no-colors', () => {
  /** werker's check-config on a terminal (util-linux `script` gives it one), NO_COLOR unset. */
  function onTerminal(flags: string[], project: string): string {
    const env = { ...process.env };
    delete env.NO_COLOR;
    const cli = [process.execPath, ...cliCommand(), ...flags, 'check-config', project];
    return execFileSync('script', ['-qec', cli.map((w) => `'${w}'`).join(' '), '/dev/null'], { env, encoding: 'utf8' });
  }

  it('a terminal gets colours, and none with --no-colors', () => {
    const project = workDir();
    writeTree(project, { 'wercker.yml': 'box: werker-test/busybox\nbuild:\n  steps: 3\n' });
    const ANSI = /\x1b\[\d+m/;
    const coloured = onTerminal([], project);
    expect(coloured).toContain('build.steps: warning');
    expect(coloured).toMatch(ANSI);
    const plain = onTerminal(['--no-colors'], project);
    expect(plain).toContain('build.steps: warning');
    expect(plain).not.toMatch(ANSI);
  });
});

describe.skipIf(!docker)('§6 / §8.3 refused before anything is fetched', () => {
  it('an unknown internal/x is refused before the run, naming the internal steps werker has', async () => {
    const project = workDir();
    writeTree(project, { 'wercker.yml': 'box: werker-test/busybox\nbuild:\n  steps:\n    - internal/frobnicate:\n        x: 1\n    - script:\n        code: echo SHOULD NOT RUN\n' });
    const r = await runCli(['build', project, '--working-dir', workDir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/wercker\.yml:4:7 build\.steps: error: werker has no internal step "internal\/frobnicate" \(it has internal\/docker-push, .*internal\/docker-build/);
    expect(r.stdout).not.toContain('SHOULD NOT RUN');
  });

  it('--docker-local asks no registry for a missing box; without it the engine does', async () => {
    const asked: string[] = [];
    const registry = createHttpServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN","message":"not here"}]}');
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const port = (registry.address() as { port: number }).port;
    const project = workDir();
    writeTree(project, { 'wercker.yml': `box: 127.0.0.1:${port}/werker-it/never-pushed:1\nbuild:\n  steps:\n    - script:\n        code: echo SHOULD NOT RUN\n` });
    try {
      const local = await runCli(['build', project, '--working-dir', workDir(), '--docker-local']);
      expect(local.code).not.toBe(0);
      expect(local.stdout + local.stderr).toContain(`image 127.0.0.1:${port}/werker-it/never-pushed:1 is not on the engine`);
      expect(asked).toEqual([]);
      const pulled = await runCli(['build', project, '--working-dir', workDir()]);
      expect(pulled.code).not.toBe(0);
      expect(asked.some((a) => a.includes('/v2/'))).toBe(true);
    } finally {
      await new Promise((resolve) => registry.close(resolve));
    }
  });
});

describe.skipIf(!docker)('§8.4 a step that timed out', () => {
  it('the box is started again: the snapshot has the step\'s files but not its env, and werker says so', async () => {
    const project = workDir();
    writeTree(project, {
      'wercker.yml': [
        'box: werker-test/busybox',
        'build:',
        '  steps:',
        '    - script:',
        '        name: one',
        '        code: export EARLIER=from-one',
        '    - script:',
        '        name: times out',
        '        code: |',
        '          export LATER=from-the-timed-out-step',
        '          echo made > "$WERCKER_SOURCE_DIR/by-timed-out.txt"',
        '          cd /tmp',
        '          echo started-sleeping',
        '          sleep 600',
        '',
      ].join('\n'),
    });
    const r = tracked(await runCli(['build', project, '--working-dir', workDir(), '--command-timeout', '0.05', '--run-id', 'ittimedout1']));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Step failed: times out[\s\S]*Command timed out/);
    expect(r.stdout).toContain('step times out was still running: the box is started again, so its environment and directory are lost (its files stay)');
    const ref = /werker-snapshot:[0-9a-f]+/.exec(r.stdout)?.[0];
    expect(ref, r.stdout).toBeDefined();
    expect(await leftovers('ittimedout1')).toEqual([]);

    const info = readSnapshotLabels((await docker!.inspectImage(ref!)).labels);
    expect(info).toMatchObject({ run: 'ittimedout1', step: 'times out' });
    // The restarted box's shell has none of the killed shell's exports: not the step's, nor the earlier ones.
    expect(info!.env.map(([k]) => k)).not.toContain('LATER');
    expect(info!.env.map(([k]) => k)).not.toContain('EARLIER');
    const ran = await runOnce(docker!, { name: `werker-it-timedout-${Date.now()}`, image: ref!, cmd: ['cat', '/pipeline/source/by-timed-out.txt'], labels: { 'werker.test': 'timedout' } });
    expect(ran.code).toBe(0);
    expect(ran.logs).toContain('made');
  });
});

describe.skipIf(!docker)('§6.3 docker-build registry-auth-config', () => {
  it('the build pulls a FROM image from a registry that wants a login with the credentials given; without them it is refused', async () => {
    // A base image only the registry has, behind its login.
    const base = `${REGISTRY.host}/werker-it/authbase-${Date.now().toString(36)}`;
    const auth = { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host };
    await docker!.tagImage('werker-test/busybox:latest', base, '1');
    await docker!.pushImage(base, '1', { auth });
    await docker!.removeImage(`${base}:1`);
    registryTags.push([base.slice(REGISTRY.host.length + 1), ['1']]);
    images.push(`${base}:1`);
    const yml = (withAuth: boolean): string => [
      'box: werker-test/busybox',
      'build:',
      '  steps:',
      '    - internal/docker-build:',
      '        image-name: fromauth',
      ...(withAuth ? ['        registry-auth-config: \'{"127.0.0.1:5000": {"username": "$REGISTRY_USER", "password": "$REGISTRY_PASSWORD"}}\''] : []),
      '',
    ].join('\n');
    const env = registryEnv('unused');
    const project = workDir();
    writeTree(project, { 'Dockerfile': `FROM ${base}:1\nRUN echo "built on the private base"\n`, 'wercker.yml': yml(false) });
    const refused = tracked(await runCli(['build', project, '--working-dir', workDir(), '--run-id', 'itregauth1'], { env }));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/no basic auth credentials|unauthorized|authentication required/i);
    // §8.4: a failed internal step left the shell idle, so the box is not started again.
    expect(refused.stdout).not.toContain('was still running');
    expect(refused.stdout).toContain('kept a snapshot of the box');
    await docker!.removeImage(`${base}:1`).catch(() => undefined);

    writeTree(project, { 'wercker.yml': yml(true) });
    const r = tracked(await runCli(['build', project, '--working-dir', workDir(), '--run-id', 'itregauth2'], { env }));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('built on the private base');
    expect(r.stdout + r.stderr).not.toContain(REGISTRY.password);
    expect(await leftovers('itregauth2')).toEqual([]);
  });
});
