import { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import { authorize } from '../auth.ts';
import type { ServerEnv } from '../context.ts';
import { fakeContext } from '../../../test/fakes/fake-context.ts';
import { uiRoutes } from './routes.tsx';

// The pages through the core's real `authorize` middleware, with an in-memory ServerContext.
let fake: ReturnType<typeof fakeContext>;
let app: Hono<ServerEnv>;
beforeEach(() => {
  fake = fakeContext();
  app = new Hono<ServerEnv>();
  app.use('*', authorize(fake.authenticator));
  app.route('/', uiRoutes(fake.ctx));
});

const signedIn = () => ({ cookie: `werker_session=${fake.session.token}` });
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = signedIn()) =>
  app.request(path, { method: 'POST', body: form(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
const page = async (path: string) => {
  const res = await app.request(path, { headers: signedIn() });
  return { res, html: await res.text() };
};

async function appWithProtectedVariable() {
  const created = await fake.ctx.createApplication({ name: 'shop', repository: '/srv/git/shop' }, fake.session.user);
  await fake.ctx.setVariable(created.id, { name: 'DEPLOY_TOKEN', value: 'tok-very-secret-42', protected: true }, fake.session.user);
  await fake.ctx.setVariable(created.id, { name: 'REGION', value: 'eu-west', pipeline: 'deploy' }, fake.session.user);
  return created;
}

describe('sign-in', () => {
  it('sends a visitor without a session to the login page, remembering where they were going', async () => {
    const res = await app.request('/apps/1');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?next=%2Fapps%2F1');
  });

  it('signs in with the login form and its double-submit CSRF token, then goes to next', async () => {
    const loginPage = await app.request('/login?next=/runs');
    const cookie = loginPage.headers.get('set-cookie')!.split(';')[0]!;
    const token = cookie.split('=')[1]!;
    expect(await loginPage.text()).toContain(`name="_csrf" value="${token}"`);

    const res = await post('/login', { _csrf: token, next: '/runs', username: 'ada', password: 'correct horse' }, { cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/runs');
    expect(res.headers.get('set-cookie')).toContain(`werker_session=${fake.session.token}`);
  });

  it('refuses a login post without the form token, and a wrong password, with a page', async () => {
    expect((await post('/login', { username: 'ada', password: 'correct horse' }, {})).status).toBe(403);
    const loginPage = await app.request('/login');
    const cookie = loginPage.headers.get('set-cookie')!.split(';')[0]!;
    const wrong = await post('/login', { _csrf: cookie.split('=')[1]!, username: 'ada', password: 'nope' }, { cookie });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Wrong user name or password.');
  });

  it('never redirects off the site after signing in', async () => {
    const loginPage = await app.request('/login');
    const cookie = loginPage.headers.get('set-cookie')!.split(';')[0]!;
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const res = await post('/login', { _csrf: cookie.split('=')[1]!, next, username: 'ada', password: 'correct horse' }, { cookie });
      expect(res.headers.get('location')).toBe('/apps');
    }
  });

  it('signs out with a CSRF-carrying POST only', async () => {
    expect((await post('/logout', {})).status).toBe(403);
    const res = await post('/logout', { _csrf: fake.session.csrfToken });
    expect(res.status).toBe(303);
    expect(fake.calls).toContain(`logout ${fake.session.token}`);
  });

  it('lets pages load only their own script and never be framed', async () => {
    for (const res of [await app.request('/login'), (await page('/apps')).res]) {
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('serves the stylesheet and script without a session (the login page needs them)', async () => {
    expect((await app.request('/assets/werker.css')).headers.get('content-type')).toContain('text/css');
    const script = await (await app.request('/assets/werker.js')).text();
    expect(script).toContain('new EventSource');
    // At least make sure a browser can parse it (the browser tests run it).
    expect(() => new Function(script)).not.toThrow();
  });

  it('serves the script bundled from its TypeScript, asked again each time and answered 304 while unchanged', async () => {
    const first = await app.request('/assets/werker.js');
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    // The live log's words come from the terminal's module (report/event-lines.ts), bundled in.
    expect(await first.text()).toContain('Running after-step: ');
    const again = await app.request('/assets/werker.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await app.request('/assets/werker.js', { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
    const css = await app.request('/assets/werker.css');
    expect((await app.request('/assets/werker.css', { headers: { 'if-none-match': css.headers.get('etag')! } })).status).toBe(304);
  });

  it('loads xterm.js only as a chunk the script imports when the terminal is opened, kept by the browser for good (its name changes with its content)', async () => {
    const page = await (await app.request('/login')).text();
    expect(page).toContain('<script type="module" src="/assets/werker.js"></script>');
    expect(page).not.toMatch(/terminal-screen|modulepreload/);
    const script = await (await app.request('/assets/werker.js')).text();
    expect(script).not.toContain('xterm');
    expect(script.length).toBeLessThan(40_000);
    const chunks = [...script.matchAll(/import\("\.\/([\w-]+\.js)"\)/g)].map((m) => m[1]!);
    expect(chunks).toEqual([expect.stringMatching(/^terminal-screen-[A-Z0-9]{8}\.js$/)]);

    const chunk = await app.request(`/assets/${chunks[0]}`);
    expect(chunk.status).toBe(200);
    expect(chunk.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(chunk.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(chunk.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await chunk.text()).toContain('xterm-helper-textarea');
    expect((await app.request(`/assets/${chunks[0]}`, { headers: { 'if-none-match': chunk.headers.get('etag')! } })).status).toBe(304);
  });

  it('answers 404 for a script the bundle does not have, and never reads a path', async () => {
    const names = ['nope.js', 'terminal-screen-AAAAAAAA.js', 'terminal-screen.ts', 'werker.js.map', '..%2fclient-bundle.ts', '..%2f..%2f..%2f..%2fpackage.json',
      '..%2F..%2F..%2F..%2Fpackage.json', '%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json', '..%5c..%5c..%5c..%5cpackage.json', '..%252f..%252fpackage.json', 'client%2fmain.ts', '.js', '%00werker.js'];
    for (const name of names) {
      const res = await app.request(`/assets/${name}`);
      expect(res.status, name).toBe(404);
      expect(await res.text(), name).not.toMatch(/"name": "werker"|import /);
    }
  });
});

describe('application page', () => {
  it('shows a protected variable as "protected" and never its value; a plain one with its value', async () => {
    const created = await appWithProtectedVariable();
    const { res, html } = await page(`/apps/${created.id}`);
    expect(res.status).toBe(200);
    expect(html).not.toContain('tok-very-secret-42');
    expect(html).toMatch(/data-variable="DEPLOY_TOKEN">.*<span class="protected">protected<\/span>/s);
    expect(html).toMatch(/data-variable="REGION">.*deploy.*eu-west/s);
  });

  it('puts the CSRF token in every form that posts', async () => {
    const created = await appWithProtectedVariable();
    await fake.ctx.createKeyPair(created.id, 'DEPLOY_KEY', fake.session.user);
    const { html } = await page(`/apps/${created.id}`);
    const forms = html.match(/<form[^>]*method="post"[\s\S]*?<\/form>/g) ?? [];
    expect(forms.length).toBeGreaterThanOrEqual(8);
    for (const f of forms) expect(f).toContain(`name="_csrf" value="${fake.session.csrfToken}"`);
  });

  it('lists pipelines and workflows from wercker.yml with a run button each', async () => {
    const created = await appWithProtectedVariable();
    const { html } = await page(`/apps/${created.id}`);
    expect(html).toContain('name="pipeline" value="build"');
    expect(html).toContain('name="pipeline" value="workflow:ship"');
    expect(html).toContain('deploy after build');
  });

  it('shows a key pair\'s public half with a copy button and the variables pipelines get', async () => {
    const created = await appWithProtectedVariable();
    await fake.ctx.createKeyPair(created.id, 'DEPLOY_KEY', fake.session.user);
    const { html } = await page(`/apps/${created.id}`);
    expect(html).toContain('<pre id="public-key-1">ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForDEPLOY_KEY werker-DEPLOY_KEY</pre>');
    expect(html).toContain('data-copy="public-key-1"');
    expect(html).toContain('DEPLOY_KEY_PRIVATE');
  });

  it('gives the webhook URL without the secret in it', async () => {
    const created = await appWithProtectedVariable();
    const { html } = await page(`/apps/${created.id}`);
    const url = html.match(/<code id="webhook-url">([^<]*)<\/code>/)![1]!;
    expect(url).toBe('https://ci.example.test/hooks/github/shop'); // the base URL, not the request's host
    expect(url).not.toContain('webhook-secret-1');
  });

  it('escapes whatever the user typed', async () => {
    await fake.ctx.createApplication({ name: 'ok', repository: '<img src=x onerror=alert(1)>' }, fake.session.user);
    const { html } = await page('/apps');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('pages through the run history', async () => {
    const created = await appWithProtectedVariable();
    for (let i = 0; i < 25; i++) await fake.ctx.triggerRun(created.id, 'build', {}, fake.session.user);
    const first = await page(`/apps/${created.id}`);
    expect(first.html).toContain('href="/runs/25"');
    expect(first.html).not.toContain('href="/runs/5"');
    expect(first.html).toContain(`href="/apps/${created.id}?before=6#runs"`);
    const second = await page(`/apps/${created.id}?before=6`);
    expect(second.html).toContain('href="/runs/5"');
    expect(second.html).not.toContain('href="/runs/6"');
  });

  it('answers an unknown application with a 404 page', async () => {
    const { res, html } = await page('/apps/99');
    expect(res.status).toBe(404);
    expect(html).toContain('No application 99.');
  });
});

describe('forms', () => {
  it('refuses a change without the CSRF token', async () => {
    const created = await appWithProtectedVariable();
    const res = await post(`/apps/${created.id}/variables`, { name: 'X', value: 'y' });
    expect(res.status).toBe(403);
    expect(fake.calls.filter((c) => c.startsWith('setVariable X'))).toEqual([]);
  });

  it('sets a protected variable for one pipeline and goes back to the list', async () => {
    const created = await appWithProtectedVariable();
    const res = await post(`/apps/${created.id}/variables`, { _csrf: fake.session.csrfToken, name: 'API_KEY', value: 'k-123456', pipeline: 'deploy', protected: 'on' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/apps/${created.id}#variables`);
    expect(fake.calls).toContain('setVariable API_KEY protected=true pipeline=deploy');
  });

  it('shows the core\'s message on the page when input is refused, without echoing the value', async () => {
    const created = await appWithProtectedVariable();
    const res = await post(`/apps/${created.id}/variables`, { _csrf: fake.session.csrfToken, name: '1BAD', value: 'refused-secret-value', protected: 'on' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('&quot;1BAD&quot; is not a shell variable name');
    expect(html).not.toContain('refused-secret-value');
  });

  it('creates an application and keeps what was typed when it is refused', async () => {
    const ok = await post('/apps', { _csrf: fake.session.csrfToken, name: 'shop', repository: '/srv/git/shop', defaultBranch: '' });
    expect(ok.headers.get('location')).toBe('/apps/1');
    const bad = await post('/apps', { _csrf: fake.session.csrfToken, name: 'Bad Name', repository: '/srv/git/x' });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain('bad application name');
    expect(html).toContain('value="/srv/git/x"');
  });

  it('runs a pipeline from its button and lands on the run page', async () => {
    const created = await appWithProtectedVariable();
    const res = await post(`/apps/${created.id}/runs`, { _csrf: fake.session.csrfToken, pipeline: 'build', branch: 'main' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/runs/1');
    expect(fake.calls).toContain('triggerRun build branch=main trigger=ui');
  });

  it('cancels and retries a run', async () => {
    const created = await appWithProtectedVariable();
    await fake.ctx.triggerRun(created.id, 'build', {}, fake.session.user);
    expect((await post('/runs/1/cancel', { _csrf: fake.session.csrfToken })).headers.get('location')).toBe('/runs/1');
    expect((await post('/runs/1/retry', { _csrf: fake.session.csrfToken })).status).toBe(303);
    expect(fake.calls).toEqual(expect.arrayContaining(['cancelRun 1', 'retryRun 1']));
  });
});

describe('run page', () => {
  it('points the live log at the run\'s event stream and shows the steps known so far', async () => {
    const created = await appWithProtectedVariable();
    await fake.ctx.triggerRun(created.id, 'build', {}, fake.session.user);
    Object.assign(fake.runs[0]!, {
      status: 'running',
      steps: [
        { phase: 'main', step: 1, name: 'wercker-init', status: 'passed', startedAt: '2026-12-02T12:00:01.000Z', durationMs: 420, exitCode: 0, startSeq: 3 },
        { phase: 'main', step: 2, name: 'say <hello>', status: 'running', startedAt: '2026-12-02T12:00:02.000Z', durationMs: null, exitCode: null, startSeq: 6 },
      ],
    });
    const { html } = await page('/runs/1');
    expect(html).toContain('data-events="/api/runs/1/events"');
    expect(html).toContain('<span class="badge running" id="run-status" data-status="running">running</span>');
    expect(html).toMatch(/data-key="main-1" data-state="passed">.*wercker-init.*420ms/s);
    expect(html).toContain('say &lt;hello&gt;');
    // Running: cancel shown, retry hidden.
    expect(html).toMatch(/<button type="submit" class="danger" data-while-active="true">/);
    expect(html).toMatch(/<button type="submit" class="secondary" data-when-finished="true" hidden="">/);
  });

  it('says when the retention sweep removed a run\'s output', async () => {
    const created = await appWithProtectedVariable();
    await fake.ctx.triggerRun(created.id, 'build', {}, fake.session.user);
    expect((await page('/runs/1')).html).not.toContain('output removed');
    Object.assign(fake.runs[0]!, { status: 'passed', outputRemovedAt: '2026-12-02T12:00:00.000Z' });
    expect((await page('/runs/1')).html).toMatch(/output removed by retention on <b>2026-12-02 12:00:00 UTC<\/b> \(run the build again to deploy it\)/);
  });

  it('answers an unknown run with a 404 page', async () => {
    expect((await page('/runs/7')).res.status).toBe(404);
  });

  it('offers an admin the approval of a finished fork pull request run, and shows who approved and a status not delivered', async () => {
    const created = await appWithProtectedVariable();
    await fake.ctx.triggerRun(created.id, 'build', {}, fake.session.user);
    expect((await page('/runs/1')).html).not.toContain('id="run-untrusted"');
    Object.assign(fake.runs[0]!, { status: 'passed', untrusted: true, pullRequest: 7 });
    const { html } = await page('/runs/1');
    expect(html).toContain('Pull request #7 from a fork: this run has no protected variables or private keys.');
    expect(html).toContain('action="/runs/1/approve"');
    expect(html).toContain('id="approve-run"');
    fake.session.user.role = 'member';
    expect((await page('/runs/1')).html).not.toContain('id="approve-run"');
    fake.session.user.role = 'admin';
    const res = await post('/runs/1/approve', { _csrf: fake.session.csrfToken });
    expect(res.status).toBe(303);
    expect(fake.calls).toContain('approveRun 1');
    Object.assign(fake.runs[0]!, { untrusted: false, approvedBy: 'ada', approvedAt: '2026-12-02T12:00:00.000Z', forgeStatusError: 'the success status for werker/build was not posted after 5 tries: 503' });
    const after = (await page('/runs/1')).html;
    expect(after).toMatch(/approved by <b>ada<\/b>/);
    expect(after).toContain('Commit status not delivered: the success status for werker/build was not posted after 5 tries: 503');
  });
});

describe('forge settings', () => {
  it('saves the forge and the pull request pipeline; the token is never drawn, only whether one is set', async () => {
    const created = await appWithProtectedVariable();
    expect((await page(`/apps/${created.id}`)).html).toContain('No forge set: runs post no commit statuses.');
    const res = await post(`/apps/${created.id}/forge`, { _csrf: fake.session.csrfToken, kind: 'github', repository: 'acme/shop', apiUrl: '', token: 'ghp_do-not-show-me', pullRequestPipeline: 'test' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/apps/${created.id}#forge`);
    expect(fake.calls).toContain('setForgeSettings kind=github repository=acme/shop token=given pr=test');
    const { html } = await page(`/apps/${created.id}`);
    expect(html).toContain('id="forge-token-set"');
    expect(html).toMatch(/A pull request runs <b class="mono" id="forge-pr-pipeline">test<\/b>/);
    expect(html).not.toContain('ghp_do-not-show-me');
    const refused = await post(`/apps/${created.id}/forge`, { _csrf: fake.session.csrfToken, kind: 'gitlab', repository: 'acme/shop' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('&quot;kind&quot;: &quot;gitlab&quot; is not a forge werker knows');
  });

  it('takes GitHub App credentials: the ids are shown, the private key never, only that it is stored; clearApp removes them', async () => {
    const created = await appWithProtectedVariable();
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEdo-not-show-me\n-----END RSA PRIVATE KEY-----';
    const form = { _csrf: fake.session.csrfToken, kind: 'github', repository: 'acme/shop', apiUrl: '', token: '', pullRequestPipeline: '' };
    const res = await post(`/apps/${created.id}/forge`, { ...form, appId: ' 31337 ', installationId: '808', privateKey: key });
    expect(res.status).toBe(303);
    expect(fake.calls).toContain('setForgeApp appId=31337 installationId=808 privateKey=given clearApp=false');
    const { html } = await page(`/apps/${created.id}`);
    expect(html).toMatch(/as GitHub App <b class="mono" id="forge-app-set">31337<\/b> \(installation <span class="mono">808<\/span>, private key stored\)/);
    expect(html).toContain('name="privateKey"');
    expect(html).toContain('(stored; leave empty to keep it)');
    expect(html).not.toContain('do-not-show-me');
    expect(html).toContain('name="clearApp"');
    await post(`/apps/${created.id}/forge`, { ...form, clearApp: 'on' });
    expect(fake.calls).toContain('setForgeApp appId= installationId= privateKey=none clearApp=true');
    const cleared = (await page(`/apps/${created.id}`)).html;
    expect(cleared).not.toContain('id="forge-app-set"');
    expect(cleared).not.toContain('name="clearApp"');
  });

  it('hides the forge form from a user who does not manage the application', async () => {
    const created = await appWithProtectedVariable();
    fake.access.manage = false;
    const { html } = await page(`/apps/${created.id}`);
    expect(html).toContain('id="forge"');
    expect(html).not.toContain('id="forge-settings"');
  });
});
