import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { clearSessionCookie, setSessionCookie } from '../auth.ts';
import { InputError, type Application, type ForgeSettingsInput, type ServerContext, type ServerEnv } from '../context.ts';
import { notificationInput } from '../routes/api.ts';
import { intParam } from '../routes/errors.ts';
import { CronSyntaxError } from '../schedule-times.ts';
import { webhookPath } from '../routes/hooks.ts';
import { sameOriginPath } from '../transport.ts';
import { assetOf, isClientScriptName, isHashedChunkName, loadClientScripts, type Asset } from './assets/client-bundle.ts';
import { STYLESHEET } from './assets/stylesheet.ts';
import { clearLoginCsrf, issueLoginCsrf, loginCsrfMatches } from './login-csrf.ts';
import { ApplicationPage } from './pages/application.tsx';
import { ApplicationsPage } from './pages/applications.tsx';
import type { ScheduleFormState } from './pages/schedules.tsx';
import { LoginPage } from './pages/login.tsx';
import { RunsPage } from './pages/runs.tsx';
import { RunPage } from './pages/run.tsx';
import { ErrorBox, Layout } from './components.tsx';

type UiContext = Context<ServerEnv>;

/** The UI's own paths (besides /login and /assets): a sub-app's '*' would also catch the API and the webhooks. */
const PAGE_PATHS = ['/', '/apps', '/apps/*', '/runs', '/runs/*', '/logout'];

const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const pageHeaders: MiddlewareHandler<ServerEnv> = async (c, next) => {
  await next();
  c.header('content-security-policy', CONTENT_SECURITY_POLICY);
  c.header('x-frame-options', 'DENY');
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'same-origin');
};
type Form = Record<string, string>;

/**
 * The server-rendered web UI. Every page but /login and /assets/* needs a signed-in user (the
 * core's `authorize` middleware redirects to /login, and checks the CSRF token of every POST
 * here); pages read and change everything through `ServerContext`, so the rules on protected
 * values live in the core alone. Forms post and redirect (post/redirect/get), so a reload never
 * submits twice.
 */
export function uiRoutes(ctx: ServerContext): Hono<ServerEnv> {
  const ui = new Hono<ServerEnv>();

  // Pages load only their own script and stylesheet and can't be framed: an injected tag could
  // run nothing, and no other site can overlay the buttons.
  for (const path of ['/login', ...PAGE_PATHS]) ui.use(path, pageHeaders);

  const stylesheet = assetOf(STYLESHEET);
  ui.get('/assets/werker.css', (c) => asset(c, stylesheet, 'text/css; charset=utf-8'));
  // werker.js and the chunks it imports on demand (the terminal's xterm.js): only the bundle's
  // own file names, looked up by name, so no path reaches the disk.
  ui.get('/assets/:script', async (c) => {
    const name = c.req.param('script');
    const script = isClientScriptName(name) ? (await loadClientScripts()).get(name) : undefined;
    if (!script) return c.text('No such asset.', 404, { 'x-content-type-options': 'nosniff' });
    return asset(c, script, 'text/javascript; charset=utf-8', isHashedChunkName(name) ? IMMUTABLE : REVALIDATE);
  });

  sessionPages(ui, ctx);

  // Everything below needs a user. The core's middleware already sends strangers to /login;
  // this repeats it so a page can never render without one, whatever is mounted in front.
  for (const path of PAGE_PATHS) {
    ui.use(path, async (c, next) => {
      if (!c.var.user) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 302);
      return next();
    });
  }

  applicationPages(ui, ctx);
  schedulePages(ui, ctx);
  runPages(ui, ctx);

  // Input problems on pages answer as a page, not as the API's JSON.
  ui.onError((err, c) => {
    if (err instanceof InputError) return notFoundOrBad(c, err);
    process.stderr.write(`werker server: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}\n`);
    return c.html(<ErrorPage c={c} title="Something went wrong" message="The server could not show this page; its log has the details." />, 500);
  });
  return ui;
}

type Ui = Hono<ServerEnv>;

/** Signing in and out (reachable without a user). */
function sessionPages(ui: Ui, ctx: ServerContext): void {
  ui.get('/login', async (c) => {
    if (c.var.user) return c.redirect(safeNext(c.req.query('next')), 303);
    return c.html(<LoginPage csrf={issueLoginCsrf(c)} next={safeNext(c.req.query('next'))} noUsers={(await ctx.auth.countUsers()) === 0} />);
  });
  ui.post('/login', async (c) => {
    const form = await readForm(c);
    const next = safeNext(form.next);
    if (!loginCsrfMatches(c, form._csrf)) {
      return c.html(<LoginPage csrf={issueLoginCsrf(c)} next={next} username={form.username} error="The form expired: please sign in again." />, 403);
    }
    const session = await ctx.auth.login(form.username ?? '', form.password ?? '');
    if (!session) {
      return c.html(<LoginPage csrf={issueLoginCsrf(c)} next={next} username={form.username} error="Wrong user name or password." />, 401);
    }
    clearLoginCsrf(c);
    setSessionCookie(c, session);
    return c.redirect(next, 303);
  });
  ui.post('/logout', async (c) => {
    if (c.var.sessionToken) await ctx.auth.logout(c.var.sessionToken);
    clearSessionCookie(c);
    return c.redirect('/login', 303);
  });
}

/** The application list and each application's page with its forms. */
function applicationPages(ui: Ui, ctx: ServerContext): void {
  ui.get('/', (c) => c.redirect('/apps', 302));
  ui.get('/apps', async (c) => c.html(<ApplicationsPage user={c.var.user} csrf={c.var.csrfToken} applications={await ctx.listApplications()} />));
  applicationCreation(ui, ctx);

  ui.get('/apps/:app', async (c) => renderApplication(c, ctx, await findApplication(ctx, c)));
  /** A form on the application page: find the application, make the change, go where it says (or show the page with the problem). */
  const appChange = (path: string, change: (app: Application, form: Form, c: UiContext) => Promise<string>) =>
    ui.post(path, async (c) => {
      const app = await findApplication(ctx, c);
      const form = await readForm(c);
      return attempt(c, ctx, app, () => change(app, form, c));
    });
  appChange('/apps/:app/runs', async (app, form, c) => {
    const run = await ctx.triggerRun(app.id, trim(form.pipeline), { trigger: 'ui', ...(trim(form.branch) ? { branch: trim(form.branch) } : {}) }, c.var.user);
    return `/runs/${run.id}`;
  });
  appChange('/apps/:app/variables', async (app, form, c) => {
    const variable = { name: trim(form.name), value: form.value ?? '', protected: form.protected === 'on', pipeline: trim(form.pipeline) || null };
    await ctx.setVariable(app.id, variable, c.var.user);
    return `/apps/${app.id}#variables`;
  });
  appChange('/apps/:app/variables/:id/delete', async (app, _form, c) => {
    await ctx.deleteVariable(app.id, intParam(c.req.param('id'), 'variable id'), c.var.user);
    return `/apps/${app.id}#variables`;
  });
  appChange('/apps/:app/visibility', async (app, form, c) => {
    await ctx.setApplicationPrivate(app.id, form.private === 'on', c.var.user);
    return `/apps/${app.id}#badges`;
  });
  appChange('/apps/:app/forge', async (app, form, c) => {
    await ctx.setForgeSettings(app.id, forgeInput(form), c.var.user);
    return `/apps/${app.id}#forge`;
  });
  appChange('/apps/:app/keys', async (app, form, c) => {
    await ctx.createKeyPair(app.id, trim(form.name), c.var.user);
    return `/apps/${app.id}#keys`;
  });
  appChange('/apps/:app/keys/:id/delete', async (app, _form, c) => {
    await ctx.deleteKeyPair(app.id, intParam(c.req.param('id'), 'key pair id'), c.var.user);
    return `/apps/${app.id}#keys`;
  });
  notificationForms(ui, ctx, appChange);
}

/** The form that registers an application: refused, the list is drawn again with what was typed. */
function applicationCreation(ui: Ui, ctx: ServerContext): void {
  ui.post('/apps', async (c) => {
    const form = await readForm(c);
    try {
      const created = await ctx.createApplication(
        { name: trim(form.name), repository: trim(form.repository), ...(trim(form.defaultBranch) ? { defaultBranch: trim(form.defaultBranch) } : {}) },
        c.var.user,
      );
      return c.redirect(`/apps/${created.id}`, 303);
    } catch (err) {
      const error = inputProblem(err);
      const page = <ApplicationsPage user={c.var.user} csrf={c.var.csrfToken} applications={await ctx.listApplications()} error={error.message} form={form} />;
      return c.html(page, error.status);
    }
  });
}

/** The notification rule forms: a signing secret the server made is shown once, on the page that answers the form. */
function notificationForms(ui: Ui, ctx: ServerContext, appChange: (path: string, change: (app: Application, form: Form, c: UiContext) => Promise<string>) => unknown): void {
  ui.post('/apps/:app/notifications', async (c) => {
    const app = await findApplication(ctx, c);
    const form = await readForm(c);
    try {
      const { rule, signingSecret } = await ctx.notifications.create(app.id, notificationInput(form), c.var.user);
      if (!signingSecret) return c.redirect(`/apps/${app.id}#notifications`, 303);
      return renderApplication(c, ctx, app, { madeSecret: { ruleId: rule.id, secret: signingSecret } });
    } catch (err) {
      return renderApplication(c, ctx, app, { error: inputProblem(err) });
    }
  });
  appChange('/apps/:app/notifications/:id/delete', async (app, _form, c) => {
    await ctx.notifications.delete(app.id, intParam(c.req.param('id'), 'notification rule id'), c.var.user);
    return `/apps/${app.id}#notifications`;
  });
}

/**
 * The schedule forms of the application page. A refused form is drawn again with what was typed
 * and the error inside it (a bad expression with a caret under the character at fault).
 */
function schedulePages(ui: Ui, ctx: ServerContext): void {
  const scheduleChange = (path: string, change: (app: Application, form: Form, c: UiContext) => Promise<unknown>) =>
    ui.post(path, async (c) => {
      const app = await findApplication(ctx, c);
      const form = await readForm(c);
      try {
        await change(app, form, c);
        return c.redirect(`/apps/${app.id}#schedules`, 303);
      } catch (err) {
        const problem = inputProblem(err);
        const id = c.req.param('id');
        const target = id === undefined ? 'new' : intParam(id, 'schedule id');
        const column = problem instanceof CronSyntaxError ? problem.problem.column : undefined;
        return renderApplication(c, ctx, app, { scheduleForm: { target, values: form, error: problem.message, ...(column !== undefined ? { column } : {}) }, status: problem.status });
      }
    });
  const input = (form: Form) => ({ name: trim(form.name), expression: form.expression ?? '', pipeline: trim(form.pipeline), branch: trim(form.branch), timeZone: trim(form.timeZone) || 'UTC', enabled: form.enabled === 'on' });
  scheduleChange('/apps/:app/schedules', (app, form, c) => ctx.schedules.create(app.id, input(form), c.var.user));
  scheduleChange('/apps/:app/schedules/:id', (app, form, c) => ctx.schedules.update(app.id, intParam(c.req.param('id'), 'schedule id'), input(form), c.var.user));
  ui.post('/apps/:app/schedules/:id/delete', async (c) => {
    const app = await findApplication(ctx, c);
    return attempt(c, ctx, app, async () => {
      await ctx.schedules.remove(app.id, intParam(c.req.param('id'), 'schedule id'), c.var.user);
      return `/apps/${app.id}#schedules`;
    });
  });
}

/** The run list and each run's page, with cancel and retry. */
function runPages(ui: Ui, ctx: ServerContext): void {
  ui.get('/runs', async (c) => {
    const before = optionalId(c.req.query('before'));
    const page = await ctx.listRuns({ limit: 25, ...(before !== undefined ? { before } : {}) });
    return c.html(<RunsPage user={c.var.user} csrf={c.var.csrfToken} runs={page} before={before} />);
  });
  ui.get('/runs/:id', async (c) => {
    const run = await ctx.getRun(intParam(c.req.param('id'), 'run id'));
    if (!run) return notFound(c, 'No such run.');
    const terminal = ctx.terminalMinutes > 0 && run.status === 'running' && (await ctx.canManageApplication(run.applicationId, c.var.user)) ? { minutes: ctx.terminalMinutes } : undefined;
    return c.html(<RunPage user={c.var.user} csrf={c.var.csrfToken} run={run} {...(terminal ? { terminal } : {})} />);
  });
  ui.post('/runs/:id/cancel', async (c) => {
    const run = await ctx.cancelRun(intParam(c.req.param('id'), 'run id'), c.var.user);
    return c.redirect(`/runs/${run.id}`, 303);
  });
  ui.post('/runs/:id/retry', async (c) => {
    const fromStep = (await c.req.parseBody())['fromStep'];
    const run = await ctx.retryRun(intParam(c.req.param('id'), 'run id'), c.var.user, typeof fromStep === 'string' && fromStep ? { fromStep } : {});
    return c.redirect(`/runs/${run.id}`, 303);
  });
  ui.post('/runs/:id/approve', async (c) => {
    const run = await ctx.approveRun(intParam(c.req.param('id'), 'run id'), c.var.user);
    return c.redirect(`/runs/${run.id}`, 303);
  });
}

/** What a form's answer adds to the application page: the refusal, a secret shown once, a schedule form drawn again. */
interface PageExtras {
  error?: InputError | undefined;
  madeSecret?: { ruleId: number; secret: string };
  scheduleForm?: ScheduleFormState;
  status?: InputError['status'];
}

async function renderApplication(c: UiContext, ctx: ServerContext, app: Application, extras: PageExtras = {}): Promise<Response> {
  const { error, madeSecret, scheduleForm, status } = extras;
  const before = optionalId(c.req.query('before'));
  const manage = await ctx.canManageApplication(app.id, c.var.user);
  const [pipelines, variables, keyPairs, runs, secret, rules, schedules, forge] = await Promise.all([
    ctx.listPipelines(app.id),
    ctx.listVariables(app.id),
    ctx.listKeyPairs(app.id),
    ctx.listRuns({ appId: app.id, limit: 20, ...(before !== undefined ? { before } : {}) }),
    manage ? ctx.getWebhookSecret(app.id, c.var.user) : undefined,
    manage ? ctx.notifications.list(app.id, c.var.user) : undefined,
    ctx.schedules.list(app.id),
    ctx.getForgeSettings(app.id),
  ]);
  const webhook = { url: `${ctx.baseUrl}${webhookPath(app.name)}`, ...(secret !== undefined ? { secret } : {}) };
  const page = (
    <ApplicationPage
      user={c.var.user}
      csrf={c.var.csrfToken}
      app={app}
      pipelines={pipelines}
      variables={variables}
      keyPairs={keyPairs}
      runs={runs}
      before={before}
      webhook={webhook}
      baseUrl={ctx.baseUrl}
      forge={forge}
      manage={manage}
      notifications={{ rules, emailEnabled: ctx.notifications.emailEnabled, madeSecret }}
      schedules={schedules}
      scheduleForm={scheduleForm}
      {...(error ? { error: error.message } : {})}
    />
  );
  return c.html(page, status ?? error?.status ?? 200);
}

/** Runs a change; on success redirects to where it says, on an `InputError` shows the application page with the message. */
async function attempt(c: UiContext, ctx: ServerContext, app: Application, change: () => Promise<string>): Promise<Response> {
  try {
    return c.redirect(await change(), 303);
  } catch (err) {
    return renderApplication(c, ctx, app, { error: inputProblem(err) });
  }
}

async function findApplication(ctx: ServerContext, c: UiContext): Promise<Application> {
  const key = c.req.param('app') ?? '';
  const app = await ctx.getApplication(/^\d+$/.test(key) ? Number(key) : key);
  if (!app) throw new InputError(`No application ${key}.`, 404);
  return app;
}

function inputProblem(err: unknown): InputError {
  if (err instanceof InputError) return err;
  throw err;
}

function notFoundOrBad(c: UiContext, err: InputError): Response | Promise<Response> {
  return c.html(<ErrorPage c={c} title={err.status === 404 ? 'Not found' : 'Not possible'} message={err.message} />, err.status);
}

function notFound(c: UiContext, message: string): Response | Promise<Response> {
  return notFoundOrBad(c, new InputError(message, 404));
}

const ErrorPage = ({ c, title, message }: { c: UiContext; title: string; message: string }) => (
  <Layout title={title} user={c.var.user} csrf={c.var.csrfToken}>
    <h1>{title}</h1>
    <ErrorBox message={message} />
    <p>
      <a href="/apps">Back to the applications</a>
    </p>
  </Layout>
);

/** Only a path on this site may follow a sign-in (transport.ts): anything else would be an open redirect. */
const safeNext = (next: string | undefined): string => sameOriginPath(next, '/apps');

async function readForm(c: UiContext): Promise<Form> {
  const body = await c.req.parseBody();
  const form: Form = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') form[k] = v;
  return form;
}

const trim = (v: string | undefined): string => (v ?? '').trim();

/** The forge form: a token or GitHub App credentials (empty secret fields keep the stored ones). */
const forgeInput = (form: Form): ForgeSettingsInput => ({
  kind: trim(form.kind) || null, apiUrl: trim(form.apiUrl), repository: trim(form.repository), token: trim(form.token),
  clearToken: form.clearToken === 'on', pullRequestPipeline: trim(form.pullRequestPipeline),
  appId: trim(form.appId), installationId: trim(form.installationId), privateKey: trim(form.privateKey), clearApp: form.clearApp === 'on',
});

function optionalId(value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : intParam(value, 'before');
}

/** A stylesheet or script: asked again on each page (no-cache), answered 304 while its ETag (a hash of it) still matches. */
const REVALIDATE = 'no-cache';
/** A year, the longest a cache is asked to keep anything; the name changes with the content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function asset(c: UiContext, { body, etag }: Asset, type: string, cacheControl = REVALIDATE): Response {
  const headers = { 'content-type': type, 'cache-control': cacheControl, etag, 'x-content-type-options': 'nosniff' };
  if (c.req.header('if-none-match')?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) return c.body(null, 304, headers);
  return c.body(body, 200, headers);
}
