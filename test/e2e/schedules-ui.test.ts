import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';

// The schedules section of the application page in Debian's chromium (playwright-core), on a
// real `werker server` (SQLite, no runner: nothing here runs a pipeline) whose clock is the
// test's: add a schedule with the form, see its next run, see a bad expression refused in the
// form with the field and the character, edit and delete it. A screenshot of the section goes
// to a temp dir, or to docs/screenshots/ with WERKER_UPDATE_SCREENSHOTS=1.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.WERKER_REQUIRE_DOCKER === '1') {
  throw new Error(`${CHROMIUM} is missing: run scripts/setup-chromium.sh (scripts/test-env.sh does)`);
}
const USER = { name: 'sched-e2e', password: 'sched-e2e-password-1' };
const YML = 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        code: echo hi\nnightly-checks:\n  steps:\n    - script:\n        code: echo checks\n';

describe.skipIf(!haveChromium)('schedules in the web UI', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-sched-e2e');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-sched-e2e-'));
  const clock = new Date('2026-12-02T10:30:00.000Z');
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let appId: number;
  // docs/screenshots/ with WERKER_UPDATE_SCREENSHOTS=1, as the other UI test does; else a temp dir.
  const screenshots = process.env.WERKER_UPDATE_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs/screenshots') : path.join(dataDir, 'screenshots');

  beforeAll(async () => {
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 0, log: () => undefined, allowLocalRepos: [tmpdir()], now: () => clock });
    const user = await server.core.auth.createUser(USER.name, USER.password);
    appId = (await server.core.createApplication({ name: 'shop', repository: repo.dir }, user)).id;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await (await browser.newContext()).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  it('adds a schedule and shows its next run; refuses a bad expression in the form with where it is wrong; edits and deletes it', async () => {
    await page.goto(`${server.url}/apps/${appId}`);
    await page.fill('input[name=username]', USER.name);
    await page.fill('input[name=password]', USER.password);
    await page.click('form.login button[type=submit]');
    await page.waitForURL(`**/apps/${appId}`);

    const form = '#new-schedule';
    await page.fill(`${form} input[name=name]`, 'nightly');
    await page.fill(`${form} input[name=expression]`, '30 2 * * MON-FRI');
    await page.fill(`${form} input[name=timeZone]`, 'Europe/Berlin');
    await page.selectOption(`${form} select[name=pipeline]`, 'nightly-checks');
    await page.click(`${form} button[type=submit]`);
    await page.waitForURL(`**/apps/${appId}#schedules`);
    const row = page.locator('tr[data-schedule=nightly]');
    // Wednesday 2 December 2026, 11:30 in Berlin: the next weekday 02:30 there is Thursday's.
    expect(await row.locator('.next-run').innerText()).toBe('2026-12-03 02:30 Europe/Berlin\n2026-12-03 01:30:00 UTC');
    expect(await row.locator('.expression').innerText()).toBe('30 2 * * MON-FRI');
    expect(await row.locator('td').nth(3).innerText()).toBe('nightly-checks');
    expect(await row.locator('.last-run').innerText()).toBe('none yet');

    await page.fill(`${form} input[name=name]`, 'hourly');
    await page.fill(`${form} input[name=expression]`, '0 */2 * 13 *');
    await page.click(`${form} button[type=submit]`);
    expect(await page.locator(`${form} [role=alert]`).innerText()).toBe('invalid cron expression "0 */2 * 13 *" at character 9, field 4 (month): 13 is out of range 1-12');
    expect(await page.locator(`${form} .cron-caret`).innerText()).toBe('0 */2 * 13 *\n        ^');
    expect(await page.inputValue(`${form} input[name=expression]`), 'what was typed is kept').toBe('0 */2 * 13 *');
    expect(await page.locator('tr[data-schedule=hourly]').count()).toBe(0);
    await page.locator('#schedules').screenshot({ path: path.join(screenshots, 'server-schedules.png') });

    // Mend it in place; then edit the first one to a keyword and disable it.
    await page.fill(`${form} input[name=expression]`, '0 */2 * 12 *');
    await page.click(`${form} button[type=submit]`);
    await page.waitForURL(`**/apps/${appId}#schedules`);
    expect(await page.locator('tr[data-schedule=hourly] .next-run').innerText()).toBe('2026-12-02 12:00 UTC\n2026-12-02 12:00:00 UTC');
    await row.locator('summary').click();
    await row.locator('input[name=expression]').fill('@weekly');
    await row.locator('input[name=enabled]').uncheck();
    await row.locator('button', { hasText: 'Save' }).click();
    await page.waitForURL(`**/apps/${appId}#schedules`);
    expect(await row.locator('.next-run').innerText()).toBe('disabled');
    expect((await server.core.schedules.list(appId)).map((s) => [s.name, s.expression, s.enabled])).toEqual([['hourly', '0 */2 * 12 *', true], ['nightly', '@weekly', false]]);

    await page.locator('tr[data-schedule=hourly] summary').click();
    await page.locator('tr[data-schedule=hourly] button.danger').click();
    await page.waitForURL(`**/apps/${appId}#schedules`);
    expect(await page.locator('tr[data-schedule=hourly]').count()).toBe(0);
  });
});
