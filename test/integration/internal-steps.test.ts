import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp-dirs.ts';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { fixture, runCli, spawnCli } from '../helpers/cli.ts';
import { requireDocker, runOnce } from '../helpers/docker.ts';
import { REGISTRY } from '../helpers/registry.ts';

const docker: DockerRuntime | undefined = await requireDocker();
const workDir = tempDirs('werker-internal');
const images: string[] = [];
afterAll(async () => {
  for (const i of images) await docker?.removeImage(i).catch(() => undefined);
});

/** Every process's command line on this machine, to prove a value never reached one. */
function allCommandLines(): string {
  let out = '';
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      out += readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ') + '\n';
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

describe.skipIf(!docker)('internal steps on the real engine', () => {
  it('internal/docker-push commits the box and pushes it to a registry with auth, tagged with the commit', async () => {
    const repo = `werker-it/push-${Date.now().toString(36)}`;
    const ref = `${REGISTRY.host}/${repo}`;
    images.push(`${ref}:c0ffee1`, `${ref}:latest`);
    const wd = workDir();
    const { done } = spawnCli(['build', fixture('docker-push'), '--working-dir', wd, '--git-commit', 'c0ffee1', '--json'], {
      env: { X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: REGISTRY.password, X_REGISTRY_REPO: repo, X_APP_PORT: '8000' },
    });
    let cmdlines = '';
    const watcher = setInterval(() => (cmdlines += allCommandLines()), 50);
    const r = await done;
    clearInterval(watcher);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const texts = [r.stdout, r.stderr, ...readdirSync(path.join(wd, 'logs')).map((f) => readFileSync(path.join(wd, 'logs', f), 'utf8')), cmdlines];
    for (const t of texts) expect(t).not.toContain(REGISTRY.password);
    expect(r.stdout).toContain(`Pushed ${ref}:c0ffee1`);
    expect(r.stdout).toContain(`Pushed ${ref}:latest`);

    // Pull it back as a deploy would, and run it.
    for (const tag of ['c0ffee1', 'latest']) await docker!.removeImage(`${ref}:${tag}`);
    await docker!.pullImage(`${ref}:c0ffee1`, { auth: { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host } });
    const info = await docker!.inspectImage(`${ref}:c0ffee1`);
    expect(info.entrypoint).toEqual(['/entrypoint.sh']);
    expect(info.cmd).toEqual(['hello', 'world']);
    expect(info.exposedPorts).toEqual(['8000/tcp']);
    expect(info.workingDir).toBe('/usr/src/app');
    // The run's labels are blanked, so werker's cleanup never takes its containers for leftovers.
    expect(info.labels['werker.run']).toBe('');
    const ran = await runOnce(docker!, { name: `werker-it-pushed-${Date.now()}`, image: `${ref}:c0ffee1`, labels: { 'werker.test': 'push' } });
    expect(ran.code).toBe(0);
    expect(ran.logs).toContain('entrypoint ran in /usr/src/app with hello world');
  });

  it('internal/docker-push fails clearly on a wrong password, without showing it', async () => {
    const r = await runCli(['build', fixture('docker-push'), '--working-dir', workDir(), '--git-commit', 'bad0001'], {
      env: { X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: 'wrong-password-42', X_REGISTRY_REPO: 'werker-it/denied', X_APP_PORT: '8000' },
    });
    images.push(`${REGISTRY.host}/werker-it/denied:bad0001`, `${REGISTRY.host}/werker-it/denied:latest`);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Step failed: docker push[\s\S]*(unauthorized|authentication required|no basic auth)/i);
    expect(r.stdout + r.stderr).not.toContain('wrong-password-42');
  });

  it('internal/docker-build builds the source\'s Dockerfile; docker-run starts it reachable by name; docker-kill removes it', async () => {
    images.push('itbuildrun1web:latest');
    const r = await runCli(['build', fixture('docker-build-run'), '--working-dir', workDir(), '--run-id', 'itbuildrun1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Successfully tagged itbuildrun1web:latest');
    expect(r.stdout).toContain('built by docker-build');
    expect(r.stdout).toContain('web is gone');
    const left = await docker!.listLabelled('werker.run', 'itbuildrun1');
    expect(left.containers).toEqual([]);
  });

  it('an unknown step fails the run before anything starts, saying how to provide it', async () => {
    const r = await runCli(['build', fixture('unknown-step'), '--working-dir', workDir()]);
    expect(r.code).toBe(1); // a config problem in build exits 1, as wercker did (docs/wercker-compat.md §4.7)
    expect(r.stderr).toMatch(/wercker\.yml:7:7 build\.steps: error: the step "someone\/frobnicate@2\.0\.0" is not available/);
    expect(r.stderr).toMatch(/frobnicate "file:\/\/path\/to\/dir"/);
    expect(r.stdout).not.toContain('SHOULD NOT RUN');
  });
});
