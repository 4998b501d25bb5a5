import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { requireDocker } from '../helpers/docker.ts';
import { createServerUser, startServerProcess, stopServerProcess, type ServerProcess } from '../helpers/server-process.ts';

// The web UI end to end, as a person uses it: a real `werker server` (SQLite store, embedded
// runner on the real Docker engine), driven through Debian's chromium. Sign in, add an
// application from a local git repository, set a protected variable, press Run, follow the live
// log to the end and see the value masked there and nowhere in the page; then a key pair, retry,
// cancel and a failing run. Screenshots of the application and run pages go to a temp dir, or to
// docs/screenshots/ with WERKER_UPDATE_SCREENSHOTS=1 (a plain test run leaves the tree as it was).
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const USER = { name: 'ui-e2e', password: 'ui-e2e-password-1' };
// What the pipeline prints; the masked form is what util/mask.ts puts in its place.
const SECRET = `s3cr3t-${process.pid}-tok`;
const MASKED_LINE = 'token is ***';

const docker: DockerRuntime | undefined = await requireDocker();
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.WERKER_REQUIRE_DOCKER === '1') {
  throw new Error(`${CHROMIUM} is missing: run scripts/setup-chromium.sh (scripts/test-env.sh does)`);
}

const dirs: string[] = [];
const tempDir = (what: string) => {
  const d = mkdtempSync(path.join(tmpdir(), `werker-ui-e2e-${what}-`));
  dirs.push(d);
  return d;
};
/** Set in beforeAll, so a skipped suite makes no temp dir. */
let SCREENSHOTS = '';

/** A local git repository whose build pipeline echoes the protected variable. */
function makeRepository(): string {
  const dir = tempDir('repo');
  writeFileSync(
    path.join(dir, 'wercker.yml'),
    [
      'box: werker-test/busybox',
      'build:',
      '  steps:',
      '    - script:',
      '        name: wait a moment',
      // A line in two pieces: werker shows "waiting..." after 250 ms, the rest 2 s later.
      "        code: printf 'waiting...'; sleep 2; echo ' done'",
      '    - script:',
      '        name: show the token',
      '        code: |',
      '          echo "token is $DEPLOY_TOKEN"',
      '          echo "length ${#DEPLOY_TOKEN}"',
      '          echo "public ${DEPLOY_KEY_PUBLIC%% *}"',
      '          echo "$DEPLOY_KEY_PRIVATE" | head -n 1',
      // A pipeline that fails, and one that runs until it is cancelled.
      'broken:',
      '  steps:',
      '    - script:',
      '        name: fail on purpose',
      '        code: |',
      '          echo "about to fail"',
      '          ls /no/such/file',
      'slow:',
      '  steps:',
      '    - script:',
      '        name: take a long time',
      '        code: |',
      '          echo "working on it"',
      '          sleep 300',
      '',
    ].join('\n'),
  );
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=werker test', '-c', 'user.email=test@werker.invalid', 'add', 'wercker.yml');
  git('-c', 'user.name=werker test', '-c', 'user.email=test@werker.invalid', 'commit', '-q', '-m', 'a pipeline');
  return dir;
}

/** What the server process's runs left on the engine (runs label all they create with their owner, host:pid). */
async function leftovers(runtime: DockerRuntime, pid: number): Promise<string[]> {
  const owner = `${hostname()}:${pid}`;
  const found = await runtime.listLabelled('werker.owner', owner);
  return [...found.containers.map((c) => `container ${c.name}`), ...found.networks.map((n) => `network ${n.name}`), ...found.volumes.map((v) => `volume ${v.name}`)];
}

describe.skipIf(!docker || !haveChromium)('werker server web UI in chromium', () => {
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let repository: string;
  const appName = `ui-e2e-${process.pid}`;

  beforeAll(async () => {
    SCREENSHOTS = process.env.WERKER_UPDATE_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs/screenshots') : tempDir('screenshots');
    repository = makeRepository();
    const dataDir = tempDir('data');
    createServerUser(dataDir, USER);
    server = await startServerProcess(dataDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
  });

  // The server's own log says why when something in the browser did not happen.
  afterEach((context) => {
    if (context.task.result?.state === 'fail' && server) process.stderr.write(`--- werker server output ---\n${server.output()}\n`);
  });

  afterAll(async () => {
    await browser?.close();
    await stopServerProcess(server);
    if (docker && server?.child.pid) {
      const found = await docker.listLabelled('werker.owner', `${hostname()}:${server.child.pid}`);
      await Promise.all(found.containers.map((c) => docker.removeContainer(c.id, { force: true, volumes: true })));
      await Promise.all(found.networks.map((n) => docker.removeNetwork(n.id)));
      await Promise.all(found.volumes.map((v) => docker.removeVolume(v.name)));
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('signs in', async () => {
    await page.goto(`${server!.base}/apps`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name=username]', USER.name);
    await page.fill('input[name=password]', USER.password);
    await page.click('form.login button[type=submit]');
    await page.waitForURL(`${server!.base}/apps`);
    expect(await page.locator('header.top').innerText()).toContain(USER.name);
  });

  it('adds an application from a local repository and lists its pipelines', async () => {
    await page.fill('#new-application input[name=name]', appName);
    await page.fill('#new-application input[name=repository]', repository);
    await page.fill('#new-application input[name=defaultBranch]', 'main');
    await page.click('#new-application button[type=submit]');
    await page.waitForURL(/\/apps\/\d+$/);
    expect(await page.locator('h1').innerText()).toBe(appName);
    expect(await page.locator('#pipeline-list tr[data-pipeline=build]').count()).toBe(1);
  });

  it('sets a protected variable that is never shown again', async () => {
    await page.fill('#new-variable input[name=name]', 'DEPLOY_TOKEN');
    await page.fill('#new-variable input[name=value]', SECRET);
    await page.check('#new-variable input[name=protected]');
    await page.click('#new-variable button[type=submit]');
    await page.waitForURL(/\/apps\/\d+#variables$/);
    const row = page.locator('#variable-list tr[data-variable=DEPLOY_TOKEN]');
    expect(await row.locator('.protected').innerText()).toBe('protected');
    expect(await page.content()).not.toContain(SECRET);
    // Not from the API either (the same session, as the page's own scripts would ask).
    const api = await page.request.get(`${server!.base}/api/applications/${appName}/variables`);
    expect(api.ok()).toBe(true);
    const body = await api.text();
    expect(body).toContain('"DEPLOY_TOKEN"');
    expect(body).not.toContain(SECRET);
  });

  it('generates an SSH key pair: the public half shown for copying, the private half never', async () => {
    await page.fill('#new-key-pair input[name=name]', 'DEPLOY_KEY');
    await page.click('#new-key-pair button[type=submit]');
    await page.waitForURL(/\/apps\/\d+#keys$/);
    const publicKey = await page.locator('[data-key-pair=DEPLOY_KEY] pre').innerText();
    expect(publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ \S+$/);
    await page.click('[data-key-pair=DEPLOY_KEY] button[data-copy]');
    expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(publicKey);
    expect(await page.content()).not.toContain('PRIVATE KEY-----');
  });

  it('runs the build from its button and follows the live log to the end, the value masked', async () => {
    const runPage = page.waitForResponse((r) => /\/runs\/\d+$/.test(new URL(r.url()).pathname) && r.request().resourceType() === 'document');
    await page.click('#pipeline-list tr[data-pipeline=build] button[type=submit]');
    // The page as first served: the run has not finished yet, so what follows is the live log.
    const firstHtml = await (await runPage).text();
    expect(firstHtml).toMatch(/id="run-status" data-status="(queued|running)"/);

    await page.waitForSelector('#run[data-log=finished]', { timeout: 240_000 });
    expect(await page.locator('#run').getAttribute('data-status')).toBe('passed');
    expect(await page.locator('#run-status').textContent()).toBe('passed');
    expect(await page.locator('#run-result').innerText()).toMatch(/^Run passed after /);
    const waitStep = page.locator('#log details', { hasText: 'wait a moment' });
    await waitStep.evaluate((d) => ((d as { open: boolean }).open = true));
    expect(await waitStep.locator('pre.output').innerText()).toBe('waiting... done\n');
    const tokenStep = page.locator('#log details', { hasText: 'show the token' });
    expect(await tokenStep.getAttribute('data-state')).toBe('passed');
    expect(await tokenStep.evaluate((d) => (d as { open: boolean }).open)).toBe(true);
    const output = await tokenStep.locator('pre.output').innerText();
    expect(output).toContain(MASKED_LINE);
    expect(output).toContain(`length ${SECRET.length}`);
    // The generated key reached the pipeline; the private half's lines are masked like any protected value.
    expect(output).toContain('public ssh-ed25519');
    expect(output).not.toContain('PRIVATE KEY');
    expect(await page.content()).not.toContain(SECRET);
    // Every event the server sends shows, in the terminal's words: the box before the first step,
    // the end of the main steps under the last one (phase.finished, which the page once ignored).
    expect(output).toMatch(/\nSteps passed\n/);
    const preparing = await page.locator('#log details[data-key=prepare] pre.output').evaluate((pre) => pre.textContent);
    expect(preparing).toMatch(/\n--> build: box werker-test\/busybox:latest \(run \d+\)\n--> Running step: setup environment\n {4}image werker-test\/busybox:latest (present|pulled in \d+\.\d+s)\n(?:[\s\S]*\n)?Step passed: setup environment \(\d+\.\d+s\)\n/);
    // The step list carries durations.
    expect(await tokenStep.locator('.duration').innerText()).toMatch(/^\d+(ms|\.\ds)$/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'server-run.png'), fullPage: true });
  });

  it('retries a finished run', async () => {
    const first = page.url();
    await page.click('button[data-when-finished]');
    await page.waitForURL((url) => /\/runs\/\d+$/.test(url.pathname) && url.href !== first);
    await page.waitForSelector('#run[data-log=finished]', { timeout: 240_000 });
    expect(await page.locator('#run').getAttribute('data-status')).toBe('passed');
    expect(await page.locator('.meta').innerText()).toContain(`retry of #${first.split('/').pop()}`);
  });

  it('cancels a running run', async () => {
    await page.click('.crumbs a[href^="/apps/"]');
    await page.waitForURL(/\/apps\/\d+$/);
    await page.click('#pipeline-list tr[data-pipeline=slow] button[type=submit]');
    await page.waitForURL(/\/runs\/\d+$/);
    // Cancel once the long step is under way (the live log says so), then watch the run end.
    await page.waitForSelector('#log details[data-state=running]:has-text("working on it")', { timeout: 240_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'server-run-live.png'), fullPage: true });
    await page.click('button[data-while-active]');
    await page.waitForSelector('#run[data-log=finished]', { timeout: 120_000 });
    expect(await page.locator('#run').getAttribute('data-status')).toBe('cancelled');
    expect(await page.locator('button[data-while-active]').isHidden()).toBe(true);
  });

  it('shows a failed step open, with its output, and the run failed', async () => {
    await page.click('.crumbs a[href^="/apps/"]');
    await page.waitForURL(/\/apps\/\d+$/);
    await page.click('#pipeline-list tr[data-pipeline=broken] button[type=submit]');
    await page.waitForURL(/\/runs\/\d+$/);
    await page.waitForSelector('#run[data-log=finished]', { timeout: 240_000 });
    expect(await page.locator('#run').getAttribute('data-status')).toBe('failed');
    const step = page.locator('#log details', { hasText: 'fail on purpose' });
    expect(await step.getAttribute('data-state')).toBe('failed');
    expect(await step.evaluate((d) => (d as { open: boolean }).open)).toBe(true);
    expect(await step.locator('pre.output').innerText()).toContain('about to fail');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'server-run-failed.png'), fullPage: true });
  });

  it('shows the runs in the application\'s history', async () => {
    await page.click('.crumbs a[href^="/apps/"]');
    await page.waitForURL(/\/apps\/\d+$/);
    const badges = await page.locator('#runs table.runs tbody tr .badge').allTextContents();
    expect(badges).toEqual(['failed', 'cancelled', 'passed', 'passed']);
    expect(await page.content()).not.toContain(SECRET);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'server-application.png'), fullPage: true });
  });

  it('leaves no container, network or volume behind once the server stops', async () => {
    await stopServerProcess(server);
    expect(server!.child.exitCode).toBe(0);
    expect(await leftovers(docker!, server!.child.pid!)).toEqual([]);
  });
});
