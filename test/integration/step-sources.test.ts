import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { DEBIAN, requireDocker } from '../helpers/docker.ts';
import { makeRepo, startGitHttpServer, type GitHttpServer } from '../helpers/git-http.ts';

// docs/wercker-compat.md §7.2 (werker): registry steps from their git repositories, found by the
// GitHub conventions (step-{name}, wercker-step-{name}, {name}) — pointed here at a real git
// server on loopback (git http-backend, smart HTTP) holding step repositories made by the test —
// pinned in wercker-steps.lock, and run on the real engine; then again with the server stopped.
const docker: DockerRuntime | undefined = await requireDocker();

const temps: string[] = [];
const temp = (prefix: string): string => {
  const dir = mkdtempSync(path.join(tmpdir(), `werker-${prefix}-`));
  temps.push(dir);
  return dir;
};

const stepYml = (name: string, version: string) => `name: ${name}\nversion: ${version}\nsummary: a test step\nproperties:\n  - name: greeting\n    default: hello\n`;

let server: GitHttpServer;
let tags: Record<string, Record<string, string>>;

beforeAll(async () => {
  server = await startGitHttpServer();
  tags = {
    somestep: makeRepo(server.root, 'someowner/step-somestep', [
      { files: { 'step.yml': stepYml('somestep', '1.0.0'), 'run.sh': 'echo "somestep 1.0.0 says $WERCKER_SOMESTEP_GREETING"\n' }, tag: 'v1.0.0' },
      { files: { 'step.yml': stepYml('somestep', '1.1.0'), 'run.sh': 'echo "somestep 1.1.0 (not tagged 1.0.0)"\n' } },
    ]),
    other: makeRepo(server.root, 'someowner/wercker-step-other', [
      { files: { 'step.yml': stepYml('other', '0.3.0'), 'run.sh': 'echo "other from the default branch"\n' } },
    ]),
    plain: makeRepo(server.root, 'plainowner/plain', [
      { files: { 'step.yml': stepYml('plain', '2.0.0'), 'init.sh': 'PLAIN_INIT=yes\n', 'run.sh': 'echo "plain 2.0.0 (init ran: $PLAIN_INIT)"\n' }, tag: '2.0.0' },
    ]),
    lonely: makeRepo(server.root, 'wercker/step-lonely', [
      { files: { 'step.yml': stepYml('lonely', '1.0.0'), 'run.sh': 'echo "wercker/lonely, owner taken as wercker"\n' } },
    ]),
    nostep: makeRepo(server.root, 'someowner/step-nostep', [{ files: { 'run.sh': 'echo no manifest\n', 'README.md': 'not a step\n' }, tag: 'v1.0.0' }]),
  };
});

afterAll(async () => {
  await server?.stop();
  server?.remove();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function project(steps: string[], box = DEBIAN): string {
  const dir = temp('step-sources-project');
  writeFileSync(path.join(dir, 'wercker.yml'), `box: ${box}\nbuild:\n  steps:\n${steps.map((s) => `    - ${s}\n`).join('')}`);
  return dir;
}

async function werker(args: string[], env: Record<string, string> = {}): Promise<CliResult & { out: string }> {
  const r = await runCli(args, { env: { WERKER_STEP_GITHUB_BASE: server.base, XDG_CONFIG_HOME: temp('xdg'), ...env } });
  return { ...r, out: (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '') };
}

const lockOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'wercker-steps.lock'), 'utf8')) as { steps: Record<string, { source: string; ref?: string; commit?: string }> };

/** Nothing half-written: no temporary directory left in the step cache. */
const leftovers = (wd: string): string[] => {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.tmp-')) found.push(path.join(dir, e.name));
      else if (e.isDirectory() && (e.name === 'steps' || e.name.startsWith('.by-'))) walk(path.join(dir, e.name));
    }
  };
  walk(wd);
  return found;
};

describe.skipIf(!docker)('§7.2 registry steps from their git source, on a Docker engine', () => {
  it('a real build fetches each convention\'s step at the right commit, locks it, and runs again offline from the lock', async () => {
    const dir = project(['someowner/somestep@1.0.0', 'someowner/other', 'plainowner/plain@2.0.0', 'lonely']);
    const wd = temp('wd');
    const first = await werker(['build', dir, '--working-dir', wd]);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('somestep 1.0.0 says hello');
    expect(first.out).not.toContain('not tagged 1.0.0');
    expect(first.out).toContain('other from the default branch');
    expect(first.out).toContain('plain 2.0.0 (init ran: yes)');
    expect(first.out).toContain('wercker/lonely, owner taken as wercker');
    const lock = lockOf(dir).steps;
    expect(lock['someowner/somestep@1.0.0']).toEqual({ source: `${server.base}/someowner/step-somestep`, ref: 'v1.0.0', commit: tags.somestep!['v1.0.0'] });
    expect(lock['someowner/other@*']).toEqual({ source: `${server.base}/someowner/wercker-step-other`, ref: 'HEAD', commit: tags.other!.HEAD });
    expect(lock['plainowner/plain@2.0.0']).toMatchObject({ source: `${server.base}/plainowner/plain`, ref: '2.0.0', commit: tags.plain!['2.0.0'] });
    expect(lock['wercker/lonely@*']).toMatchObject({ source: `${server.base}/wercker/step-lonely`, commit: tags.lonely!.HEAD });
    expect(leftovers(wd)).toEqual([]);

    // The server stops: the second run takes the same packages from the lock and the step cache.
    await server.stop();
    try {
      const second = await werker(['build', dir, '--working-dir', wd]);
      expect(second.code, second.out).toBe(0);
      expect(second.out).toContain('somestep 1.0.0 says hello');
      expect(second.out).toContain('plain 2.0.0 (init ran: yes)');
      const plan = await werker(['plan', dir, '--working-dir', wd]);
      expect(plan.out).toContain(`from lock ${server.base}/someowner/step-somestep@${tags.somestep!['v1.0.0']!.slice(0, 12)}`);
      expect(plan.out).toContain(`from lock ${server.base}/someowner/wercker-step-other@${tags.other!.HEAD!.slice(0, 12)}`);
    } finally {
      server = await startGitHttpServer({ root: server.root, port: Number(new URL(server.base).port) });
    }
  });
});

/** Python's http.server (a real static HTTP server) over `root`, on a free loopback port. */
async function staticServer(root: string): Promise<{ base: string; stop(): void }> {
  const child = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', root], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (c: Buffer) => {
      seen += c.toString();
      const m = /port (\d+)/.exec(seen);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`python3 -m http.server exited ${code}: ${seen}`)));
  });
  return { base: `http://127.0.0.1:${port}`, stop: () => void child.kill() };
}

describe.skipIf(!docker)('§7.2 --steps-registry: a registry with wercker\'s steps API, on a Docker engine', () => {
  it('takes step.tarballUrl from the API, locks the tarball by sha256, and runs again with the registry gone', async () => {
    const root = temp('registry');
    const pkg = temp('regstep');
    writeFileSync(path.join(pkg, 'step.yml'), stepYml('regstep', '1.0.0'));
    writeFileSync(path.join(pkg, 'run.sh'), 'echo "regstep from the registry tarball"\n');
    mkdirSync(path.join(root, 'tarballs'));
    execFileSync('tar', ['-czf', path.join(root, 'tarballs', 'regstep-1.0.0.tar.gz'), '-C', pkg, '.']);
    const registry = await staticServer(root);
    try {
      mkdirSync(path.join(root, 'api/steps/someowner/regstep'), { recursive: true });
      const tarballUrl = `${registry.base}/tarballs/regstep-1.0.0.tar.gz`;
      writeFileSync(path.join(root, 'api/steps/someowner/regstep/1.0.0'), JSON.stringify({ step: { summary: 'a test step', tarballUrl, version: { number: '1.0.0' } } }));
      const dir = project(['someowner/regstep@1.0.0']);
      const wd = temp('wd');
      const env = { WERKER_STEP_GITHUB_BASE: 'http://127.0.0.1:9' };
      const first = await werker(['--steps-registry', registry.base, 'build', dir, '--working-dir', wd], env);
      expect(first.code, first.out).toBe(0);
      expect(first.out).toContain('regstep from the registry tarball');
      const entry = lockOf(dir).steps['someowner/regstep@1.0.0'] as { source: string; sha256?: string };
      expect(entry.source).toBe(tarballUrl);
      expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
      registry.stop();
      const second = await werker(['build', dir, '--working-dir', wd], env);
      expect(second.code, second.out).toBe(0);
      expect(second.out).toContain('regstep from the registry tarball');
    } finally {
      registry.stop();
    }
  });
});

describe('§7.2 step sources: what plan shows, and bad input', () => {
  it('werker plan shows where each step comes from: built-in, git URL@commit, file', async () => {
    const stepDir = temp('local-step');
    writeFileSync(path.join(stepDir, 'step.yml'), stepYml('local', '1.0.0'));
    writeFileSync(path.join(stepDir, 'run.sh'), 'echo local\n');
    const dir = project(['script:\n        code: echo hi', 'npm-install', 'someowner/somestep@1.0.0', `local "file://${stepDir}"`]);
    const r = await werker(['plan', dir, '--working-dir', temp('wd')]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('from built-in steps/npm-install');
    expect(r.out).toContain(`from git ${server.base}/someowner/step-somestep@${tags.somestep!['v1.0.0']!.slice(0, 12)} (tag v1.0.0)`);
    expect(r.out).toContain(`from file ${stepDir}`);
  });

  it('an unreachable source: every source tried, each with git\'s own message, the step id and its position', async () => {
    const dir = project(['script:\n        code: echo hi', 'someowner/somestep@1.0.0']);
    const wd = temp('wd');
    const r = await werker(['build', dir, '--working-dir', wd, '--step-source', 'http://127.0.0.1:9/{owner}/{name}.git'], { WERKER_STEP_GITHUB_BASE: 'http://127.0.0.1:9' });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`${path.join(dir, 'wercker.yml')}:6:7`);
    expect(r.out).toContain('the step "someowner/somestep@1.0.0" is not available');
    for (const url of ['http://127.0.0.1:9/someowner/somestep.git', 'http://127.0.0.1:9/someowner/step-somestep', 'http://127.0.0.1:9/someowner/wercker-step-somestep', 'http://127.0.0.1:9/someowner/somestep:']) {
      expect(r.out).toContain(url);
    }
    expect(r.out).toMatch(/http:\/\/127\.0\.0\.1:9\/someowner\/step-somestep: fatal: unable to access '[^']+': Failed to connect to 127\.0\.0\.1 port 9/);
    expect(existsSync(path.join(dir, 'wercker-steps.lock'))).toBe(false);
    expect(leftovers(wd)).toEqual([]);
  });

  it('a repository without step.yml is not taken (wercker steps always had one) and nothing is cached', async () => {
    const dir = project(['someowner/nostep@1.0.0']);
    const wd = temp('wd');
    const r = await werker(['plan', dir, '--working-dir', wd]);
    expect(r.out).toContain(`${server.base}/someowner/step-nostep: the repository has no step.yml, so it is not a wercker step package`);
    expect(r.out).toContain(`${server.base}/someowner/wercker-step-nostep: fatal: repository '${server.base}/someowner/wercker-step-nostep/' not found`);
    expect(existsSync(path.join(wd, 'steps', '.by-commit', tags.nostep!['v1.0.0']!))).toBe(false);
    expect(leftovers(wd)).toEqual([]);
  });

  it('a tag that does not exist names the tags tried and the ones there are', async () => {
    const dir = project(['someowner/somestep@9.9.9']);
    const r = await werker(['build', dir, '--working-dir', temp('wd')]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`${path.join(dir, 'wercker.yml')}:4:7`);
    expect(r.out).toContain(`${server.base}/someowner/step-somestep: no tag 9.9.9 or v9.9.9 (tags: v1.0.0)`);
  });

  it('a lock entry whose commit has vanished says so and what to do; werker steps update locks the new one', async () => {
    const slug = 'someowner/step-rewritten';
    const before = makeRepo(server.root, slug, [{ files: { 'step.yml': stepYml('rewritten', '1.0.0'), 'run.sh': 'echo first\n' }, tag: 'v1.0.0' }]);
    const dir = project(['someowner/rewritten@1.0.0']);
    const first = await werker(['plan', dir, '--working-dir', temp('wd')]);
    expect(first.out).toContain(`(tag v1.0.0)`);
    expect(lockOf(dir).steps['someowner/rewritten@1.0.0']!.commit).toBe(before['v1.0.0']);
    // The repository is rewritten (a force-push): the locked commit is gone from the server.
    const after = makeRepo(server.root, slug, [{ files: { 'step.yml': stepYml('rewritten', '1.0.0'), 'run.sh': 'echo rewritten history\n' }, tag: 'v1.0.0' }]);
    expect(after['v1.0.0']).not.toBe(before['v1.0.0']);
    const wd = temp('wd');
    const r = await werker(['build', dir, '--working-dir', wd]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`${path.join(dir, 'wercker.yml')}:4:7`);
    expect(r.out).toContain(`wercker-steps.lock pins ${server.base}/${slug} at ${before['v1.0.0']}`);
    expect(r.out).toContain('run `werker steps update`');
    expect(leftovers(wd)).toEqual([]);
    const update = await werker(['steps', 'update', dir, '--working-dir', wd]);
    expect(update.code, update.out).toBe(0);
    expect(update.out).toContain(`someowner/rewritten@1.0.0: ${before['v1.0.0']!.slice(0, 12)} → ${after['v1.0.0']!.slice(0, 12)}`);
    expect(lockOf(dir).steps['someowner/rewritten@1.0.0']!.commit).toBe(after['v1.0.0']);
    const list = await werker(['steps', 'list', dir, '--working-dir', wd]);
    expect(list.code, list.out).toBe(0);
    expect(list.out).toContain(`someowner/rewritten@1.0.0  ← lock ${server.base}/${slug}@${after['v1.0.0']!.slice(0, 12)}`);
  });

  it('a tarball that is not gzip is refused, naming the URL, and nothing is left in the cache', async () => {
    // git http-backend serves a repository's HEAD file as text: a real download that is not gzip.
    const url = `${server.base}/someowner/step-somestep.git/HEAD`;
    const dir = project([`somestep "${url}"`]);
    const wd = temp('wd');
    const r = await werker(['build', dir, '--working-dir', wd]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`${path.join(dir, 'wercker.yml')}:4:7`);
    expect(r.out).toContain(`could not fetch step "somestep "${url}"": ${url} is not a gzip tarball (incorrect header check)`);
    expect(leftovers(wd)).toEqual([]);
    expect(readdirSync(path.join(wd, 'steps')).filter((n) => !n.startsWith('.by-'))).toEqual([]);
  });

  it('a directory source put first (--step-source dir:…) wins over the GitHub convention, and is not locked', async () => {
    const offline = temp('offline-steps');
    const pkgDir = path.join(offline, 'someowner', 'somestep', '1.0.0');
    mkdirSync(pkgDir, { recursive: true });
    writeFileSync(path.join(pkgDir, 'step.yml'), stepYml('somestep', '1.0.0'));
    writeFileSync(path.join(pkgDir, 'run.sh'), 'echo from the offline directory\n');
    const dir = project(['someowner/somestep@1.0.0']);
    const r = await werker(['plan', dir, '--working-dir', temp('wd'), '--step-source', `dir:${offline}`]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`from dir ${pkgDir}`);
    expect(existsSync(path.join(dir, 'wercker-steps.lock'))).toBe(false);
    // The same from the project's werker.config.yml.
    writeFileSync(path.join(dir, 'werker.config.yml'), `step-sources:\n  - dir: ${offline}\n`);
    const fromFile = await werker(['plan', dir, '--working-dir', temp('wd')]);
    expect(fromFile.out).toContain(`from dir ${pkgDir}`);
  });
});
