import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeLeftovers } from '../../src/engine/cleanup.ts';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { fixture, runCli } from '../helpers/cli.ts';
import { BUSYBOX, containersMentioning, dockerCli, requireDocker, runOnce } from '../helpers/docker.ts';
import { REGISTRY, deleteRegistryTags } from '../helpers/registry.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// werker's internal Docker steps as wercker ran them (docs/wercker-compat.md §6.1, §6.3, §6.4,
// §6.8, §8.3), each run as a user runs it: the CLI on the real engine and the local registry.
const docker: DockerRuntime | undefined = await requireDocker();
const workDir = tempDirs('werker-docker-steps');
const suffix = Date.now().toString(36);
/** Images the tests made on the engine, and registry tags they pushed: all removed at the end. */
const images: string[] = [];
const registryTags: [string, string[]][] = [];
afterAll(async () => {
  for (const i of images) dockerCli(['image', 'rm', '-f', i], true);
  for (const [repo, tags] of registryTags) await deleteRegistryTags(repo, tags);
});

const registryAuth = { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host };
const credentials = { X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: REGISTRY.password };

/** Puts busybox in the local registry as `repo:tag` (a file marks which tag it is), and off the engine. */
async function seedRegistry(repo: string, tags: string[]): Promise<void> {
  const ref = `${REGISTRY.host}/${repo}`;
  registryTags.push([repo, tags]);
  for (const tag of tags) {
    const id = await docker!.createContainer({ name: `werker-it-seed-${suffix}-${tag}`, image: BUSYBOX, cmd: ['sh', '-c', `echo ${tag} > /etc/werker-origin`], labels: { 'werker.test': 'seed' } });
    try {
      await docker!.startContainer(id);
      await docker!.waitContainer(id);
      await docker!.commitContainer(id, { repo: ref, tag });
    } finally {
      await docker!.removeContainer(id, { force: true });
    }
    await docker!.pushImage(ref, tag, { auth: registryAuth });
    await docker!.removeImage(`${ref}:${tag}`);
    images.push(`${ref}:${tag}`);
  }
}

describe.skipIf(!docker)('internal Docker steps', () => {
  it('§6.4: a host-less image with registry, username and password is pulled from that registry: the box, a service and docker-run', async () => {
    const repo = `werker-it/pulls-${suffix}`;
    await seedRegistry(repo, ['box', 'svc', 'side']);
    const r = await runCli(['build', fixture('docker-registry-pulls'), '--working-dir', workDir(), '--run-id', `pulls${suffix}`], {
      env: { ...credentials, X_REGISTRY_REPO: repo },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('box ran box');
    expect(r.stdout).toContain(`started side (${REGISTRY.host}/${repo}:side)`);
    for (const tag of ['box', 'svc', 'side']) expect(await docker!.imageExists(`${REGISTRY.host}/${repo}:${tag}`)).toBe(true);
    expect(r.stdout + r.stderr).not.toContain(REGISTRY.password);
  });

  it('§8.3: --docker-cleanup-image removes the pushed tags from the engine after internal/docker-push; the registry keeps them', async () => {
    const repo = `werker-it/cleanup-${suffix}`;
    const ref = `${REGISTRY.host}/${repo}`;
    images.push(`${ref}:c1eaa01`, `${ref}:latest`);
    registryTags.push([repo, ['c1eaa01', 'latest']]);
    const r = await runCli(['build', fixture('docker-push'), '--working-dir', workDir(), '--git-commit', 'c1eaa01', '--docker-cleanup-image'], {
      env: { ...credentials, X_REGISTRY_REPO: repo, X_APP_PORT: '8000' },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Pushed ${ref}:c1eaa01`);
    expect(r.stdout).toContain(`removed ${ref}:latest from the engine (--docker-cleanup-image)`);
    for (const tag of ['c1eaa01', 'latest']) {
      expect(await docker!.imageExists(`${ref}:${tag}`)).toBe(false);
      expect(await manifestStatus(repo, tag)).toBe(200);
    }
  });

  it('§6.1: auth-server is where the engine logs in with the credentials before the push; a server that refuses fails the step before anything is pushed', async () => {
    const repo = `werker-it/authserver-${suffix}`;
    const ref = `${REGISTRY.host}/${repo}`;
    images.push(`${ref}:pushed`);
    registryTags.push([repo, ['pushed']]);
    const closed = await closedPort();
    const refused = await runCli(['build', fixture('docker-push-auth-server'), '--working-dir', workDir(), '--no-snapshot'], {
      env: { ...credentials, X_REGISTRY_REPO: repo, X_AUTH_SERVER: `127.0.0.1:${closed}` },
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`the auth server 127.0.0.1:${closed} refused the login`);
    expect(refused.stdout).toContain('connection refused');
    expect(await manifestStatus(repo, 'pushed')).toBe(404);

    const ok = await runCli(['build', fixture('docker-push-auth-server'), '--working-dir', workDir()], {
      env: { ...credentials, X_REGISTRY_REPO: repo, X_AUTH_SERVER: `http://${REGISTRY.host}/v2/` },
    });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`Login Succeeded at http://${REGISTRY.host}/v2/`);
    expect(ok.stdout).toContain(`Pushed ${ref}:pushed`);
    expect(await manifestStatus(repo, 'pushed')).toBe(200);
    expect(refused.stdout + refused.stderr + ok.stdout + ok.stderr).not.toContain(REGISTRY.password);
  });

  it('§6.3: docker-build removes its intermediate containers; with --no-remove they are kept', async () => {
    const marker = `werker-intermediate-${suffix}`;
    const removed = await runCli(['build', markedBuildProject(marker), '--working-dir', workDir(), '--run-id', `inter1${suffix}`]);
    expect(removed.code, removed.stdout + removed.stderr).toBe(0);
    expect(containersMentioning(marker)).toEqual([]);
    images.push(`inter2${suffix}marked`);
    try {
      const kept = await runCli(['build', markedBuildProject(marker), '--working-dir', workDir(), '--run-id', `inter2${suffix}`, '--no-remove']);
      expect(kept.code, kept.stdout + kept.stderr).toBe(0);
      // One container for each RUN step, as `docker ps -a` shows them.
      expect(containersMentioning(marker)).toHaveLength(2);
    } finally {
      for (const id of containersMentioning(marker)) dockerCli(['rm', '-f', id], true);
      await removeLeftovers(docker!, { runId: `inter2${suffix}` });
    }
  });

  it('§6.8: internal/store-container commits the box as run-<run id>:latest and exports it into builds/<run>/docker.tar.gz, which docker load reads', async () => {
    const wd = workDir();
    const runId = `store1${suffix}`;
    const ref = `run-${runId}:latest`;
    images.push(ref);
    const r = await runCli(['build', storeContainerProject(), '--working-dir', wd, '--run-id', runId]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const file = path.join(wd, 'builds', runId, 'docker.tar.gz');
    expect(r.stdout).toContain(`stored ${ref} in ${file}`);
    expect(readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
    // The image went with the run; the file is what stays.
    expect(await docker!.imageExists(ref)).toBe(false);
    const loaded = await loadAndRead(file, ref);
    expect(loaded.said).toContain(`Loaded image: ${ref}`);
    expect(loaded.content).toContain('stored by werker');
  });

  it('§6.8: with --commit, --tag and --message the stored box is REPO:TAG, and the image stays on the engine', async () => {
    const wd = workDir();
    const runId = `store2${suffix}`;
    const ref = `werker-it/stored-${suffix}:t1`;
    images.push(ref);
    const r = await runCli(['build', storeContainerProject(), '--working-dir', wd, '--run-id', runId, '--commit', `werker-it/stored-${suffix}`, '--tag', 't1', '--message', 'stored on purpose']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await docker!.inspectImage(ref)).id).toMatch(/^sha256:/);
    expect(dockerCli(['image', 'inspect', '--format', '{{.Comment}}', ref]).trim()).toBe('stored on purpose');
    dockerCli(['image', 'rm', ref]);
    const loaded = await loadAndRead(path.join(wd, 'builds', runId, 'docker.tar.gz'), ref);
    expect(loaded.said).toContain(`Loaded image: ${ref}`);
    expect(loaded.content).toContain('stored by werker');
  });

  it('§6.3: squash is passed to the engine; one without experimental mode refuses it, and the step says what to do', async () => {
    images.push(`squash1${suffix}squashed`);
    const r = await runCli(['build', fixture('docker-build-squash'), '--working-dir', workDir(), '--run-id', `squash1${suffix}`, '--no-snapshot']);
    if (dockerCli(['version', '--format', '{{.Server.Experimental}}']).trim() === 'true') {
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return;
    }
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the engine refused to squash the image');
    expect(r.stdout).toContain('squash is only supported with experimental mode');
    expect(r.stdout).toMatch(/"experimental": true in \/etc\/docker\/daemon\.json.*or remove squash from the step/);
  });
});

/** A project whose Dockerfile has two RUN steps that print `marker`, so their containers can be found. */
function markedBuildProject(marker: string): string {
  const dir = workDir();
  writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo ${marker} one > /one\nRUN echo ${marker} two > /two\n`);
  writeFileSync(path.join(dir, 'wercker.yml'), `box: ${BUSYBOX}\nbuild:\n  steps:\n    - internal/docker-build:\n        image-name: marked\n`);
  return dir;
}

/** A project (not a git checkout, so no branch names the tag) whose box leaves a file, then internal/store-container. */
function storeContainerProject(): string {
  const dir = workDir();
  writeFileSync(path.join(dir, 'wercker.yml'), [
    `box: ${BUSYBOX}`, 'build:', '  steps:',
    '    - script:', '        name: leave a file', '        code: echo "stored by werker" > /stored.txt',
    '    - internal/store-container', '',
  ].join('\n'));
  return dir;
}

/** `docker load -i file`, what it says, and the file the loaded image carries. */
async function loadAndRead(file: string, ref: string): Promise<{ said: string; content: string }> {
  const said = dockerCli(['load', '-i', file]);
  const ran = await runOnce(docker!, { name: `werker-it-stored-${suffix}-${Date.now()}`, image: ref, cmd: ['cat', '/stored.txt'], labels: { 'werker.test': 'store' } });
  return { said, content: ran.logs };
}

/** A loopback port nothing listens on (taken, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What the local registry answers for a tag's manifest (200: it has the image). */
async function manifestStatus(repo: string, tag: string): Promise<number> {
  const auth = `Basic ${Buffer.from(`${REGISTRY.username}:${REGISTRY.password}`).toString('base64')}`;
  const res = await fetch(`http://${REGISTRY.host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { authorization: auth, accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  return res.status;
}
