import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/corpus.ts';
import { createServerUser, startServerProcess, stopServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { pullRequestPayload, startGitHubStatusApi, type GitHubStatusApi } from '../helpers/forge-github.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Issue 17's walk, as a person does it, in Debian's chromium against a real `werker server`
// (SQLite, embedded runner on the real Docker engine): sign in, add an application, set its
// forge (GitHub, the repository, the API address of GitHub's status API on loopback — checked
// against GitHub's OpenAPI description — and a token) and see the token said to be set but never
// shown; GitHub delivers a recorded `pull_request` "opened" payload signed with the secret the
// page shows; the run appears in the application's runs, its page follows it to the end and names
// the pull request; GitHub received pending, running and success for werker/build with the run's
// URL; the branch's badge says passing. A screenshot of the forge section and of the run goes to
// a temp dir, or to docs/screenshots/ with WERKER_UPDATE_SCREENSHOTS=1.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const USER = { name: 'forge-e2e', password: 'forge-e2e-password-1' };
const APP = `forge-walk-${randomBytes(3).toString('hex')}`;
const FORGE_TOKEN = `ghp_${randomBytes(12).toString('hex')}`;
const BRANCH = 'feature-walk';
const PR_NUMBER = 17;
const YML = `box: ${BUSYBOX}
build:
  steps:
    - script:
        name: say hello
        code: echo "hello from the pull request"
`;

const docker = await requireDocker();
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.WERKER_REQUIRE_DOCKER === '1') {
  throw new Error(`${CHROMIUM} is missing: run scripts/setup-chromium.sh (scripts/test-env.sh does)`);
}

describe.skipIf(!docker || !haveChromium)('a GitHub pull request, walked through in the web UI', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-forge-walk');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-forge-walk-'));
  const screenshots = process.env.WERKER_UPDATE_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs/screenshots') : path.join(dataDir, 'screenshots');
  let server: ServerProcess;
  let github: GitHubStatusApi;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    github = await startGitHubStatusApi({ token: FORGE_TOKEN, repos: ['acme/shop'] });
    createServerUser(dataDir, USER);
    server = await startServerProcess(dataDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await (await browser.newContext()).newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await stopServerProcess(server);
    await github?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  /** A commit on a branch of its own, as a pull request from the same repository has. */
  const branchCommit = () => {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.dir, stdio: 'pipe' });
    git('checkout', '-q', '-b', BRANCH);
    const sha = repo.commit({ 'walk.txt': 'a change under review\n' }, 'a change under review');
    git('checkout', '-q', 'main');
    return sha;
  };

  it('adds a forge token, builds an opened pull request, reports its statuses to GitHub and shows a passing badge', { timeout: 90_000 }, async () => {
    // Sign in and add the application.
    await page.goto(`${server.base}/apps`);
    await page.fill('input[name=username]', USER.name);
    await page.fill('input[name=password]', USER.password);
    await page.click('form.login button[type=submit]');
    await page.waitForURL('**/apps');
    await page.fill('#new-application input[name=name]', APP);
    await page.fill('#new-application input[name=repository]', repo.dir);
    await page.click('#new-application button[type=submit]');
    await page.waitForURL(/\/apps\/\d+$/);
    const appUrl = page.url();

    // The forge: GitHub, the repository, the loopback API and the token; the page says a token is set, never which.
    const form = '#forge-settings';
    await page.selectOption(`${form} select[name=kind]`, 'github');
    await page.fill(`${form} input[name=repository]`, 'acme/shop');
    await page.fill(`${form} input[name=apiUrl]`, github.apiUrl);
    await page.fill(`${form} input[name=token]`, FORGE_TOKEN);
    await page.click(`${form} button[type=submit]`);
    await page.waitForURL('**#forge');
    expect(await page.locator('#forge-token-set').innerText()).toBe('set');
    expect(await page.locator('#forge p.muted').innerText()).toContain('Statuses go to acme/shop on GitHub');
    expect(await page.inputValue(`${form} input[name=token]`)).toBe('');
    expect(await page.content()).not.toContain(FORGE_TOKEN);
    await page.locator('#forge').screenshot({ path: path.join(screenshots, 'server-forge.png') });

    // GitHub delivers the pull request to the URL the page shows, signed with the secret it shows.
    const hookUrl = await page.locator('#webhook-url').innerText();
    await page.locator('#webhook summary').click();
    const secret = await page.locator('#webhook-secret').innerText();
    const sha = branchCommit();
    const body = JSON.stringify(pullRequestPayload({ action: 'opened', headSha: sha, headRef: BRANCH, baseRef: 'main', number: PR_NUMBER }));
    expect(hookUrl).toBe(`${server.base}/hooks/github/${APP}`);
    const delivered = await fetch(hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': await sign(secret, body) },
      body,
    });
    const answer = (await delivered.json()) as { run?: number; error?: string };
    expect(delivered.status, JSON.stringify(answer)).toBe(202);

    // The run shows in the application's runs; its page follows it to the end and names the pull request.
    const row = await waitFor('the run in the application\'s run list', async () => {
      await page.goto(appUrl);
      const found = page.locator('#runs tr[data-run]').first();
      return (await found.count()) ? found : undefined;
    }, 20_000, 500);
    expect(await row.getAttribute('data-run')).toBe(String(answer.run));
    expect(await row.locator('td').nth(2).innerText()).toBe(BRANCH);
    expect(await row.locator('td').nth(5).innerText()).toBe(`pull_request: Codertocat (pull request #${PR_NUMBER})`);
    await row.locator('a').first().click();
    await page.waitForURL(`**/runs/${answer.run}`);
    await page.waitForSelector('#run[data-log=finished]', { timeout: 60_000 });
    expect(await page.locator('#run').getAttribute('data-status')).toBe('passed');
    expect(await page.locator('#run-status').textContent()).toBe('passed');
    expect(await page.locator('#log').textContent()).toContain('hello from the pull request');
    expect(await page.locator('.meta').first().innerText()).toContain(`started by pull_request: Codertocat (pull request #${PR_NUMBER})`);
    expect(await page.locator('.meta').first().innerText()).toContain(`pull request #${PR_NUMBER}`);
    expect(await page.content()).not.toContain(FORGE_TOKEN);
    await page.screenshot({ path: path.join(screenshots, 'server-pull-request-run.png'), fullPage: true });

    // GitHub received queued, running and the result for werker/build, each pointing at the run's page.
    const statuses = await waitFor('3 commit statuses', async () => {
      const got = github.statuses.filter((s) => s.sha === sha);
      return got.length >= 3 ? got : undefined;
    }, 20_000);
    expect(statuses.map((s) => [s.body.state, s.body.description])).toEqual([['pending', 'queued'], ['pending', 'running'], ['success', expect.stringMatching(/^passed in \d+ s$/)]]);
    for (const s of statuses) {
      expect(s).toMatchObject({ owner: 'acme', repo: 'shop', body: { context: 'werker/build', target_url: `${server.base}/runs/${answer.run}` } });
      expect(s.headers.authorization).toBe(`Bearer ${FORGE_TOKEN}`);
    }
    expect(github.problems).toEqual([]);
    // The run page shows a status that did not reach the forge; these all did.
    await page.reload();
    await page.waitForSelector('#run[data-log=finished]');
    expect(await page.locator('#run-forge-status-error').count()).toBe(0);

    // The branch's badge, opened in the browser, says passing.
    await page.goto(`${server.base}/badge/${APP}/build.svg?branch=${BRANCH}`);
    expect(await page.locator('svg').getAttribute('aria-label')).toBe('build: passing');
    expect(await page.locator('svg').textContent()).toContain('passing');
    expect(problems).toEqual([]);
  });
});
