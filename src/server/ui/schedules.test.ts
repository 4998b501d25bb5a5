import { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import { authorize } from '../auth.ts';
import type { ServerEnv } from '../context.ts';
import { fakeContext } from '../../../test/fakes/fake-context.ts';
import { uiRoutes } from './routes.tsx';

// The schedules section of the application page and its forms, through the real `authorize`
// middleware (CSRF checked on every post) with an in-memory ServerContext whose expression and
// time zone checks are the real ones.
let fake: ReturnType<typeof fakeContext>;
let app: Hono<ServerEnv>;
let appId: number;
beforeEach(async () => {
  fake = fakeContext();
  app = new Hono<ServerEnv>();
  app.use('*', authorize(fake.authenticator));
  app.route('/', uiRoutes(fake.ctx));
  appId = (await fake.ctx.createApplication({ name: 'shop', repository: '/srv/git/shop' }, fake.session.user)).id;
});

const session = () => ({ cookie: `werker_session=${fake.session.token}` });
const post = (path: string, fields: Record<string, string>, csrf = fake.session.csrfToken) =>
  app.request(path, { method: 'POST', body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...session() } });
const page = async () => (await app.request(`/apps/${appId}`, { headers: session() })).text();
const NIGHTLY = { name: 'nightly', expression: '0 2 * * *', timeZone: 'Europe/Berlin', branch: 'main', pipeline: 'workflow:ship', enabled: 'on' };

describe('schedules on the application page', () => {
  it('adds a schedule with the form and lists its expression, zone, branch, pipeline and next run in its zone', async () => {
    const res = await post(`/apps/${appId}/schedules`, NIGHTLY);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/apps/${appId}#schedules`);
    expect(fake.calls).toContain('createSchedule nightly 0 2 * * * workflow:ship branch=main tz=Europe/Berlin');
    const html = await page();
    const row = html.slice(html.indexOf('data-schedule="nightly"'));
    expect(row).toContain('<code class="expression">0 2 * * *</code>');
    // The fake's clock is 2 December 2026, 12:00 UTC: the next 02:00 in Berlin is 01:00 UTC on the 3rd.
    expect(row).toMatch(/2026-12-03 02:00 <span class="muted">Europe\/Berlin<\/span>/);
    expect(row).toContain('2026-12-03 01:00:00 UTC');
    expect(row).toContain('<option value="workflow:ship" selected="">workflow:ship</option>');
    expect(row).toContain('none yet');
  });

  it('draws a refused expression again in its form, with the message naming the field and a caret under the character', async () => {
    const res = await post(`/apps/${appId}/schedules`, { ...NIGHTLY, expression: '0 24 * * *' });
    expect(res.status).toBe(400);
    const html = await res.text();
    const form = html.slice(html.indexOf('id="new-schedule"'));
    expect(form).toContain('invalid cron expression &quot;0 24 * * *&quot; at character 3, field 2 (hour): 24 is out of range 0-23');
    expect(form).toContain('<pre class="cron-caret" aria-label="the error is at character 3">0 24 * * *\n  ^</pre>');
    // What was typed is kept, so it can be mended.
    expect(form).toContain('value="0 24 * * *"');
    expect(form).toContain('value="Europe/Berlin"');
    expect(fake.schedules).toEqual([]);
  });

  it('refuses an unknown time zone in the form too', async () => {
    const res = await post(`/apps/${appId}/schedules`, { ...NIGHTLY, timeZone: 'Moon/Tranquility' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('unknown time zone &quot;Moon/Tranquility&quot;');
  });

  it('edits a schedule (a refused edit opens its own form with the error) and deletes it', async () => {
    await post(`/apps/${appId}/schedules`, NIGHTLY);
    const id = fake.schedules[0]!.id;
    const refused = await (await post(`/apps/${appId}/schedules/${id}`, { ...NIGHTLY, expression: '0 2 * * 1-' })).text();
    const editor = refused.slice(refused.indexOf('data-schedule="nightly"'), refused.indexOf('id="new-schedule"'));
    expect(editor).toContain('<details open="">');
    expect(editor).toContain('at character 11, field 5 (day of week): a value is missing');
    // Unchecked "enabled" disables it: no next run.
    expect((await post(`/apps/${appId}/schedules/${id}`, { ...NIGHTLY, expression: '@hourly', enabled: '' })).status).toBe(303);
    expect(fake.schedules[0]).toMatchObject({ expression: '@hourly', enabled: false, nextRunAt: null });
    expect(await page()).toContain('<span class="muted">disabled</span>');
    expect((await post(`/apps/${appId}/schedules/${id}/delete`, {})).status).toBe(303);
    expect(fake.schedules).toEqual([]);
  });

  it('refuses every schedule form without the session\'s CSRF token', async () => {
    expect((await post(`/apps/${appId}/schedules`, NIGHTLY, 'forged')).status).toBe(403);
    expect(fake.schedules).toEqual([]);
  });

  it('shows the schedules but not their forms to a member who does not manage the application', async () => {
    await post(`/apps/${appId}/schedules`, NIGHTLY);
    fake.access.manage = false;
    const html = await page();
    expect(html).toContain('data-schedule="nightly"');
    expect(html).not.toContain('id="new-schedule"');
    expect(html).not.toContain(`/apps/${appId}/schedules/1/delete`);
    expect(html).toContain('Only this application&#39;s maintainers and admins add or change its schedules.');
  });
});
