import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { DEBIAN, requireDocker } from '../helpers/docker.ts';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http.ts';

// docs/wercker-compat.md §6.8: internal/publish-step publishes the package in the source dir to
// werker's step sources (§7.2) — a git repository on a real git server on loopback (git
// http-backend, pushes only with the token) and a directory — and a later run resolves the step
// from each of them.
const docker: DockerRuntime | undefined = await requireDocker();

const TOKEN = 'pub-token-5e1f9a77c3';
const temps: string[] = [];
const temp = (prefix: string): string => {
  const dir = mkdtempSync(path.join(tmpdir(), `werker-${prefix}-`));
  temps.push(dir);
  return dir;
};
let server: GitHttpServer;

beforeAll(async () => {
  server = await startGitHttpServer({ pushToken: TOKEN });
  // The repository exists on the server, empty, as one made on a forge would.
  const bare = path.join(server.root, 'someowner', 'step-greeter.git');
  mkdirSync(bare, { recursive: true });
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  execFileSync('git', ['-C', bare, 'config', 'http.receivepack', 'true']);
});

afterAll(async () => {
  await server?.stop();
  server?.remove();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const PUBLISHER = `box: ${DEBIAN}
build:
  steps:
    - script:
        name: make the step package
        code: |
          mkdir -p step && cd step
          printf 'name: greeter\\nversion: %s\\nsummary: says hello\\nproperties:\\n  - name: who\\n    default: world\\n' "$STEP_VERSION" > step.yml
          echo 'echo "hello $WERCKER_GREETER_WHO from the published greeter"' > run.sh
    - internal/publish-step:
        owner: someowner
        path: step
        endpoint: $STEP_GIT dir:$STEP_DIR
        auth-token: $PUBLISH_TOKEN
        private: true
`;

async function werker(args: string[], env: Record<string, string> = {}): Promise<CliResult & { out: string }> {
  const r = await runCli(args, { env: { WERKER_STEP_GITHUB_BASE: server.base, XDG_CONFIG_HOME: temp('xdg'), ...env } });
  return { ...r, out: (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '') };
}

describe.skipIf(!docker)('§6.8 internal/publish-step on a Docker engine', () => {
  it('publishes to a git source and a directory source, and a later run resolves the step from each', async () => {
    const publisher = temp('publisher');
    writeFileSync(path.join(publisher, 'wercker.yml'), PUBLISHER);
    const stepsDir = temp('published');
    const env = { X_STEP_VERSION: '1.2.0', X_STEP_GIT: `${server.base}/{owner}/step-{name}`, X_STEP_DIR: stepsDir, XXX_PUBLISH_TOKEN: TOKEN };
    const pub = await werker(['build', publisher, '--working-dir', temp('wd')], env);
    expect(pub.code, pub.out).toBe(0);
    expect(pub.out).toContain(`published someowner/greeter@1.2.0 to ${server.base}/someowner/step-greeter (tag v1.2.0)`);
    expect(pub.out).toContain(`published someowner/greeter@1.2.0 to ${path.join(stepsDir, 'someowner/greeter/1.2.0')}`);
    expect(pub.out).not.toContain(TOKEN);
    expect(readFileSync(path.join(stepsDir, 'someowner/greeter/1.2.0/step.yml'), 'utf8')).toContain('version: 1.2.0');
    expect(statSync(path.join(stepsDir, 'someowner/greeter/1.2.0')).mode & 0o777).toBe(0o700);
    expect(execFileSync('git', ['-C', path.join(server.root, 'someowner/step-greeter.git'), 'tag'], { encoding: 'utf8' }).trim()).toBe('v1.2.0');

    // The GitHub convention (pointed at the server) finds it by tag v1.2.0.
    const consumer = temp('consumer');
    writeFileSync(path.join(consumer, 'wercker.yml'), `box: ${DEBIAN}\nbuild:\n  steps:\n    - someowner/greeter@1.2.0:\n        who: werker\n`);
    const fromGit = await werker(['build', consumer, '--working-dir', temp('wd')]);
    expect(fromGit.code, fromGit.out).toBe(0);
    expect(fromGit.out).toContain('hello werker from the published greeter');
    expect(JSON.parse(readFileSync(path.join(consumer, 'wercker-steps.lock'), 'utf8')).steps['someowner/greeter@1.2.0']).toMatchObject({ source: `${server.base}/someowner/step-greeter`, ref: 'v1.2.0' });

    // The directory source, on a machine without the git server.
    rmSync(path.join(consumer, 'wercker-steps.lock'));
    const fromDir = await werker(['build', consumer, '--working-dir', temp('wd'), '--step-source', `dir:${stepsDir}`, '--step-source', 'no-github'], { WERKER_STEP_GITHUB_BASE: 'http://127.0.0.1:9' });
    expect(fromDir.code, fromDir.out).toBe(0);
    expect(fromDir.out).toContain('hello werker from the published greeter');
    expect(existsSync(path.join(consumer, 'wercker-steps.lock'))).toBe(false);

    // The same version again is refused by both; a wrong token is refused by the server, and not printed.
    const again = await werker(['build', publisher, '--working-dir', temp('wd')], env);
    expect(again.code).toBe(1);
    expect(again.out).toContain(`${server.base}/someowner/step-greeter already has the tag v1.2.0; publish a new version`);
    const wrong = 'wrong-token-0d15ea5e';
    const bad = await werker(['build', publisher, '--working-dir', temp('wd')], { ...env, X_STEP_VERSION: '1.3.0', X_STEP_DIR: temp('published'), XXX_PUBLISH_TOKEN: wrong });
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/publish-step: someowner\/greeter@1\.3\.0: .*(Authentication failed|could not read Username)/);
    expect(bad.out).not.toContain(wrong);
    expect(execFileSync('git', ['-C', path.join(server.root, 'someowner/step-greeter.git'), 'tag'], { encoding: 'utf8' }).trim()).toBe('v1.2.0');
  });

  it('fails clearly without a step.yml, and without anywhere to publish to', async () => {
    const dir = temp('publisher');
    writeFileSync(path.join(dir, 'wercker.yml'), `box: ${DEBIAN}\nbuild:\n  steps:\n    - internal/publish-step:\n        owner: someowner\n        endpoint: dir:${temp('out')}\n`);
    const noManifest = await werker(['build', dir, '--working-dir', temp('wd')]);
    expect(noManifest.code).toBe(1);
    expect(noManifest.out).toContain('publish-step: /pipeline/source has no step.yml');
    writeFileSync(path.join(dir, 'wercker.yml'), `box: ${DEBIAN}\nbuild:\n  steps:\n    - internal/publish-step:\n        owner: someowner\n`);
    const nowhere = await werker(['build', dir, '--working-dir', temp('wd')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.out).toContain('publish-step: nowhere to publish to');
  });
});
