import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { requireDocker } from '../helpers/docker.ts';
import { s3rverDir } from '../helpers/s3rver.ts';

// werker's built-in packages for language tool steps (steps/npm-run, yarn-install, virtualenv,
// rvm-use, rails-database-yml, glide-install, goveralls, s3sync) on the real engine, used the way
// real wercker.yml files use them (docs/wercker-compat.md §7.3). The servers they talk to run on
// the box's loopback: s3rver (an S3-compatible server from npm) for s3sync, and a Coveralls
// stand-in built from the fixture for goveralls; PostgreSQL is a real service container.
const docker: DockerRuntime | undefined = await requireDocker();
const s3rver = docker ? s3rverDir() : undefined;

const workDirs: string[] = [];
const workDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'werker-lang-steps-'));
  workDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of workDirs) rmSync(d, { recursive: true, force: true });
});

const stepsFixture = (name: string): string => path.join(repoRoot, 'test/fixtures/steps', name);
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

/** `werker build` of a fixture under test/fixtures/steps (or a project dir), in a fresh working dir. */
async function build(name: string, opts: { pipeline?: string; env?: Record<string, string>; wd?: string; project?: string } = {}): Promise<CliResult & { out: string }> {
  const args = ['build', opts.project ?? stepsFixture(name), '--working-dir', opts.wd ?? workDir()];
  if (opts.pipeline) args.push('--pipeline', opts.pipeline);
  const r = await runCli(args, { env: opts.env ?? {} });
  return { ...r, out: plain(r.stdout + r.stderr) };
}

/** A copy of lang-python with s3rver (scripts/setup-s3rver.sh) in s3rver/, for the box to run. */
function pythonWithS3rver(): string {
  const dir = workDir();
  cpSync(stepsFixture('lang-python'), dir, { recursive: true });
  cpSync(s3rver!, path.join(dir, 's3rver'), { recursive: true });
  return dir;
}

/** The step failure line werker prints: `Step failed: <name> (…s)` then the step's message. */
const stepFailed = (step: string, message: string): RegExp =>
  new RegExp(`Step failed: ${step.replace(/[/.]/g, '\\$&')} \\([\\d.]+s\\)\\n\\s+${message.replace(/[().*+?[\]$^\\|{}]/g, '\\$&')}`);

describe.skipIf(!docker)('language tool step packages on a Docker engine', () => {
  it('maxon/npm-run runs each package.json script the reference user names; the sibling form and cwd work too', async () => {
    const r = await build('lang-node');
    expect(r.code, r.out).toBe(0);
    for (const script of ['bower', 'bower-prd', 'build', 'build-js', 'build-dev', 'webpack']) {
      expect(r.out).toContain(`npm run ${script} completed`);
      expect(r.out).toContain(`ran ${script} in /pipeline/source\n`);
      expect(r.out).toContain(`npm-run.log: ${script} (npm_lifecycle_event=${script})\n`);
    }
    expect(r.out).toContain('web build in /pipeline/source/web');
  });

  it('npm-run fails the step when the script fails or does not exist', async () => {
    const [failing, missing] = await Promise.all([
      build('lang-node', { pipeline: 'npm-run-failing' }),
      build('lang-node', { pipeline: 'npm-run-missing-script' }),
    ]);
    expect(failing.code).toBe(1);
    expect(failing.out).toContain('the bundle is broken');
    expect(failing.out).toMatch(stepFailed('npm-run', 'npm-run: npm run failing failed (exit code 4)'));
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/Missing script: "?deploy"?/);
    expect(missing.out).toMatch(stepFailed('npm-run', 'npm-run: npm run deploy failed (exit code 1)'));
  });

  it('bashaus/yarn-install installs with Debian\'s yarnpkg, the cache in the pipeline cache; production drops devDependencies', async () => {
    const wd = workDir();
    const r = await build('lang-node', { pipeline: 'yarn', wd });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('yarn cache: /pipeline/cache/wercker/yarn');
    expect(r.out).toContain('yarnpkg install (try 1 of 3)');
    expect(r.out).toContain('hello from a yarn-installed package');
    expect(r.out).toContain('dev dependency: a dev dependency');
    expect(r.out).toContain('yarn.lock written');
    expect(r.out).toContain('yarnpkg install --frozen-lockfile --production (try 1 of 3)');
    expect(r.out).toContain('dev dependency removed');
    expect(existsSync(path.join(wd, 'cache/wercker/yarn'))).toBe(true);
  });

  it('yarn-install refuses a property that is not a boolean', async () => {
    const r = await build('lang-node', { pipeline: 'yarn-bad-bool' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(stepFailed('yarn-install', 'yarn-install: property production must be true or false (or 1/0), not "maybe"'));
  });

  it('virtualenv creates and activates an environment that later steps (and pip-install) use', async () => {
    const r = await build('lang-python');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('-m venv /root/venv (virtualenv is not installed; using Python\'s venv)');
    expect(r.out).toContain('VIRTUAL_ENV=/root/venv\n');
    expect(r.out).toContain('python: /root/venv/bin/python\n');
    expect(r.out).toContain('pip: /root/venv/bin/pip\n');
    expect(r.out).toContain('sys.prefix: /root/venv\n');
    expect(r.out).toContain('PIP_DOWNLOAD_CACHE=/pipeline/cache/pip-download-cache\n');
    expect(r.out).toContain('PIP_FIND_LINKS=/pipeline/cache/pip-download-cache\n');
    expect(r.out).toContain('system Django not visible');
    expect(r.out).toContain('virtual environment detected: /root/venv');
    expect(r.out).toContain('hello from the virtual environment\nfrom /root/venv/lib/');
  });

  it('virtualenv fails clearly when python_location is not a Python', async () => {
    const r = await build('lang-python', { pipeline: 'virtualenv-bad-python' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(stepFailed('virtualenv', 'virtualenv: /etc/hostname is not a Python 2 or 3 interpreter (python_location)'));
  });

  it.skipIf(!s3rver)('s3sync makes an S3 bucket (s3rver on loopback) identical to source-dir; delete_removed false keeps remote files', async () => {
    const secret = 'S3RVER';
    const r = await build('lang-python', { pipeline: 's3sync', env: { X_S3_SECRET: secret }, project: pythonWithS3rver() });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('s3cmd sync --acl-public --host=127.0.0.1:4569 --host-bucket=127.0.0.1:4569 --no-ssl --delete-removed --verbose ./ s3://werker-site');
    // The first sync uploaded the site and deleted what was not in public/.
    const first = [...r.out.matchAll(/^bucket: (\S+)$/gm)].map((m) => m[1]);
    expect(first.sort()).toEqual(['s3://werker-site/css/site.css', 's3://werker-site/index.html']);
    expect(r.out).toContain('site.css: body { font-family: sans-serif; }');
    expect(r.out).toContain('s3cfg files in home: 0');
    // The second (delete_removed: false) added about.html and left index.html, gone locally.
    expect(r.out).toContain('s3cmd sync --host=127.0.0.1:4569 --host-bucket=127.0.0.1:4569 --no-ssl  --verbose ./ s3://werker-site');
    const second = [...r.out.matchAll(/^bucket after: (\S+)$/gm)].map((m) => m[1]);
    expect(second.sort()).toEqual(['s3://werker-site/about.html', 's3://werker-site/css/site.css', 's3://werker-site/index.html']);
    expect(r.out).toContain('finished s3 synchronisation to s3://werker-site');
  });

  it.skipIf(!s3rver)('s3sync fails clearly when S3 refuses the key or bucket_url is missing, never printing the secret', async () => {
    const secret = 'secret-8d1f3a';
    const [refused, missing] = await Promise.all([
      build('lang-python', { pipeline: 's3sync-unknown-key', env: { X_S3_KEY_ID: 'AKIAWERKERUNKNOWN', X_S3_SECRET: secret }, project: pythonWithS3rver() }),
      build('lang-python', { pipeline: 's3sync-missing-bucket' }),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('403 (InvalidAccessKeyId)');
    expect(refused.out).toMatch(stepFailed('s3sync', 's3sync: s3cmd sync to s3://werker-site failed (exit code'));
    expect(refused.out).not.toContain(secret);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(stepFailed('s3sync', 's3sync: missing or empty option bucket_url (bucket-url), please check wercker.yml'));
  });

  it('rails-database-yml writes a database.yml that Ruby loads as Rails does and connects to the PostgreSQL service with; rvm-use accepts the box\'s Ruby', async () => {
    const password = 'rails-pw-51c9';
    const [r, alias] = await Promise.all([
      build('lang-ruby', { env: { X_DB_PASSWORD: password } }),
      build('lang-ruby', { pipeline: 'docker-alias', env: { X_DB_PASSWORD: password } }),
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/RVM is not installed in this box; its Ruby \(ruby 3\.1\.\d+, patchlevel \d+, \/usr\/bin\/ruby\) is the one asked for \(3\.1\), so it stays in use/);
    expect(r.out).toContain('Generating postgresql docker template (link variables POSTGRES_*)');
    expect(r.out).toContain("    host: <%= ENV['POSTGRES_PORT_5432_TCP_ADDR'] %>");
    expect(r.out).toContain('config/database.yml already exists and will be overwritten');
    for (const key of ['host', 'port', 'username', 'password', 'database']) expect(r.out).toContain(`${key} matches the link variable`);
    expect(r.out).toContain('username matches the link variable: rails\n');
    expect(r.out).toContain('database matches the link variable: rails_test\n');
    expect(r.out).toContain('adapter: postgresql, min_messages: warning');
    expect(r.out).toContain('connected as rails to rails_test');
    expect(r.out).not.toContain(password);
    // A service linked under another alias (postgis) is found; the min_messages property is used.
    expect(alias.code, alias.out).toBe(0);
    expect(alias.out).toContain('Skipping autodetection; service option set: postgresql-docker');
    expect(alias.out).toContain("    port: <%= ENV['POSTGIS_PORT_5432_TCP_PORT'] %>");
    expect(alias.out).toContain('adapter: postgresql, min_messages: notice');
    expect(alias.out).toContain('connected as app to app_test');
  });

  it('rails-database-yml and rvm-use fail clearly: no database service, an unknown service, a Ruby the box does not have', async () => {
    const [none, invalid, ruby] = await Promise.all([
      build('lang-ruby', { pipeline: 'no-service' }),
      build('lang-ruby', { pipeline: 'invalid-service' }),
      build('lang-ruby', { pipeline: 'rvm-other-ruby' }),
    ]);
    expect(none.code).toBe(1);
    expect(none.out).toContain('the property is service, not services');
    expect(none.out).toMatch(stepFailed('rails-database-yml', 'rails-database-yml: unable to auto detect the database service'));
    expect(invalid.code).toBe(1);
    expect(invalid.out).toMatch(stepFailed('rails-database-yml', 'rails-database-yml: invalid service "oracle"; supported: postgresql,'));
    expect(ruby.code).toBe(1);
    expect(ruby.out).toMatch(/Step failed: rvm-use \([\d.]+s\)\n\s+rvm-use: RVM is not installed in this box and its Ruby is ruby 3\.1\.\d+ \(patchlevel \d+\), not ruby-1\.9\.3-p550\. Use a box with that Ruby \(e\.g\. box: ruby:1\.9\.3\)/);
  });

  it('tcnksm/goveralls sends the coverage of go test to Coveralls (a stand-in on loopback) as its API documents', async () => {
    const token = 'coveralls-token-3e8b17';
    const r = await build('lang-go', { env: { X_COVERALLS_TOKEN: token } });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("goveralls is not installed in this box; sending the coverage with werker's uploader to http://127.0.0.1:8642");
    expect(r.out).toContain('1 source files uploaded to http://127.0.0.1:8642/api/v1/jobs: Job #7.1');
    expect(r.out).not.toContain(token);
    const json = [...r.out.matchAll(/^job: (.*)$/gm)].map((m) => m[1]).join('\n');
    const job = JSON.parse(json) as Record<string, unknown>;
    expect(job.repo_token).toBe('<the expected token>');
    expect(job.service_name).toBe('wercker.com');
    expect(job.service_job_id).toMatch(/\S/);
    expect(Date.parse(String(job.run_at))).not.toBeNaN();
    const source = readFileSync(stepsFixture('lang-go/calc/calc.go'));
    // calc.go: Add (3 calls) covered, Abs's negative branch not.
    expect(job.source_files).toEqual([{
      name: 'calc/calc.go',
      source_digest: createHash('md5').update(source).digest('hex'),
      coverage: [null, null, null, null, 3, 3, 3, null, null, 1, 1, 0, 0, 1, null],
    }]);
  });

  it('goveralls fails when Coveralls refuses the token; glide-install fails clearly without glide', async () => {
    const [refused, glide] = await Promise.all([
      build('lang-go', { pipeline: 'wrong-token', env: { X_COVERALLS_TOKEN: 'not-the-token-77' } }),
      build('lang-go', { pipeline: 'glide' }),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("Couldn't find a repository matching this job.");
    expect(refused.out).toMatch(stepFailed('goveralls', 'goveralls: the coverage could not be sent to http://127.0.0.1:8642'));
    expect(refused.out).not.toContain('not-the-token-77');
    expect(glide.code).toBe(1);
    expect(glide.out).toMatch(stepFailed('glide-install', 'glide-install: glide is not installed in this box and werker cannot download it'));
  });

  it('the packages run in busybox sh: rails-database-yml writes the file, the others say which tool the box lacks', async () => {
    const missing: Record<string, [string, string]> = {
      'npm-run': ['npm-run', 'npm-run: npm is not installed in this box'],
      'yarn-install': ['yarn-install', 'yarn-install: neither yarn nor npm is installed in this box'],
      virtualenv: ['virtualenv', 'virtualenv: no python in this box'],
      'rvm-use': ['rvm-use', 'rvm-use: neither RVM nor Ruby is installed in this box; use a box with Ruby 2.1.2 (e.g. box: ruby:2.1.2)'],
      'glide-install': ['glide-install', 'glide-install: glide is not installed in this box'],
      goveralls: ['goveralls', 'goveralls: go is not installed in this box'],
      s3sync: ['s3sync', 's3sync: s3cmd is not installed in this box'],
    };
    const ok = await build('lang-busybox');
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain("database.yml:     username: <%= ENV['POSTGRES_ENV_POSTGRES_USER'] || 'postgres' %>");
    expect(ok.out).toContain('database.yml:     min_messages: warning');
    for (const [pipeline, [step, message]] of Object.entries(missing)) {
      const r = await build('lang-busybox', { pipeline });
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(stepFailed(step, message));
    }
  });
});
