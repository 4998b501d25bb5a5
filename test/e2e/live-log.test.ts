import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus, type RunEvent, type RunEventBody, type RunEventType } from '../../src/engine/events.ts';
import { formatEvent } from '../../src/report/format.ts';
import type { RunDetail, ServerContext, ServerEnv } from '../../src/server/context.ts';
import type { ServerCore } from '../../src/server/core.ts';
import { LiveEvents } from '../../src/server/live.ts';
import { eventRoutes } from '../../src/server/routes/events.ts';
import { uiRoutes } from '../../src/server/ui/routes.tsx';

// The run page's live log (src/server/ui/client) in Debian's chromium, fed by the real event
// route (server-sent events) and served by the real UI routes (page, CSP, bundled script), with
// the run's events kept in memory instead of a store and no Docker: every event type, sent
// while the page follows, must show where and as the terminal shows it (report/event-lines.ts).
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.WERKER_REQUIRE_DOCKER === '1') {
  throw new Error(`${CHROMIUM} is missing: run scripts/setup-chromium.sh (scripts/test-env.sh does)`);
}

const RUN_ID = 7;

/**
 * A run in two parts: what happens before the first step (sent once the page follows), then the
 * steps. One of every event type: the record's keys make a new type fail to compile here until
 * the test sends it too.
 */
const firstOf: Record<RunEventType, RunEventBody> = {
  'run.started': { type: 'run.started', pipeline: 'build', box: 'busybox', services: ['pg', 'redis'], steps: ['install', 'test'], afterSteps: ['notify'] },
  'image.pull': { type: 'image.pull', image: 'busybox', status: 'Pulling from library/busybox' },
  'image.ready': { type: 'image.ready', image: 'busybox', pulled: true, durationMs: 1500 },
  'service.started': { type: 'service.started', name: 'pg', image: 'postgres:16', containerId: 'c1' },
  'service.ready': { type: 'service.ready', name: 'pg', waitedMs: 840, how: 'port 5432 open' },
  'service.logs': { type: 'service.logs', name: 'pg', logs: 'database system is ready\n' },
  'service.failed': { type: 'service.failed', name: 'redis', message: 'exited with code 1', logs: 'bad config\n' },
  log: { type: 'log', level: 'info', text: 'fetching the source' },
  'step.started': { type: 'step.started', step: 1, name: 'install', phase: 'main' },
  'step.output': { type: 'step.output', step: 1, stream: 'stdout', text: 'waiting...', partial: true },
  'step.finished': { type: 'step.finished', step: 1, name: 'install', phase: 'main', status: 'passed', exitCode: 0, durationMs: 1234 },
  'phase.finished': { type: 'phase.finished', phase: 'main', status: 'passed' },
  'artifacts.stored': { type: 'artifacts.stored', path: '/pipeline/output', files: 3, bytes: 4096 },
  'run.finished': { type: 'run.finished', status: 'errored', durationMs: 2000, error: { message: 'the box could not be removed', hint: 'run werker cleanup' } },
};
const preparing: RunEventBody[] = [
  firstOf['run.started'],
  firstOf['image.pull'],
  { type: 'image.pull', image: 'busybox', status: 'Downloading' },
  firstOf['image.ready'],
  firstOf['service.started'],
  firstOf['service.ready'],
  firstOf['service.logs'],
  firstOf['service.failed'],
  firstOf.log,
  { type: 'log', level: 'debug', text: 'an internal detail' },
];
const steps: RunEventBody[] = [
  firstOf['step.started'],
  firstOf['step.output'],
  { type: 'step.output', step: 1, stream: 'stdout', text: ' done' },
  { type: 'step.output', step: 1, stream: 'stderr', text: 'npm warn old lockfile' },
  firstOf['step.finished'],
  { type: 'log', level: 'warn', text: 'the cache is cold' },
  { type: 'step.started', step: 2, name: 'test', phase: 'main' },
  { type: 'step.output', step: 2, stream: 'stdout', text: 'ok 1 <b>not markup</b>' },
  firstOf['artifacts.stored'],
  { type: 'step.finished', step: 2, name: 'test', phase: 'main', status: 'passed', exitCode: 0, durationMs: 75_000 },
  firstOf['phase.finished'],
  { type: 'step.started', step: 1, name: 'notify', phase: 'after' },
  { type: 'step.output', step: 1, stream: 'stdout', text: 'posting' },
  { type: 'step.finished', step: 1, name: 'notify', phase: 'after', status: 'failed', exitCode: 1, durationMs: 300, message: 'Command exited with exit code: 1', hint: 'see the output above' },
  { type: 'phase.finished', phase: 'after', status: 'failed' },
  firstOf['run.finished'],
];

/** The run's events as the store would hold them, with the server's live bell (LiveEvents). */
function runEvents() {
  const stored: RunEvent[] = [];
  const live = new LiveEvents();
  const bus = createBus(`run-${RUN_ID}`, [(event) => {
    stored.push(event);
    live.publish(RUN_ID, [event]);
  }]);
  const status = () => (stored.some((e) => e.type === 'run.finished') ? 'failed' as const : 'running' as const);
  const core: Pick<ServerCore, 'runStatus' | 'listRunEvents' | 'followRun'> = {
    runStatus: async (runId) => (runId === RUN_ID ? status() : undefined),
    listRunEvents: async (runId, after = 0, limit = 500) => (runId === RUN_ID ? stored.filter((e) => e.seq > after).slice(0, limit) : []),
    followRun: (runId, onEvent) => live.follow(runId, onEvent),
  };
  const run = (): RunDetail => ({
    id: RUN_ID, applicationId: 1, applicationName: 'shop', pipeline: 'build', kind: 'build', branch: 'main', commit: 'abcdef1234567890',
    status: status(), trigger: 'ui', triggeredBy: 'ada', workflow: null, workflowRunId: null, sourceRunId: null, retryOf: null, attempt: 1,
    runner: null, createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, durationMs: null, message: null, cancelRequested: false,
    steps: [], lastSeq: 0,
  });
  return { stored, core, run, emit: (bodies: RunEventBody[]) => bodies.forEach((b) => bus.emit(b)) };
}

/** The real UI and event routes; the run page reads the run above, the signed-in user is given. */
function liveLogApp(events: ReturnType<typeof runEvents>): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.use('*', async (c, next) => {
    c.set('user', { id: 1, name: 'ada', role: 'admin', createdAt: '2026-12-01T00:00:00.000Z' });
    c.set('csrfToken', 'csrf-token');
    await next();
  });
  // The run page is all the UI routes are asked for here.
  const ctx = { getRun: async (id: number) => (id === RUN_ID ? events.run() : undefined) } as unknown as ServerContext;
  app.route('/', uiRoutes(ctx));
  app.route('/api', eventRoutes(events.core as ServerCore, 15));
  return app;
}

/** What the terminal prints for an event (report/format.ts, no colour): the page must show the same words. */
const terminal = (body: RunEventBody) => formatEvent({ runId: `run-${RUN_ID}`, seq: 1, at: '', ...body } as RunEvent, false);

describe.skipIf(!haveChromium)('the run page\'s live log in chromium', () => {
  let server: ServerType;
  let base = '';
  let browser: Browser;
  let page: Page;
  const events = runEvents();
  const problems: string[] = [];

  beforeAll(async () => {
    const app = liveLogApp(events);
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    // A script error, or a CSP refusal, shows in the console.
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const section = (key: string) => page.locator(`#log details[data-key="${key}"]`);
  const output = (key: string) => section(key).locator('pre.output').evaluate((pre) => pre.textContent);

  it('follows a run as it happens: preparing, steps with their output, and the final status', async () => {
    const response = await page.goto(`${base}/runs/${RUN_ID}`);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForSelector('#run[data-log=following]');

    // Before the first step: everything goes under "Preparing the box", in the terminal's words.
    events.emit(preparing);
    await page.waitForSelector('details[data-key=prepare] pre:has-text("fetching the source")', { state: 'attached' });
    expect(await section('prepare').getAttribute('data-state')).toBe('running');
    const shown = preparing.filter((b) => !(b.type === 'image.pull' && b.status === 'Downloading') && !(b.type === 'log' && b.level === 'debug'));
    expect(await output('prepare')).toBe(shown.map((b) => `${terminal(b)}\n`).join(''));
    // The steps to come are listed at once, pending.
    expect(await page.locator('#log details').evaluateAll((all) => all.map((d) => `${d.getAttribute('data-key')} ${d.getAttribute('data-state')}`)))
      .toEqual(['prepare running', 'main-1 pending', 'main-2 pending', 'after-1 pending']);
    expect(await page.locator('#run-status').textContent()).toBe('running');

    events.emit(steps);
    await page.waitForSelector('#run[data-log=finished]');
    expect(await section('prepare').getAttribute('data-state')).toBe('passed');

    // A line printed in two pieces stays one line; stderr stands out; a warning goes under the step that ran last.
    expect(await section('main-1').getAttribute('data-state')).toBe('passed');
    expect(await section('main-1').locator('.duration').textContent()).toBe('1.2s');
    expect(await section('main-1').evaluate((d) => (d as { open: boolean }).open)).toBe(false);
    expect(await output('main-1')).toBe('waiting... done\nnpm warn old lockfile\nthe cache is cold\n');
    expect(await section('main-1').locator('pre.output .stderr').allTextContents()).toEqual(['npm warn old lockfile\n', 'the cache is cold\n']);

    // Text stays text; the artifacts and the end of the main steps read as on the terminal.
    expect(await section('main-2').locator('.duration').textContent()).toBe('1m 15s');
    expect(await output('main-2')).toBe(`ok 1 <b>not markup</b>\n${terminal(firstOf['artifacts.stored'])}\nSteps passed\n`);
    expect(await section('main-2').locator('pre.output b').count()).toBe(0);

    // A failed after-step stays open, with why and what to do.
    expect(await section('after-1').getAttribute('data-state')).toBe('failed');
    expect(await section('after-1').evaluate((d) => (d as { open: boolean }).open)).toBe(true);
    expect(await section('after-1').locator('.phase').textContent()).toBe('after-step');
    expect(await output('after-1')).toBe('posting\n    Command exited with exit code: 1\n    hint: see the output above\n');
    expect(await section('after-1').locator('pre.output .hint').textContent()).toBe('    hint: see the output above');

    // The run's end: werker's own error shows as failed, with its message; Retry replaces Cancel.
    expect(await page.locator('#run').getAttribute('data-status')).toBe('failed');
    expect(await page.locator('#run-status').textContent()).toBe('failed');
    expect(await page.locator('#run-result').textContent()).toBe('Run errored after 2.0s: the box could not be removed (run werker cleanup)');
    expect(await page.locator('button[data-when-finished]').isVisible()).toBe(true);
    expect(await page.locator('button[data-while-active]').isHidden()).toBe(true);
    expect(await page.content()).not.toContain('an internal detail');
    expect(problems).toEqual([]);
  });

  it('shows the same log when the finished run is opened again (replayed from the start)', async () => {
    const before = await page.locator('#log').evaluate((log) => log.textContent);
    await page.reload();
    await page.waitForSelector('#run[data-log=finished]');
    expect(await page.locator('#log').evaluate((log) => log.textContent)).toBe(before);
    expect(await page.locator('#run-result').textContent()).toMatch(/^Run errored after 2\.0s/);
    expect(problems).toEqual([]);
  });
});
