import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { fixture, runCli } from '../helpers/cli.ts';
import { requireDocker, runLeftovers, runOnce } from '../helpers/docker.ts';
import { REGISTRY } from '../helpers/registry.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// The wercker behaviours of docs/wercker-compat.md that the engine carries, each on the real
// engine through the CLI, named after its section.
const docker: DockerRuntime | undefined = await requireDocker();
const workDir = tempDirs('werker-compat');
const images: string[] = [];
afterAll(async () => {
  for (const i of images) await docker?.removeImage(i).catch(() => undefined);
});

const leftovers = (runId: string): Promise<string[]> => runLeftovers(docker!, runId);

describe.skipIf(!docker)('§6.3 internal/docker-build extra-hosts', () => {
  it('adds every shell-split host:ip word to the build\'s /etc/hosts', async () => {
    images.push('itxhosts01hosts:latest');
    const r = await runCli(['build', fixture('compat-6.3-extra-hosts'), '--working-dir', workDir(), '--run-id', 'itxhosts01']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/127\.0\.1\.5\s+alpha\.internal/);
    expect(r.stdout).toMatch(/127\.0\.1\.6\s+beta\.internal/);
    expect(r.stdout).toContain('both extra hosts are in /etc/hosts');
  });
});

describe.skipIf(!docker)('§6.4 --image-map for every image a run asks for', () => {
  const maps = ['example.invalid/box=werker-test/busybox', 'example.invalid/base=werker-test/busybox', 'example.invalid/server=werker-test/busybox'].flatMap((m) => ['--image-map', m]);

  it('maps the box, a Dockerfile\'s FROM and internal/docker-run\'s image; docker-kill stops the mapped container', async () => {
    images.push('itimgmap01img:latest');
    const r = await runCli(['build', fixture('compat-6.4-image-map'), '--working-dir', workDir(), '--run-id', 'itimgmap01', ...maps]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('built on the mapped base');
    expect(r.stdout).toContain('started side (werker-test/busybox:latest)');
    expect(r.stdout).toContain('side answered');
    expect(r.stdout).toContain('side is gone');
    expect(await leftovers('itimgmap01')).toEqual([]);
  });

  it('werker plan shows docker-run\'s image as mapped', async () => {
    const r = await runCli(['plan', fixture('compat-6.4-image-map'), '--working-dir', workDir(), ...maps]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('box: werker-test/busybox:latest  (wercker.yml: example.invalid/box:1; image map: --image-map)');
    expect(r.stdout).toContain('image: werker-test/busybox:latest  (wercker.yml: example.invalid/server:2; image map: --image-map)');
  });
});

describe.skipIf(!docker)('§2.4 / §5.2 --enable-volumes', () => {
  it('mounts box and service volumes (each side expanded, a lone path on both sides): a step\'s writes reach the host', async () => {
    const host = workDir();
    const r = await runCli(['build', fixture('compat-2.4-volumes'), '--working-dir', workDir(), '--enable-volumes', '--run-id', 'itvolumes01'], { env: { X_HOST_DIR: host } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(path.join(host, 'box', 'from-box.txt'), 'utf8')).toBe('from-box\n');
    expect(readFileSync(path.join(host, 'same', 'same.txt'), 'utf8')).toBe('same-path\n');
    // The step wrote to the service over the network; the service wrote into its volume.
    expect(readFileSync(path.join(host, 'svc', 'from-step.txt'), 'utf8')).toContain('from-step');
    expect(r.stdout).not.toContain('not mounted');
    expect(await leftovers('itvolumes01')).toEqual([]);
  });

  it('without the flag, mounts none and says so', async () => {
    const host = workDir();
    const r = await runCli(['build', fixture('compat-2.4-volumes'), '--working-dir', workDir()], { env: { X_HOST_DIR: host } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('volumes of the box, service store are not mounted: pass --enable-volumes to mount them');
    expect(existsSync(path.join(host, 'box', 'from-box.txt'))).toBe(false);
    expect(existsSync(path.join(host, 'svc', 'from-step.txt'))).toBe(false);
  });
});

describe.skipIf(!docker)('§6.2 internal/docker-scratch-push', () => {
  it('pushes the output dir as / of a one-layer image from scratch with cmd, env, ports, working-dir and volumes', async () => {
    const repo = `werker-it/scratch-${Date.now().toString(36)}`;
    const ref = `${REGISTRY.host}/${repo}`;
    images.push(`${ref}:5c4a7c4`, `${ref}:latest`);
    const r = await runCli(['build', fixture('compat-6.2-scratch-push'), '--working-dir', workDir(), '--git-commit', '5c4a7c4', '--run-id', 'itscratch01'], {
      env: { X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: REGISTRY.password, X_REGISTRY_REPO: repo },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Pushed ${ref}:5c4a7c4`);
    expect(r.stdout).toContain(`Pushed ${ref}:latest`);
    expect(r.stdout + r.stderr).not.toContain(REGISTRY.password);

    // Pulled back from the registry, it is what the options said, and nothing else.
    for (const tag of ['5c4a7c4', 'latest']) await docker!.removeImage(`${ref}:${tag}`);
    await docker!.pullImage(`${ref}:5c4a7c4`, { auth: { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host } });
    const raw = await docker!.docker.getImage(`${ref}:5c4a7c4`).inspect();
    expect(raw.Architecture).toBe('amd64');
    expect(raw.Os).toBe('linux');
    expect(raw.RootFS.Layers).toHaveLength(1);
    expect(raw.Config.Cmd).toEqual(['/bin/busybox', 'sh', '-c', 'cat hello.txt; echo "greeting=$GREETING motto=$MOTTO"; /bin/busybox ls /']);
    expect(raw.Config.Env).toEqual(['GREETING=hi', 'MOTTO=a b']);
    expect(Object.keys(raw.Config.ExposedPorts ?? {}).sort()).toEqual(['8080/tcp', '9000/udp']);
    expect(raw.Config.WorkingDir).toBe('/app');
    expect(Object.keys(raw.Config.Volumes ?? {})).toEqual(['/data']);
    expect(raw.Config.User ?? '').toBe('');
    expect(raw.Config.Labels ?? {}).toEqual({});
    const ran = await runOnce(docker!, { name: `werker-it-scratch-${Date.now()}`, image: `${ref}:5c4a7c4`, labels: { 'werker.test': 'scratch' } });
    expect(ran.code).toBe(0);
    const logs = ran.logs;
    expect(logs).toContain('hello from scratch');
    expect(logs).toContain('greeting=hi motto=a b');
    // The output's contents are the root: no output/ or pipeline/ directory.
    expect(logs.split(/\s+/).filter(Boolean).sort()).toEqual(expect.arrayContaining(['app', 'bin']));
    expect(logs).not.toMatch(/\b(output|pipeline)\b/);
  });

  it('takes the source when the output holds no file; --docker-local only tags', async () => {
    images.push('werker-it/scratch-from-source:5c4a7c5');
    const r = await runCli(['build', fixture('compat-6.2-scratch-push'), '--pipeline', 'from-source', '--working-dir', workDir(), '--git-commit', '5c4a7c5', '--docker-local']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('not pushed');
    const ran = await runOnce(docker!, { name: `werker-it-scratch-src-${Date.now()}`, image: 'werker-it/scratch-from-source:5c4a7c5', labels: { 'werker.test': 'scratch' } });
    expect(ran.code).toBe(0);
    expect(ran.logs).toContain('from the source');
  });
});

describe.skipIf(!docker)('§4.3 /pipeline is an ordinary directory', () => {
  it('a step may remove and remake /pipeline: later steps, after-steps and artifacts go on; the remade cache replaces the host\'s', async () => {
    const wd = workDir();
    mkdirSync(path.join(wd, 'cache'), { recursive: true });
    writeFileSync(path.join(wd, 'cache', 'seed.txt'), 'seed\n');
    const r = await runCli(['build', fixture('compat-4.3-pipeline-dir'), '--working-dir', wd, '--artifacts', '--run-id', 'itpipedir01']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('/pipeline is gone');
    expect(r.stdout).toContain('later step ran in /pipeline/source');
    expect(r.stdout).toContain('after-step ran, result passed');
    expect(readFileSync(path.join(wd, 'builds/itpipedir01/output/result.txt'), 'utf8')).toBe('rebuilt\n');
    // The box's cache dir was a copy: removing it did not touch the host's; the remade one replaced it at the end.
    expect(readFileSync(path.join(wd, 'cache', 'new.txt'), 'utf8')).toBe('new cache\n');
    expect(existsSync(path.join(wd, 'cache', 'seed.txt'))).toBe(false);
    expect(await leftovers('itpipedir01')).toEqual([]);
  });

  it('removed and not made again, the next step fails to set up and says why; the host cache is kept', async () => {
    const wd = workDir();
    mkdirSync(path.join(wd, 'cache'), { recursive: true });
    writeFileSync(path.join(wd, 'cache', 'seed.txt'), 'seed\n');
    const r = await runCli(['build', fixture('compat-4.3-pipeline-dir'), '--pipeline', 'gone', '--working-dir', wd]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Step failed: later step[\s\S]*could not be set up in \/pipeline[\s\S]*hint: .*must make them again/);
    expect(r.stdout).not.toContain('NOT REACHED');
    expect(readFileSync(path.join(wd, 'cache', 'seed.txt'), 'utf8')).toBe('seed\n');
  });

  it('a committed box (internal/docker-push) carries the source and output but none of werker\'s files', async () => {
    images.push('werker-it/commit-check:c0mm17');
    const r = await runCli(['build', fixture('compat-4.3-pipeline-dir'), '--pipeline', 'commit', '--working-dir', workDir(), '--git-commit', 'c0mm17', '--docker-local']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('steps still run after the commit');
    const ran = await runOnce(docker!, { name: `werker-it-commit-${Date.now()}`, image: 'werker-it/commit-check:c0mm17', labels: { 'werker.test': 'commit' } });
    expect(ran.code).toBe(0);
    const listing = ran.logs;
    expect(listing).toContain('made.txt');
    expect(listing.split(/\s+/)).toEqual(expect.arrayContaining(['cache', 'output', 'source']));
    expect(listing).not.toMatch(/wercker-init|make-something|init\.sh|run\.sh/);
    expect(listing).toContain('end-of-listing');
  });
});

describe.skipIf(!docker)('§5.4 services from a local project', () => {
  const consumer = path.join(fixture('compat-5.4-local-service'), 'consumer');

  it('builds the project\'s pipeline, commits its box and runs it as the service with its cmd, link variables and alias; the image is removed after', async () => {
    const r = await runCli(['build', consumer, '--working-dir', workDir(), '--run-id', 'itlocalsvc01']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[web] --> prepare the site');
    expect(r.stdout).toContain('link address set: yes env: hello');
    const image = /committed the box as (run-[0-9a-f]+:latest)/.exec(r.stdout)?.[1];
    expect(image, r.stdout).toBeDefined();
    expect(r.stdout).toContain(`served by the provider's build, run ${image!.slice(4, -7)}`);
    expect(await docker!.imageExists(image!)).toBe(false);
    expect(await leftovers('itlocalsvc01')).toEqual([]);
  });

  it('werker plan shows where the service comes from', async () => {
    const r = await runCli(['plan', consumer, '--working-dir', workDir()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/service web: run-[0-9a-f]+:latest {2}\(wercker\.yml: file:\/\/\.\.\/provider#build\)/);
  });

  it.each([
    ['missing-dir', /service provider \(.*wercker\.yml:\d+:\d+ missing-dir\.services\[0\]\): file:\/\/\.\.\/nowhere#build: there is no directory/, /hint: the url's dir is relative to this project/],
    ['no-pipeline', /service provider \(.*wercker\.yml:\d+:\d+ no-pipeline\.services\[0\]\): file:\/\/\.\.\/provider#nosuch cannot be built: .*nosuch/, /hint: check it with: werker check-config/],
    ['broken', /service provider \(.*wercker\.yml:\d+:\d+ broken\.services\[0\]\): the build of file:\/\/\.\.\/provider#broken failed at step "does not build"/, /hint: its output is above, marked \[provider\]; run it on its own with: werker build .* --pipeline broken/],
  ])('%s: fails before any step, naming the service\'s place and what to do', async (pipeline, message, hint) => {
    const r = await runCli(['build', consumer, '--pipeline', pipeline, '--working-dir', workDir()]);
    expect(r.code).toBe(1);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(message);
    expect(text).toMatch(hint);
    expect(text).not.toContain('NOT REACHED');
  });
});
