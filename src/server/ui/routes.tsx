import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { clearSessionCookie, setSessionCookie } from '../auth.ts';
import { InputError, type Application, type ServerContext, type ServerEnv } from '../context.ts';
import { intParam } from '../routes/errors.ts';
import { webhookPath } from '../routes/hooks.ts';
import { sameOriginPath } from '../transport.ts';
import { assetOf, loadClientScript, type Asset } from './assets/client-bundle.ts';
import { STYLESHEET } from './assets/stylesheet.ts';
import { clearLoginCsrf, issueLoginCsrf, loginCsrfMatches } from './login-csrf.ts';
import { ApplicationPage } from './pages/application.tsx';
import { ApplicationsPage } from './pages/applications.tsx';
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
  ui.get('/assets/werker.js', async (c) => asset(c, await loadClientScript(), 'text/javascript; charset=utf-8'));

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
  appChange('/apps/:app/keys', async (app, form, c) => {
    await ctx.createKeyPair(app.id, trim(form.name), c.var.user);
    return `/apps/${app.id}#keys`;
  });
  appChange('/apps/:app/keys/:id/delete', async (app, _form, c) => {
    await ctx.deleteKeyPair(app.id, intParam(c.req.param('id'), 'key pair id'), c.var.user);
    return `/apps/${app.id}#keys`;
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
}

async function renderApplication(c: UiContext, ctx: ServerContext, app: Application, error?: InputError): Promise<Response> {
  const before = optionalId(c.req.query('before'));
  const manage = await ctx.canManageApplication(app.id, c.var.user);
  const [pipelines, variables, keyPairs, runs, secret] = await Promise.all([
    ctx.listPipelines(app.id),
    ctx.listVariables(app.id),
    ctx.listKeyPairs(app.id),
    ctx.listRuns({ appId: app.id, limit: 20, ...(before !== undefined ? { before } : {}) }),
    manage ? ctx.getWebhookSecret(app.id, c.var.user) : undefined,
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
      manage={manage}
      {...(error ? { error: error.message } : {})}
    />
  );
  return c.html(page, error?.status ?? 200);
}

/** Runs a change; on success redirects to where it says, on an `InputError` shows the application page with the message. */
async function attempt(c: UiContext, ctx: ServerContext, app: Application, change: () => Promise<string>): Promise<Response> {
  try {
    return c.redirect(await change(), 303);
  } catch (err) {
    return renderApplication(c, ctx, app, inputProblem(err));
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

function optionalId(value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : intParam(value, 'before');
}

/** A stylesheet or script: asked again on each page (no-cache), answered 304 while its ETag (a hash of it) still matches. */
function asset(c: UiContext, { body, etag }: Asset, type: string): Response {
  const headers = { 'content-type': type, 'cache-control': 'no-cache', etag };
  if (c.req.header('if-none-match')?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) return c.body(null, 304, headers);
  return c.body(body, 200, headers);
}
