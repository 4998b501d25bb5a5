import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { fixture, runCli, type CliResult } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { requireDocker } from '../helpers/docker.ts';

// werker's built-in step packages (steps/<name>/) on the real engine, each used with the
// properties real wercker.yml files give it. Most run in werker-test/tools (images/tools), which
// has git, OpenSSH, hugo, Go with staticcheck, shellcheck and bundler. Endpoints are local: an
// sshd and `git daemon` inside the box stand for GitHub and Heroku, and nothing leaves the machine.
const docker: DockerRuntime | undefined = await requireDocker();

const workDirs: string[] = [];
const workDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'werker-steps-'));
  workDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of workDirs) rmSync(d, { recursive: true, force: true });
});

const stepsFixture = (name: string): string => path.join(repoRoot, 'test/fixtures/steps', name);

/** `werker build` of a fixture under test/fixtures/steps, in a fresh working dir. */
async function build(name: string, opts: { pipeline?: string; env?: Record<string, string>; wd?: string } = {}): Promise<CliResult & { out: string }> {
  const args = ['build', stepsFixture(name), '--working-dir', opts.wd ?? workDir()];
  if (opts.pipeline) args.push('--pipeline', opts.pipeline);
  const r = await runCli(args, { env: opts.env ?? {} });
  return { ...r, out: plain(r.stdout + r.stderr) };
}

/** Output without the colours of wercker-init's info/success/fail. */
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

/** An RSA key pair: the private key as PEM (PKCS#1, which OpenSSH reads), the public one as an authorized_keys line. */
function sshKeyPair(comment: string): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const jwk = createPublicKey(publicKey).export({ format: 'jwk' });
  const field = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const mpint = (b64url: string) => {
    const b = Buffer.from(b64url, 'base64url');
    return b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b;
  };
  const blob = Buffer.concat([field(Buffer.from('ssh-rsa')), field(mpint(jwk.e!)), field(mpint(jwk.n!))]);
  return { privateKey, publicKey: `ssh-rsa ${blob.toString('base64')} ${comment}` };
}

/** The base64 lines of a PEM key: none of them may ever be printed. */
const keyBody = (pem: string): string[] => pem.split('\n').filter((l) => l && !l.startsWith('-----'));

describe.skipIf(!docker)('built-in step packages on a Docker engine', () => {
  it('arjen/hugo-build builds the site and lukevivier/gh-pages pushes it to a git remote', async () => {
    const r = await build('site', { env: { XXX_GIT_TOKEN: 'ghtok-4c0ffee1d' } });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('version 0.16 was asked for; werker does not download Hugo releases');
    expect(r.out).toMatch(/hugo --source=\/pipeline\/source --buildDrafts=true --theme=werker-mini/);
    // One commit on gh-pages holding the built site (drafts included) and the CNAME.
    expect(r.out).toContain('branches: gh-pages');
    expect(r.out).toContain('commits on gh-pages: 1');
    for (const f of ['CNAME', 'index.html', 'posts/first/index.html', 'posts/draft/index.html']) expect(r.out).toContain(`pushed: ${f}\n`);
    expect(r.out).toContain('CNAME: pages.werker.test');
    expect(r.out).toContain('index lists: A draft post');
    expect(r.out).toContain('index lists: First post');
    expect(r.out).toContain('no .git left in the source');
  });

  it('gh-pages fails clearly when GitHub cannot be reached, without printing the token', async () => {
    const token = 'ghtok-91d3e7b55a';
    const r = await build('site', { pipeline: 'unreachable', env: { XXX_GIT_TOKEN: token } });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Step failed: gh-pages[\s\S]*gh-pages: could not push to https:\/\/\*\*\*@\S+\/werker-test\/site\.git \(branch gh-pages\): fatal: unable to access/);
    expect(r.out).toContain('Failed to connect to 127.0.0.1 port 9');
    expect(r.out).not.toContain(token);
  });

  it('add-to-known_hosts, add-ssh-key and heroku-deploy: ssh logins and a deploy over ssh with the keys given', async () => {
    const walterbot = sshKeyPair('walterbot');
    const heroku = sshKeyPair('heroku-deploy');
    const r = await build('ssh', {
      env: {
        XXX_WALTERBOT_PRIVATE: walterbot.privateKey, X_WALTERBOT_PUBLIC: walterbot.publicKey,
        XXX_HEROKU_KEY_PAIR_PRIVATE: heroku.privateKey, X_HEROKU_KEY_PAIR_PUBLIC: heroku.publicKey,
        XXX_HEROKU_KEY: 'heroku-api-key-0e5a',
      },
    });
    expect(r.code, r.out).toBe(0);
    // Both host keys were checked against their fingerprints (md5 of rsa as most files give it, sha256 of ed25519).
    expect(r.out).toMatch(/Successfully added host localhost port 2222 to known_hosts \(1 key\(s\) in \/root\/\.ssh\/known_hosts \/etc\/ssh\/ssh_known_hosts\)/);
    expect(r.out).toMatch(/Successfully added host localhost port 2222 to known_hosts \(1 key\(s\) in \/root\/\.ssh\/known_hosts\)\n/);
    expect(r.out).toContain('known hosts: 2');
    expect(r.out).toContain('system known hosts: 1');
    // The key from XXX_WALTERBOT_PRIVATE (newlines arrive as \n) became a working identity for localhost.
    expect(r.out).toContain('ssh config: Host localhost\nssh config:     IdentityFile /root/.ssh/id_WALTERBOT\n');
    expect(r.out).toContain('key file mode: 600');
    expect(r.out).toContain('logged in over ssh as root');
    // heroku-deploy pushed a fresh commit of app/ (its .gitignore applied) with the key-name key, which only user git accepts.
    expect(r.out).toContain('deploying werker-app to ssh://git@localhost:2222/srv/git/heroku-app.git');
    expect(r.out).toContain('deployed commit: wercker deploy by deploy-bot');
    expect(r.out).toMatch(/deployed: \.gitignore\ndeployed: Procfile\ndeployed: index\.html\n/);
    expect(r.out).not.toContain('deployed: local-settings.txt');
    for (const line of [...keyBody(walterbot.privateKey), ...keyBody(heroku.privateKey)]) expect(r.out).not.toContain(line);
    expect(r.out).not.toContain('heroku-api-key-0e5a');
  });

  it('add-to-known_hosts, add-ssh-key and heroku-deploy fail clearly: wrong fingerprint, missing key, unreachable remotes', async () => {
    const [mismatch, missing, unreachable, herokuDefault] = await Promise.all([
      build('ssh', { pipeline: 'fingerprint-mismatch' }),
      build('ssh', { pipeline: 'missing-key' }),
      build('ssh', { pipeline: 'heroku-unreachable', env: { XXX_HEROKU_KEY: 'heroku-api-key-77b1' } }),
      build('ssh', { pipeline: 'heroku-default', env: { XXX_HEROKU_KEY: 'heroku-api-key-3c9d' } }),
    ]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.out).toContain('Skipped checking public key with fingerprint, this setup is vulnerable to a man in the middle attack');
    expect(mismatch.out).toMatch(/Successfully added host localhost port 2222 to known_hosts \(2 key\(s\)/);
    expect(mismatch.out).toMatch(/Step failed: add-to-known_hosts \([\d.]+s\)\n\s+add-to-known_hosts: no host key of localhost port 2222 matches the fingerprint 16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48 \(the server offered: MD5:\S+ MD5:\S+\); nothing was added/);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/Step failed: add-ssh-key \([\d.]+s\)\n\s+Private key not found\. Be sure to create an environment variable named DEPLOYMENT_KEY_PRIVATE/);
    expect(unreachable.code).toBe(1);
    expect(unreachable.out).toMatch(/Step failed: heroku-deploy \([\d.]+s\)\n\s+git push to heroku failed: ssh:\/\/git@127\.0\.0\.1:1\/srv\/git\/heroku-app\.git: ssh: connect to host 127\.0\.0\.1 port 1: Connection refused/);
    expect(unreachable.out).not.toContain('heroku-api-key-77b1');
    // Without an override the app's remote is Heroku's https endpoint, with the API key in ~/.netrc.
    expect(herokuDefault.code).toBe(1);
    expect(herokuDefault.out).toMatch(/Step failed: heroku-deploy \([\d.]+s\)\n\s+git push to heroku failed: https:\/\/\S+\/werker-app\.git: fatal: unable to access .*Failed to connect to 127\.0\.0\.1 port 9/);
    expect(herokuDefault.out.match(/^netrc machine: /gm)).toHaveLength(2);
    expect(herokuDefault.out).toContain('netrc login: deploy-bot');
    expect(herokuDefault.out).not.toContain('heroku-api-key-3c9d');
  });

  it('setup-go-workspace moves the build into GOPATH (package-dir, or the origin remote); golint reports, honours exclude, and fails from 10 warnings', async () => {
    const [ok, lintFail, fromOrigin] = await Promise.all([build('go'), build('go', { pipeline: 'lint-fail' }), build('go', { pipeline: 'from-origin' })]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('$WERCKER_SOURCE_DIR now points to: /root/go/src/werker.test/hello');
    expect(ok.out).toContain('source dir: /root/go/src/werker.test/hello\nworking in: /root/go/src/werker.test/hello\nGOPATH: /root/go\n');
    expect(ok.out).toContain('hello from the Go workspace');
    expect(ok.out).toContain('greet/greet.go:5:6: should not use underscores in Go names; func Say_hello should be SayHello');
    expect(ok.out).not.toContain('greet.pb.go');
    expect(ok.out).toContain('You are fairly tidy: 1 lint warnings.');
    expect(lintFail.code).toBe(1);
    expect(lintFail.out).toContain('greet/greet.pb.go:35:6: should not use underscores in Go names; func Get_field_10 should be GetField10');
    expect(lintFail.out).toMatch(/Step failed: golint \([\d.]+s\)\n\s+Time to tidy up: 11 lint warnings\./);
    // Without package-dir nor --git-* flags, the import path comes from the clone's origin remote.
    expect(fromOrigin.code, fromOrigin.out).toBe(0);
    expect(fromOrigin.out).toContain('package-dir from the origin remote: git.werker.test/team/hello');
    expect(fromOrigin.out).toContain('building in /root/go/src/git.werker.test/team/hello');
  });

  it('validate-wercker-step, shellcheck, bundle-install, bash-template and kubectl in a step repository', async () => {
    const r = await build('step-repo');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('step.yml is valid: werker-greet@1.0.0, 2 properties');
    expect(r.out).toMatch(/shellcheck run\.sh\nNo problems detected/);
    expect(r.out).toContain('bundle install --jobs=4 --retry 3 (try 1 of 3)');
    expect(r.out).toContain('hello from a bundled gem');
    expect(r.out).toContain('bundle path: "/pipeline/cache/bundle-install/"');
    expect(r.out).toContain('Gemfile.lock written');
    // bash-template in cwd deployment rendered kubernetes.template.yaml with the exports of an earlier step.
    expect(r.out).toContain('Templating kubernetes.template.yaml -> ./kubernetes.yaml');
    expect(r.out).toContain('rendered:   replicas: 2\n');
    expect(r.out).toContain('rendered:           image: localhost:5000/werker-app:build-42\n');
    // kubectl got the connection flags, the command as the shell reads it (the quoted password one
    // word, `; echo` a second command), and ran in the step's cwd.
    expect(r.out).toContain(
      'kubectl [--token=***] [--server=https://127.0.0.1:6443] [--insecure-skip-tls-verify=true] [create] [secret] [docker-registry] [wercker] ' +
        '[--docker-server=localhost:5000] [--docker-password=***] in /pipeline/source\n',
    );
    expect(r.out).toContain('create registry secret');
    expect(r.out).toContain('kubectl [--token=***] [--server=https://127.0.0.1:6443] [--insecure-skip-tls-verify=true] [apply] [-f] [.] in /pipeline/source/deployment\n');
    expect(r.out).toContain('applying ./kubernetes.yaml: image localhost:5000/werker-app:build-42');
    expect(r.out).not.toContain('kube-token-5d2e8a');
    expect(r.out).not.toContain('oci secret 7f3c');
  });

  it('validate-wercker-step, shellcheck and kubectl fail clearly', async () => {
    const [invalid, lint, noKubectl] = await Promise.all([
      build('step-repo', { pipeline: 'invalid-step' }),
      build('step-repo', { pipeline: 'shellcheck-fail' }),
      build('step-repo', { pipeline: 'no-kubectl' }),
    ]);
    expect(invalid.code).toBe(1);
    for (const problem of [
      'name "werker greet" may only have letters, digits, dots, dashes and underscores',
      'version "1.0" is not a semantic version',
      'summary is required (description is the legacy wercker-step.yml key)',
      'properties must be a list of {name, type, default, required} in step.yml',
    ]) expect(invalid.out).toContain(`error: ${problem}`);
    expect(invalid.out).toMatch(/Step failed: validate-wercker-step \([\d.]+s\)\n\s+validate-wercker-step: step\.yml has 4 problem\(s\)/);
    expect(lint.code).toBe(1);
    expect(lint.out).toContain('SC2164');
    expect(lint.out).toMatch(/Step failed: shellcheck \([\d.]+s\)\n\s+shellcheck found problems/);
    expect(noKubectl.code).toBe(1);
    expect(noKubectl.out).toMatch(/Step failed: kubectl \([\d.]+s\)\n\s+kubectl is not installed in this box; /);
  });

  it('the packages run in a box without bash (busybox sh)', async () => {
    const r = await build('step-repo', { pipeline: 'busybox' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('step.yml is valid: werker-greet@1.0.0, 2 properties');
    expect(r.out).toContain('  replicas: 3\n');
    expect(r.out).toContain('image: localhost:5000/werker-app:build-43');
  });

  it('install-packages installs with apt-get, keeping the lists in the cache; a virtual name gets a provider', async () => {
    const wd = workDir();
    const r = await build('packages', { wd });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('apt-get update (lists cached in /pipeline/cache/wercker/apt-lists)');
    expect(r.out).toContain('netcat is a virtual package here; installing netcat-openbsd, which provides it');
    expect(r.out).toContain('using the apt lists cached in /pipeline/cache/wercker/apt-lists (updated less than a day ago)');
    expect(r.out).toContain('nc: /usr/bin/nc');
    expect(r.out).toContain('apt-get install -y curl unzip');
    expect(r.out).toContain('curl: /usr/bin/curl');
    expect(r.out).toContain('unzip: /usr/bin/unzip');
    for (const pkg of ['netcat-openbsd', 'curl', 'unzip']) expect(r.out).toContain(`installed: ${pkg}\n`);
    expect(r.out).toContain('apt lists: /pipeline/cache/wercker/apt-lists');
    // The lists are in the working dir's cache, for the next run.
    expect(readdirSync(path.join(wd, 'cache/wercker/apt-lists')).some((f) => f.endsWith('_Packages'))).toBe(true);
    expect(existsSync(path.join(wd, 'cache/wercker/aptupdated'))).toBe(true);
  });

  it('install-packages without packages is refused before anything runs', async () => {
    const r = await build('packages', { pipeline: 'missing-packages' });
    expect(r.code).toBe(1); // a config problem in build exits 1, as wercker did (docs/wercker-compat.md §4.7)
    expect(r.out).toContain('step "install-packages" needs "packages" (required by its step.yml)');
    expect(r.out).not.toContain('Running step');
  });

  it('npm-test runs the tests and fails the step when they fail', async () => {
    const [ok, failing] = await Promise.all([build('node'), build('node', { pipeline: 'failing' })]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('1 test passed');
    expect(ok.out).toContain('tests passed under test');
    expect(failing.code).toBe(1);
    expect(failing.out).toContain('expected 5, got 4');
    expect(failing.out).toMatch(/Step failed: npm-test \([\d.]+s\)\n\s+npm test failed \(exit code 3\)/);
  });

  it('pip-install installs the requirements and the listed packages', async () => {
    const r = await build('python');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('pip install -r requirements.txt ./pkgs/werker-hello');
    expect(r.out).toMatch(/Requirement already satisfied: Django>=3\.2/);
    expect(r.out).toContain('Successfully installed werker-hello-1.0.0');
    expect(r.out).toContain('hello from a pip-installed package');
    expect(r.out).toContain('werker-hello version: 1.0.0');
  });

  it('the reference user\'s steps: mktemp, create-file of a hidden key, nahody/npm-install, an entrypoint from create-file', async () => {
    const r = await runCli(['build', fixture('reference-steps'), '--working-dir', workDir()]);
    const out = plain(r.stdout + r.stderr);
    expect(r.code, out).toBe(0);
    expect(out).toMatch(/PRIVATEKEY_PATH=\/tmp\/tmp\.\w+\n/);
    // The key (from XXX_PEM_FILE_CONTENT_PRIVATE in the fixture's ENVIRONMENT) is written, three lines, and never shown.
    expect(out).toMatch(/Running step: write key\ncreated \/tmp\/tmp\.\w+:\n\*\*\*\n\*\*\*\n\*\*\*\nStep passed: write key/);
    expect(out).not.toContain('secret-key-body-7d1');
    expect(out).not.toContain('BEGIN KEY');
    expect(out).toContain('npm install --no-audit --no-fund (try 1 of 3)');
    expect(out).toContain('npm install succeeded');
    // The entrypoint's ${GUNICORN_PORT} was expanded when the property was exported (X_GUNICORN_PORT=8000).
    expect(out).toContain('created /entrypoint.sh:\n#!/bin/sh\nexport GUNICORN_PORT=8000\necho "serving on 8000 from /pipeline/output"\n');
    expect(out).toContain('serving on 8000 from /pipeline/output');
    expect(out).toContain('hello from a local package');
    expect(out).toMatch(/Pipeline finished/);
  });
});
