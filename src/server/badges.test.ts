import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempGitRepo } from '../../test/helpers/git-repo.ts';
import { openStore } from '../store/db.ts';
import { createApp } from './app.ts';
import { badgeStatusOf, escapeXml, renderBadge, type BadgeStatus } from './badges.ts';
import type { Application, RunStatus, ServerEnv, User } from './context.ts';
import { createServerCore, type Core } from './service.ts';

// The badge route through app.request (no socket), over SQLite in memory and a real git repo.
const YML = 'box: werker-test/busybox\nbuild:\n  steps:\n    - script:\n        name: hello\n        code: echo hello\n';
const PASSWORD = 'long enough password';
const repo = tempGitRepo({ 'wercker.yml': YML });
afterAll(() => repo.remove());

let dataDir: string;
let core: Core;
let app: Hono<ServerEnv>;
let admin: User;
let member: User;
let shop: Application;

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-badge-test-'));
  core = createServerCore(await openStore(':memory:'), { dataDir, leaseMs: 60_000, allowLocalRepos: [tmpdir()] });
  app = createApp(core, { heartbeatSeconds: 1 });
  admin = await core.auth.createUser('ada', PASSWORD);
  member = await core.auth.createUser('bob', PASSWORD);
  shop = await core.createApplication({ name: 'shop', repository: repo.dir }, admin);
});
afterEach(async () => {
  await core.store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const badge = (url: string, headers: Record<string, string> = {}) => app.request(url, { headers });
/** A run of `pipeline` on `branch` that ended (or stands) at `status`. */
async function runWith(status: RunStatus, pipeline = 'build', branch = shop.defaultBranch) {
  const run = await core.triggerRun(shop.id, 'build', {}, admin);
  await core.store.db.updateTable('runs').set({ status, pipeline, branch }).where('id', '=', run.id).execute();
  return run;
}

describe('badge SVG', () => {
  it('says each status in words, with its colour, beside the pipeline name', () => {
    const colours: Record<BadgeStatus, string> = { passing: '#4c1', failing: '#e05d44', cancelled: '#9f9f9f', running: '#dfb317', unknown: '#9f9f9f' };
    for (const [status, colour] of Object.entries(colours) as [BadgeStatus, string][]) {
      const svg = renderBadge('build', status);
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="20"/);
      expect(svg).toContain(`aria-label="build: ${status}"`);
      expect(svg).toContain(`<text x="`);
      expect(svg).toContain(`>${status}</text>`);
      expect(svg).toContain(`fill="${colour}"`);
    }
  });

  it('maps the newest finished run to the words, and a pipeline that never finished to running or unknown', () => {
    expect(badgeStatusOf({ finished: 'passed', active: true })).toBe('passing');
    expect(badgeStatusOf({ finished: 'failed', active: false })).toBe('failing');
    expect(badgeStatusOf({ finished: 'cancelled', active: false })).toBe('cancelled');
    expect(badgeStatusOf({ finished: undefined, active: true })).toBe('running');
    expect(badgeStatusOf({ finished: undefined, active: false })).toBe('unknown');
  });

  it('escapes names, so a pipeline called like markup stays text', () => {
    const svg = renderBadge('<script>alert("x")</script>&\'', 'passing');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;');
    expect(escapeXml('a"b')).toBe('a&#34;b');
  });
});

describe('GET /badge/:app/:pipeline.svg', () => {
  it('is unknown before any run, then follows the newest finished run of that pipeline on the default branch', async () => {
    const first = await badge('/badge/shop/build.svg');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(await first.text()).toContain('aria-label="build: unknown"');
    await runWith('running');
    expect(await (await badge('/badge/shop/build.svg')).text()).toContain('aria-label="build: running"');
    await runWith('passed');
    expect(await (await badge('/badge/shop/build.svg')).text()).toContain('aria-label="build: passing"');
    await runWith('failed', 'build', 'feature-x');
    await runWith('cancelled', 'deploy');
    expect(await (await badge('/badge/shop/build.svg')).text()).toContain('aria-label="build: passing"');
    expect(await (await badge('/badge/shop/build.svg?branch=feature-x')).text()).toContain('aria-label="build: failing"');
    expect(await (await badge('/badge/shop/deploy.svg')).text()).toContain('aria-label="deploy: cancelled"');
    expect(await (await badge('/badge/shop/lint.svg')).text()).toContain('aria-label="lint: unknown"');
  });

  it('escapes the pipeline name taken from the URL', async () => {
    const text = await (await badge(`/badge/shop/${encodeURIComponent('<b onload="x">')}.svg`)).text();
    expect(text).not.toContain('<b ');
    expect(text).toContain('&#60;b onload=&#34;x&#34;&#62;: unknown');
  });

  it('asks caches to revalidate every time, with an ETag that answers 304 while the status holds', async () => {
    const res = await badge('/badge/shop/build.svg');
    expect(res.headers.get('cache-control')).toBe('public, no-cache, max-age=0, must-revalidate');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await badge('/badge/shop/build.svg', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toContain('no-cache');
    await runWith('passed');
    const changed = await badge('/badge/shop/build.svg', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('answers 404 for an unknown application, a path not ending in .svg, and 400 for a branch git would refuse', async () => {
    expect((await badge('/badge/nope/build.svg')).status).toBe(404);
    expect((await badge('/badge/shop/build.png')).status).toBe(404);
    expect((await badge('/badge/shop/build.svg?branch=a..b')).status).toBe(400);
  });
});

describe('private applications', () => {
  const makePrivate = async (as: User, value: unknown) => {
    const t = (await core.auth.createToken('user', `t-${Math.random()}`, as)).token;
    return app.request('/api/applications/shop', { method: 'PATCH', headers: { ...bearer(t), 'content-type': 'application/json' }, body: JSON.stringify({ private: value }) });
  };

  it('are made private by their maintainers (API), not by other members', async () => {
    expect((await makePrivate(member, true)).status).toBe(403);
    expect((await makePrivate(admin, 'yes')).status).toBe(400);
    const res = await makePrivate(admin, true);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { application: Application }).application.private).toBe(true);
    expect((await core.getApplication('shop'))!.private).toBe(true);
    expect((await makePrivate(admin, false)).status).toBe(200);
    expect((await core.getApplication('shop'))!.private).toBe(false);
  });

  it('answer 404 to visitors, runner tokens and disabled users exactly as for no application, and 200 to a member', async () => {
    await runWith('passed');
    expect((await badge('/badge/shop/build.svg')).status).toBe(200);
    await core.setApplicationPrivate(shop.id, true, admin);
    const missing = await badge('/badge/ghost/build.svg');
    const hidden = await badge('/badge/shop/build.svg');
    expect(hidden.status).toBe(404);
    expect(await hidden.text()).toBe(await missing.text());
    const runner = (await core.auth.createToken('runner', 'r1')).token;
    expect((await badge('/badge/shop/build.svg', bearer(runner))).status).toBe(404);
    const eve = await core.auth.createUser('eve', PASSWORD);
    const eveToken = (await core.auth.createToken('user', 'eve', eve)).token;
    const eveSession = (await core.auth.login('eve', PASSWORD))!;
    await core.auth.updateUser(eve.id, { disabled: true }, admin);
    expect((await badge('/badge/shop/build.svg', { cookie: `werker_session=${eveSession.token}` })).status).toBe(404);
    expect((await badge('/badge/shop/build.svg', bearer(eveToken))).status).toBeOneOf([401, 404]);
    const bobSession = (await core.auth.login('bob', PASSWORD))!;
    const seen = await badge('/badge/shop/build.svg', { cookie: `werker_session=${bobSession.token}` });
    expect(seen.status).toBe(200);
    expect(await seen.text()).toContain('aria-label="build: passing"');
    expect(seen.headers.get('cache-control')).toBe('private, no-cache, max-age=0, must-revalidate');
    expect(seen.headers.get('vary')).toBe('Cookie, Authorization');
  });

  it('show the badge Markdown and, to maintainers, the private switch on the application page', async () => {
    const session = (await core.auth.login('ada', PASSWORD))!;
    const headers = { cookie: `werker_session=${session.token}` };
    const html = await (await app.request(`/apps/${shop.id}`, { headers })).text();
    expect(html).toContain(`[![build](${core.baseUrl}/badge/shop/build.svg)](${core.baseUrl}/apps/shop)`);
    expect(html).toContain('id="visibility"');
    const post = await app.request(`/apps/${shop.id}/visibility`, {
      method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: session.csrfToken, private: 'on' }).toString(),
    });
    expect(post.status).toBe(303);
    expect((await core.getApplication('shop'))!.private).toBe(true);
    const bob = (await core.auth.login('bob', PASSWORD))!;
    const forBob = await (await app.request(`/apps/${shop.id}`, { headers: { cookie: `werker_session=${bob.token}` } })).text();
    expect(forBob).toContain('its badges show only to signed-in users');
    expect(forBob).not.toContain('id="visibility"');
  });
});
