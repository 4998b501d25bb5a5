import { Hono, type Context } from 'hono';
import { InputError, type Application, type NewNotificationRule, type RunStatus, type ServerEnv } from '../context.ts';
import type { ServerCore } from '../core.ts';
import { CronSyntaxError } from '../schedule-times.ts';
import { intParam } from './errors.ts';
import { webhookPath } from './hooks.ts';

/**
 * The JSON API for people and `werker remote` (session cookie + CSRF, or a user bearer token).
 * Who may do what is checked by the core (policy.ts): a refused request gets 403 with the rule.
 */
export function apiRoutes(core: ServerCore): Hono<ServerEnv> {
  const api = new Hono<ServerEnv>();
  const app: AppOf = async (c) => {
    const key = c.req.param('app') ?? '';
    const found = await core.getApplication(/^\d+$/.test(key) ? Number(key) : key);
    if (!found) throw new InputError(`no application ${key}`, 404);
    return found;
  };

  api.get('/me', (c) => c.json({ user: c.var.user, csrfToken: c.var.csrfToken || undefined }));
  applicationApi(api, core, app);
  settingsApi(api, core, app);
  notificationApi(api, core, app);
  scheduleApi(api, core, app);
  forgeApi(api, core, app);
  runApi(api, core, app);
  userApi(api, core);
  return api;
}

type Api = Hono<ServerEnv>;
/** The application a route's `:app` names (id or name); 404 when there is none. */
type AppOf = (c: Context<ServerEnv>) => Promise<Application>;

/** Applications: list, create, read, delete, their pipelines and webhook. */
function applicationApi(api: Api, core: ServerCore, app: AppOf): void {
  api.get('/applications', async (c) => c.json({ applications: await core.listApplications() }));
  api.post('/applications', async (c) => {
    const b = await body(c);
    const created = await core.createApplication({ name: str(b, 'name'), repository: str(b, 'repository'), defaultBranch: opt(b, 'defaultBranch'), workflow: opt(b, 'workflow') ?? null }, c.var.user);
    return c.json({ application: created }, 201);
  });
  api.get('/applications/:app', async (c) => c.json({ application: await app(c) }));
  api.patch('/applications/:app', async (c) => {
    const b = await body(c);
    if (b.private === undefined) throw new InputError('nothing to change: send {"private": true} or {"private": false}');
    if (typeof b.private !== 'boolean' && b.private !== 'true' && b.private !== 'false') throw new InputError(`"private" is true or false, not ${JSON.stringify(b.private)}`);
    return c.json({ application: await core.setApplicationPrivate((await app(c)).id, b.private === true || b.private === 'true', c.var.user) });
  });
  api.delete('/applications/:app', async (c) => {
    await core.deleteApplication((await app(c)).id, c.var.user);
    return c.body(null, 204);
  });
  api.get('/applications/:app/pipelines', async (c) => c.json(await core.listPipelines((await app(c)).id, c.req.query('ref'))));
  api.get('/applications/:app/webhook', async (c) => {
    const a = await app(c);
    const path = webhookPath(a.name);
    return c.json({ url: `${core.baseUrl}${path}`, path, secret: await core.getWebhookSecret(a.id, c.var.user), contentType: 'application/json', events: ['push', 'pull_request'] });
  });
}

/** What an application's maintainers manage: maintainers, variables, key pairs. */
function settingsApi(api: Api, core: ServerCore, app: AppOf): void {
  api.get('/applications/:app/maintainers', async (c) => c.json({ maintainers: await core.listMaintainers((await app(c)).id) }));
  api.post('/applications/:app/maintainers', async (c) => {
    const a = await app(c);
    await core.addMaintainer(a.id, str(await body(c), 'user'), c.var.user);
    return c.json({ maintainers: await core.listMaintainers(a.id) }, 201);
  });
  api.delete('/applications/:app/maintainers/:userId', async (c) => {
    await core.removeMaintainer((await app(c)).id, intParam(c.req.param('userId'), 'user id'), c.var.user);
    return c.body(null, 204);
  });

  api.get('/applications/:app/variables', async (c) => c.json({ variables: await core.listVariables((await app(c)).id) }));
  api.post('/applications/:app/variables', async (c) => {
    const b = await body(c);
    const v = await core.setVariable((await app(c)).id, { name: str(b, 'name'), value: str(b, 'value', true), protected: b.protected === true || b.protected === 'true' || b.protected === 'on', pipeline: opt(b, 'pipeline') ?? null }, c.var.user);
    return c.json({ variable: v }, 201);
  });
  api.delete('/applications/:app/variables/:id', async (c) => {
    await core.deleteVariable((await app(c)).id, intParam(c.req.param('id'), 'variable id'), c.var.user);
    return c.body(null, 204);
  });

  api.get('/applications/:app/keys', async (c) => c.json({ keyPairs: await core.listKeyPairs((await app(c)).id) }));
  api.post('/applications/:app/keys', async (c) => c.json({ keyPair: await core.createKeyPair((await app(c)).id, str(await body(c), 'name'), c.var.user) }, 201));
  api.delete('/applications/:app/keys/:id', async (c) => {
    await core.deleteKeyPair((await app(c)).id, intParam(c.req.param('id'), 'key pair id'), c.var.user);
    return c.body(null, 204);
  });
}

/** Notification rules (notifications/): maintainers and admins; a rule's URL and signing secret never come back. */
function notificationApi(api: Api, core: ServerCore, app: AppOf): void {
  api.get('/applications/:app/notifications', async (c) => {
    const rules = await core.notifications.list((await app(c)).id, c.var.user);
    return c.json({ rules, emailEnabled: core.notifications.emailEnabled });
  });
  api.post('/applications/:app/notifications', async (c) => {
    const made = await core.notifications.create((await app(c)).id, notificationInput(await body(c)), c.var.user);
    return c.json(made, 201);
  });
  api.delete('/applications/:app/notifications/:id', async (c) => {
    await core.notifications.delete((await app(c)).id, intParam(c.req.param('id'), 'notification rule id'), c.var.user);
    return c.body(null, 204);
  });
}

/** Schedules: every user lists them; maintainers and admins add, change (PATCH: the fields given) and delete them. */
function scheduleApi(api: Api, core: ServerCore, app: AppOf): void {
  api.get('/applications/:app/schedules', async (c) => c.json({ schedules: await core.schedules.list((await app(c)).id) }));
  api.post('/applications/:app/schedules', async (c) => {
    const b = await body(c);
    const input = { ...scheduleFields(b), name: str(b, 'name'), expression: str(b, 'expression'), pipeline: str(b, 'pipeline') };
    return withCronPosition(c, async () => c.json({ schedule: await core.schedules.create((await app(c)).id, input, c.var.user) }, 201));
  });
  api.get('/applications/:app/schedules/:id', async (c) => c.json({ schedule: await core.schedules.get((await app(c)).id, intParam(c.req.param('id'), 'schedule id')) }));
  api.patch('/applications/:app/schedules/:id', async (c) => {
    const b = await body(c);
    const input = { ...scheduleFields(b), name: opt(b, 'name'), expression: opt(b, 'expression'), pipeline: opt(b, 'pipeline') };
    return withCronPosition(c, async () => c.json({ schedule: await core.schedules.update((await app(c)).id, intParam(c.req.param('id'), 'schedule id'), input, c.var.user) }));
  });
  api.delete('/applications/:app/schedules/:id', async (c) => {
    await core.schedules.remove((await app(c)).id, intParam(c.req.param('id'), 'schedule id'), c.var.user);
    return c.body(null, 204);
  });
}

/** A rule from JSON (lists as arrays) or a form (lists as comma-separated text). */
export function notificationInput(b: Body): NewNotificationRule {
  const list = (key: string): string[] | undefined => {
    const v = b[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    throw new InputError(`"${key}" is a list of strings`);
  };
  const pipelines = list('pipelines');
  const branches = list('branches');
  const recipients = list('recipients');
  const url = opt(b, 'url');
  const secret = opt(b, 'secret');
  // Checked by the core after who may ask (notifications/rules.ts checkNewRule): a member is refused before their input is read.
  return {
    when: String(b.when ?? '') as NewNotificationRule['when'], channel: String(b.channel ?? '') as NewNotificationRule['channel'],
    ...(pipelines ? { pipelines } : {}), ...(branches ? { branches } : {}), ...(recipients ? { recipients } : {}), ...(url ? { url } : {}), ...(secret ? { secret } : {}),
  };
}

/** The optional fields of a schedule in a body: branch, timeZone, enabled (true/false, or a form's "on"). */
function scheduleFields(b: Body): { branch?: string; timeZone?: string; enabled?: boolean } {
  const enabled = b.enabled === undefined ? undefined : b.enabled === true || b.enabled === 'true' || b.enabled === 'on';
  if (b.enabled !== undefined && !enabled && b.enabled !== false && b.enabled !== 'false') throw new InputError(`"enabled" is true or false, not ${JSON.stringify(b.enabled)}`);
  const branch = opt(b, 'branch');
  const timeZone = opt(b, 'timeZone');
  return { ...(branch ? { branch } : {}), ...(timeZone ? { timeZone } : {}), ...(enabled !== undefined ? { enabled } : {}) };
}

/** A refused cron expression answers 400 with where it went wrong: `position: { column, field, fieldName }`. */
async function withCronPosition(c: Context, answer: () => Promise<Response>): Promise<Response> {
  try {
    return await answer();
  } catch (err) {
    if (err instanceof CronSyntaxError) return c.json({ error: err.message, expression: err.expression, position: err.position }, 400);
    throw err;
  }
}

/** The forge an application's statuses go to (the token is write-only) and what its pull requests run. */
function forgeApi(api: Api, core: ServerCore, app: AppOf): void {
  api.get('/applications/:app/forge', async (c) => c.json({ forge: await core.getForgeSettings((await app(c)).id) }));
  api.put('/applications/:app/forge', async (c) => {
    const b = await body(c);
    const input = {
      kind: 'kind' in b ? (opt(b, 'kind') ?? null) : undefined, apiUrl: opt(b, 'apiUrl'), repository: opt(b, 'repository'), owner: opt(b, 'owner'), repo: opt(b, 'repo'),
      token: opt(b, 'token'), clearToken: flag(b.clearToken), pullRequestPipeline: opt(b, 'pullRequestPipeline'),
      appId: idOpt(b, 'appId'), installationId: idOpt(b, 'installationId'), privateKey: opt(b, 'privateKey'), clearApp: flag(b.clearApp),
    };
    return c.json({ forge: await core.setForgeSettings((await app(c)).id, input, c.var.user) });
  });
}

/** A GitHub id given as a JSON number or as a string. */
const idOpt = (b: Body, key: string) => (typeof b[key] === 'number' ? String(b[key]) : opt(b, key));

/** A checkbox-like field: true, "true" or "on". */
const flag = (value: unknown) => value === true || value === 'true' || value === 'on';

/** Runs: history, triggering, cancel and retry. */
function runApi(api: Api, core: ServerCore, app: AppOf): void {
  api.get('/applications/:app/runs', async (c) => c.json(await core.listRuns({ ...runQuery(c), appId: (await app(c)).id })));
  api.post('/applications/:app/runs', async (c) => {
    const b = await body(c);
    const run = await core.triggerRun((await app(c)).id, str(b, 'pipeline'), { branch: opt(b, 'branch'), commit: opt(b, 'commit'), trigger: opt(b, 'trigger') === 'cli' ? 'cli' : 'api' }, c.var.user);
    return c.json({ run }, 201);
  });

  api.get('/runs', async (c) => c.json(await core.listRuns(runQuery(c))));
  api.get('/runs/:id', async (c) => {
    const run = await core.getRun(intParam(c.req.param('id'), 'run id'));
    if (!run) throw new InputError(`no run ${c.req.param('id')}`, 404);
    return c.json({ run });
  });
  api.post('/runs/:id/cancel', async (c) => c.json({ run: await core.cancelRun(intParam(c.req.param('id'), 'run id'), c.var.user) }));
  api.post('/runs/:id/retry', async (c) => {
    const fromStep = opt(await body(c), 'fromStep');
    return c.json({ run: await core.retryRun(intParam(c.req.param('id'), 'run id'), c.var.user, fromStep === undefined ? {} : { fromStep }) }, 201);
  });
  // A one-time ticket for the terminal's socket (terminal-socket.ts): a signed-in page only (cookie + CSRF token).
  api.post('/runs/:id/terminal', async (c) => {
    if (c.var.authMethod !== 'session') throw new InputError('a terminal opens from a signed-in browser session (the run\'s page), not with a token', 403);
    return c.json(await core.terminals.mintTicket(intParam(c.req.param('id'), 'run id'), c.var.user), 201);
  });
  api.post('/runs/:id/approve', async (c) => c.json({ run: await core.approveRun(intParam(c.req.param('id'), 'run id'), c.var.user) }, 201));
}

/** Users and API tokens (admins manage users; everyone their own tokens). */
function userApi(api: Api, core: ServerCore): void {
  api.get('/users', async (c) => c.json({ users: await core.auth.listUsers(c.var.user) }));
  api.post('/users', async (c) => {
    const b = await body(c);
    const user = await core.auth.createUser(str(b, 'name'), str(b, 'password'), { role: opt(b, 'role') === 'admin' ? 'admin' : 'member', by: c.var.user });
    return c.json({ user }, 201);
  });
  api.patch('/users/:id', async (c) => {
    const b = await body(c);
    const role = opt(b, 'role');
    if (role !== undefined && role !== 'admin' && role !== 'member') throw new InputError(`"role" is "admin" or "member", not ${JSON.stringify(role)}`);
    const disabled = b.disabled === undefined ? undefined : b.disabled === true || b.disabled === 'true';
    const user = await core.auth.updateUser(intParam(c.req.param('id'), 'user id'), { ...(role ? { role } : {}), ...(disabled !== undefined ? { disabled } : {}) }, c.var.user);
    return c.json({ user });
  });

  api.get('/tokens', async (c) => c.json({ tokens: await core.auth.listTokens(c.var.user) }));
  api.post('/tokens', async (c) => {
    const b = await body(c);
    const kind = opt(b, 'kind') === 'runner' ? 'runner' : 'user';
    const made = await core.auth.createToken(kind, str(b, 'name'), c.var.user, c.var.authMethod === 'session' ? 'session' : 'token');
    return c.json({ token: made.token, info: made.info }, 201);
  });
  api.delete('/tokens/:id', async (c) => {
    await core.auth.revokeToken(intParam(c.req.param('id'), 'token id'), c.var.user);
    return c.body(null, 204);
  });
}

export type Body = Record<string, unknown>;

/** JSON or a form: the API takes both (forms for plain HTML clients). */
async function body(c: Context): Promise<Body> {
  const type = c.req.header('content-type') ?? '';
  if (type.includes('application/json')) {
    const parsed: unknown = await c.req.json().catch(() => undefined);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError('the body must be a JSON object');
    return parsed as Body;
  }
  return (await c.req.parseBody()) as Body;
}

function str(b: Body, key: string, allowEmpty = false): string {
  const v = b[key];
  if (typeof v !== 'string' || (!allowEmpty && v.trim() === '')) throw new InputError(`"${key}" is required (a string)`);
  return v;
}

function opt(b: Body, key: string): string | undefined {
  const v = b[key];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

const STATUSES = new Set<RunStatus>(['queued', 'running', 'passed', 'failed', 'cancelled']);

function runQuery(c: Context) {
  const before = c.req.query('before');
  const limit = c.req.query('limit');
  const status = c.req.query('status') as RunStatus | undefined;
  return {
    ...(before ? { before: intParam(before, 'before') } : {}),
    ...(limit ? { limit: intParam(limit, 'limit') } : {}),
    ...(status && STATUSES.has(status) ? { status } : {}),
  };
}
