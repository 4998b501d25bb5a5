import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli } from '../helpers/cli.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { REGISTRY } from '../helpers/registry.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// The machine-level image map and registry mirrors (README "Image map and registry mirrors",
// docs/wercker-compat.md §6.4), read from a user config file in a temp XDG_CONFIG_HOME so the
// machine's own file plays no part; the mirror is the project's registry on 127.0.0.1:5000.
const docker: DockerRuntime | undefined = await requireDocker();
const temp = tempDirs('werker-imagemap');
const id = randomBytes(4).toString('hex');
const images: string[] = [];
afterAll(async () => {
  for (const i of images) await docker?.removeImage(i).catch(() => undefined);
});

/** A project with this wercker.yml, and an XDG config dir whose werker/config.yml holds `config`. */
function setup(yml: string, config: string): { project: string; env: Record<string, string>; configFile: string } {
  const project = temp();
  writeFileSync(path.join(project, 'wercker.yml'), yml);
  const xdg = temp();
  const configFile = path.join(xdg, 'werker', 'config.yml');
  mkdirSync(path.dirname(configFile), { recursive: true });
  writeFileSync(configFile, config);
  return { project, env: { XDG_CONFIG_HOME: xdg, WERKER_IMAGE_MAP: '' }, configFile };
}

/** Puts the local busybox into the project's registry as `repo:tag`, and leaves no copy of that name on the engine. */
async function pushToRegistry(repo: string, tag: string): Promise<void> {
  await docker!.tagImage(BUSYBOX, repo, tag);
  try {
    await docker!.pushImage(repo, tag, { auth: { username: REGISTRY.username, password: REGISTRY.password, serveraddress: REGISTRY.host } });
  } finally {
    await docker!.removeImage(`${repo}:${tag}`);
  }
}

const SERVICE_AND_SIDE = `
box: example.invalid/hub/busybox
build:
  services:
    - id: busybox:1.36
      name: web
      cmd: httpd -f -p 8080 -h /etc
  steps:
    - internal/docker-run:
        name: side
        image: example.invalid/side:2
        cmd: httpd -f -p 8081 -h /etc
    - script:
        name: reach both
        code: |
          for i in $(seq 1 30); do wget -qO /dev/null http://web:8080/hostname && break; sleep 0.3; done && echo "web answered"
          for i in $(seq 1 30); do wget -qO /dev/null http://side:8081/hostname && break; sleep 0.3; done && echo "side answered"
`;
const MAP_FILE = `# werker's machine settings
step-sources:
  - no-github
image-map:
  - example.invalid/hub/*=werker-test/*
  - busybox=werker-test/busybox
  - example.invalid/side=werker-test/busybox
`;

describe.skipIf(!docker)('the image map of the user config file', () => {
  it('runs the box, a service and internal/docker-run\'s image through the file\'s rules', async () => {
    const { project, env } = setup(SERVICE_AND_SIDE, MAP_FILE);
    const r = await runCli(['build', project, '--working-dir', temp(), '--run-id', `itimap${id}`], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('web answered');
    expect(r.stdout).toContain('started side (werker-test/busybox:latest)');
    expect(r.stdout).toContain('side answered');
  });

  it('werker plan names the rule of every mapped image: the flag over WERKER_IMAGE_MAP over the file\'s file:line', async () => {
    const { project, env, configFile } = setup(SERVICE_AND_SIDE, MAP_FILE);
    const r = await runCli(['plan', project, '--working-dir', temp(), '--image-map', 'example.invalid/side=werker-test/debian:bookworm'],
      { env: { ...env, WERKER_IMAGE_MAP: 'busybox:1.36=werker-test/busybox:latest, example.invalid/side=unused/side' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`box: werker-test/busybox:latest  (wercker.yml: example.invalid/hub/busybox:latest; image map: ${configFile}:5)`);
    expect(r.stdout).toContain('service web: werker-test/busybox:latest  (wercker.yml: busybox:1.36; image map: WERKER_IMAGE_MAP)');
    expect(r.stdout).toContain('image: werker-test/debian:bookworm  (wercker.yml: example.invalid/side:2; image map: --image-map)');
  });

  it('refuses a bad rule before anything runs, naming the rule and its file:line:col', async () => {
    const { project, env, configFile } = setup(SERVICE_AND_SIDE, 'image-map:\n  - busybox=werker-test/busybox\n  - docker.io/library/*=werker-test/busybox\n');
    const r = await runCli(['build', project, '--working-dir', temp()], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${configFile}:3:5 image-map.1: error: "docker.io/library/*=werker-test/busybox": a repository prefix ends in "/*" on both sides`);
    expect(r.stderr).toContain('> 3 |   - docker.io/library/*=werker-test/busybox');
  });
});

describe.skipIf(!docker)('registry mirrors of the user config file', () => {
  const servers: Server[] = [];
  let failing = '';
  let hanging = '';
  beforeAll(async () => {
    const listen = async (handler: Parameters<typeof createServer>[1]) => {
      const s = createServer(handler);
      servers.push(s);
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      return `127.0.0.1:${(s.address() as AddressInfo).port}`;
    };
    // A mirror that is broken (500 to everything), and one that takes the request and never answers.
    failing = await listen((_req, res) => res.writeHead(500).end('mirror broken'));
    hanging = await listen(() => undefined);
  });
  afterAll(() => servers.forEach((s) => {
    s.closeAllConnections();
    s.close();
  }));

  it('pulls from the mirror, with its credentials, an image its registry (Docker Hub, unreachable here) cannot give', async () => {
    const image = `werkermirrortest/only-on-mirror-${id}`;
    await pushToRegistry(`${REGISTRY.host}/${image}`, '1');
    images.push(`${image}:1`);
    const config = `registry-mirrors:\n  docker.io:\n    mirror: ${REGISTRY.host}\n    username: ${REGISTRY.username}\n    password-env: IT_MIRROR_PASSWORD\n`;
    const { project, env, configFile } = setup(`box: ${image}:1\nbuild:\n  steps:\n    - script:\n        name: in the box\n        code: echo "box from the mirror runs"\n`, config);
    const r = await runCli(['build', project, '--working-dir', temp()], { env: { ...env, IT_MIRROR_PASSWORD: REGISTRY.password } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`pulled ${image}:1 from registry mirror ${REGISTRY.host} (${configFile}:2)`);
    expect(r.stdout).toContain('box from the mirror runs');
    // Known by the name the run asked for; the mirror's name for it is gone.
    expect(await docker!.imageExists(`${image}:1`)).toBe(true);
    expect(await docker!.imageExists(`${REGISTRY.host}/${image}:1`)).toBe(false);
  });

  it('passes over mirrors that fail (500, 401, no answer) or lack the image (404), each with a message, and pulls from the registry', async () => {
    const repo = `${REGISTRY.host}/werkermirrortest/fallback-${id}`;
    await pushToRegistry(repo, '1');
    images.push(`${repo}:1`);
    const config = [
      'registry-mirrors:',
      `  "${REGISTRY.host}":`,
      `    - ${failing}`,
      `    - mirror: ${REGISTRY.host}/wrong-password`,
      `      username: ${REGISTRY.username}`,
      '      password-env: IT_WRONG_PASSWORD',
      `    - mirror: ${hanging}`,
      '      timeout: 1',
      `    - mirror: ${REGISTRY.host}/empty`,
      `      username: ${REGISTRY.username}`,
      '      password-env: IT_MIRROR_PASSWORD',
      '',
    ].join('\n');
    const yml = `box:\n  id: ${repo}:1\n  username: ${REGISTRY.username}\n  password: ${REGISTRY.password}\nbuild:\n  steps:\n    - script:\n        name: in the box\n        code: echo "box from the registry runs"\n`;
    const { project, env, configFile } = setup(yml, config);
    const r = await runCli(['build', project, '--working-dir', temp()], { env: { ...env, IT_MIRROR_PASSWORD: REGISTRY.password, IT_WRONG_PASSWORD: 'not-it' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain(`registry mirror ${failing} (${configFile}:3) answered 500 for ${repo}:1; trying the next mirror, ${REGISTRY.host}/wrong-password`);
    expect(out).toContain(`registry mirror ${REGISTRY.host}/wrong-password (${configFile}:4) refused the credentials (401; check username and password-env) for ${repo}:1; trying the next mirror, ${hanging}`);
    expect(out).toContain(`registry mirror ${hanging} (${configFile}:7) did not answer within 1 s for ${repo}:1; trying the next mirror, ${REGISTRY.host}/empty`);
    expect(out).toContain(`registry mirror ${REGISTRY.host}/empty (${configFile}:9) has no image (404) for ${repo}:1; trying ${REGISTRY.host} itself`);
    expect(out).toContain('box from the registry runs');
  });
});
