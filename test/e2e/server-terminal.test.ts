import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.ts';
import type { Run } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { apiClient } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// The run page's terminal (xterm.js over the terminal's WebSocket; docs/wercker-compat.md §8.4,
// werker's own) in Debian's chromium: a real server with its embedded runner on the real engine,
// a step that fails, the page opened, a command typed into the terminal and its output read.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const docker = await requireDocker();
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.WERKER_REQUIRE_DOCKER === '1') {
  throw new Error(`${CHROMIUM} is missing: run scripts/setup-chromium.sh (scripts/test-env.sh does)`);
}
const SECRET = `s3cr3t-${randomBytes(6).toString('hex')}`;
const APP = `ui-term-${randomBytes(3).toString('hex')}`;
const YML = `box: ${BUSYBOX}
build:
  steps:
    - script:
        name: break
        code: |
          mkdir -p broken-here && cd broken-here
          echo "failing on purpose"; exit 4
`;

/** The terminal's chunk (client/terminal-screen.ts, bundled apart: assets/client-bundle.ts). */
const TERMINAL_CHUNK = /\/assets\/terminal-screen-[A-Z0-9]+\.js$/;

/** The page's requests for the terminal's chunk, as they happen. */
function trackTerminalChunk(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (req) => {
    if (TERMINAL_CHUNK.test(new URL(req.url()).pathname)) seen.push(req.url());
  });
  return seen;
}

describe.skipIf(!docker || !haveChromium)('the run page\'s terminal in chromium', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-ui-term');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-ui-term-'));
  let server: RunningServer;
  let browser: Browser;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 1, runtime: docker!, leaseMs: 15_000, log: () => undefined, allowLocalRepos: [tmpdir()], terminalMinutes: 2 });
    const admin = await server.core.auth.createUser('admin', 'long enough password');
    api = apiClient(server.url, (await server.core.auth.createToken('user', 'e2e', admin)).token);
    await api.post('/api/applications', { name: APP, repository: repo.dir });
    await api.post(`/api/applications/${APP}/variables`, { name: 'SOME_VAR', value: SECRET, protected: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  it('opens a failed run\'s page, types a command into the terminal and reads its output, the protected value masked', async () => {
    const { run } = await api.post<{ run: Run }>(`/api/applications/${APP}/runs`, { pipeline: 'build' });
    await waitFor('the failed box to be held', async () => (server.core.terminals.hub.holding(run.id) ? true : undefined), 120_000);
    const { events } = await api.get<{ events: RunEvent[] }>(`/api/runs/${run.id}/events?format=json`);
    const failedAt = Date.parse(events.find((e) => e.type === 'step.finished' && e.status === 'failed')!.at);
    const heldAt = await waitFor('the hold to be logged', async () => {
      const { events: now } = await api.get<{ events: RunEvent[] }>(`/api/runs/${run.id}/events?format=json`);
      const held = now.find((e) => e.type === 'log' && e.text.includes('its box is kept'));
      return held ? Date.parse(held.at) : undefined;
    }, 10_000);

    const session = (await server.core.auth.login('admin', 'long enough password'))!;
    const context = await browser.newContext();
    await context.addCookies([{ name: 'werker_session', value: session.token, url: server.url }]);
    const page = await context.newPage();
    const chunkRequests = trackTerminalChunk(page);
    await page.goto(`${server.url}/apps`, { waitUntil: 'networkidle' });
    await page.goto(`${server.url}/runs/${run.id}`, { waitUntil: 'networkidle' });
    // xterm.js is a chunk of its own: neither a page without a terminal nor the run page before the click loads it.
    expect(chunkRequests).toEqual([]);
    const clicked = Date.now();
    const chunkAnswer = page.waitForResponse((res) => TERMINAL_CHUNK.test(new URL(res.url()).pathname));
    await page.click('#terminal-open');
    const chunk = await chunkAnswer;
    expect([chunk.status(), chunk.headers()['content-type'], chunk.headers()['cache-control']]).toEqual([200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
    const rows = page.locator('#terminal-screen .xterm-rows');
    await waitFor('a prompt in the browser', async () => ((await rows.innerText().catch(() => '')).includes('broken-here #') ? true : undefined), 30_000, 50);
    const prompt = Date.now();
    console.log(`[measure] terminal: step failed → prompt in the browser ${prompt - failedAt} ms (step failed → box held ${heldAt - failedAt} ms; page open → click → prompt ${prompt - clicked} ms)`);

    await page.keyboard.type('pwd; echo "var=$SOME_VAR"');
    await page.keyboard.press('Enter');
    await waitFor('the command\'s output', async () => ((await rows.innerText()).includes('var=***') ? true : undefined), 20_000, 100);
    const text = await rows.innerText();
    expect(text).toMatch(/\/pipeline\/source\/broken-here\s/);
    expect(await page.content()).not.toContain(SECRET);
    expect(await page.getAttribute('#terminal', 'data-state')).toBe('open');

    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await waitFor('the terminal to close', async () => ((await page.getAttribute('#terminal', 'data-state')) === 'closed' ? true : undefined), 20_000);
    expect(chunkRequests).toHaveLength(1);
    await api.post(`/api/runs/${run.id}/cancel`);
    await context.close();
  }, 240_000);

  it('says to reload the page when the terminal\'s chunk cannot be loaded (a page of an older build), and offers the button again', async () => {
    const { run } = await api.post<{ run: Run }>(`/api/applications/${APP}/runs`, { pipeline: 'build' });
    await waitFor('the failed box to be held', async () => (server.core.terminals.hub.holding(run.id) ? true : undefined), 120_000);
    const session = (await server.core.auth.login('admin', 'long enough password'))!;
    const context = await browser.newContext();
    await context.addCookies([{ name: 'werker_session', value: session.token, url: server.url }]);
    // What a server of a newer build answers for the chunk name an older page holds.
    await context.route(TERMINAL_CHUNK, (route) => route.fulfill({ status: 404, body: 'No such asset.' }));
    const page = await context.newPage();
    await page.goto(`${server.url}/runs/${run.id}`);
    await page.click('#terminal-open');
    await waitFor('the terminal to give up', async () => ((await page.getAttribute('#terminal', 'data-state')) === 'closed' ? true : undefined), 20_000);
    expect(await page.locator('#terminal-status').innerText()).toMatch(/^the terminal's script could not be loaded \(.+\): reload the page and open the terminal again$/);
    expect(await page.isVisible('#terminal-open')).toBe(true);
    expect(await page.isVisible('#terminal-screen')).toBe(false);
    await api.post(`/api/runs/${run.id}/cancel`);
    await context.close();
  }, 240_000);
});
