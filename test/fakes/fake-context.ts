import type { RunEvent } from '../../src/engine/events.ts';
import type { Authenticator } from '../../src/server/auth.ts';
import {
  InputError, type Application, type ForgeSettings, type KeyPair, type Run, type RunDetail, type Schedule, type ServerContext, type Session, type User, type Variable,
} from '../../src/server/context.ts';
import { checkTimeZone, readCron } from '../../src/server/schedule-times.ts';

/**
 * An in-memory ServerContext for the UI's unit tests: just enough behaviour to render pages and
 * record what the forms asked for. It keeps the contract the real core keeps (protected values
 * come back as null), so a page that shows them would still be caught by the browser test.
 */
export function fakeContext() {
  const user: User = { id: 1, name: 'ada', role: 'admin', createdAt: '2026-12-01T10:00:00.000Z' };
  const state: FakeState = {
    user,
    /** Whether ada manages the applications (set false to see the page a member without the grant sees). */
    access: { manage: true },
    session: { token: 'session-token-1', user, csrfToken: 'csrf-token-1', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
    apps: [], variables: [], keyPairs: [], runs: [], schedules: [], calls: [],
    forge: { kind: null, apiUrl: null, owner: null, repo: null, tokenSet: false, pullRequestPipeline: 'build', appId: null, installationId: null, privateKeySet: false },
    now: '2026-12-02T12:00:00.000Z',
  };
  const ctx: ServerContext = { baseUrl: 'https://ci.example.test', terminalMinutes: 0, ...fakeApplications(state), ...fakeRuns(state), schedules: fakeSchedules(state), auth: fakeAuth(state) };
  const { session, runs, calls, variables, access, schedules } = state;
  const authenticator: Authenticator = {
    sessionUser: async (token) => (token === session.token ? { user, csrfToken: session.csrfToken } : undefined),
    tokenUser: async () => undefined,
  };
  return { ctx, authenticator, session, runs, calls, variables, access, schedules, forge: state.forge };
}

/** What the fake keeps: ada, her session, and what the pages created (calls: what the forms asked for). */
interface FakeState {
  user: User;
  access: { manage: boolean };
  session: Session;
  apps: Application[];
  variables: (Variable & { appId: number; secret: string })[];
  keyPairs: (KeyPair & { appId: number })[];
  runs: RunDetail[];
  schedules: Schedule[];
  calls: string[];
  now: string;
  /** The one forge setting every application shares here. */
  forge: ForgeSettings;
}

type AppMembers = Omit<ServerContext, 'baseUrl' | 'terminalMinutes' | 'auth' | 'schedules' | 'listRuns' | 'getRun' | 'listRunEvents' | 'followRun' | 'triggerRun' | 'cancelRun' | 'retryRun' | 'approveRun'>;

function fakeApplications({ access, apps, variables, keyPairs, calls, now, forge }: FakeState): AppMembers {
  return {
    listApplications: async () => [...apps],
    getApplication: async (key) => apps.find((a) => a.id === key || a.name === key),
    createApplication: async (input) => {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(input.name)) throw new InputError(`bad application name "${input.name}"`);
      const app: Application = { id: apps.length + 1, name: input.name, repository: input.repository, defaultBranch: input.defaultBranch ?? 'main', workflow: null, private: false, createdAt: now };
      apps.push(app);
      return app;
    },
    deleteApplication: async () => undefined,
    setApplicationPrivate: async (appId, isPrivate) => {
      calls.push(`setApplicationPrivate ${appId} ${isPrivate}`);
      if (!access.manage) throw new InputError('only the application\'s maintainers and admins may make it private or public', 403);
      const app = apps.find((a) => a.id === appId);
      if (!app) throw new InputError(`no application ${appId}`, 404);
      app.private = isPrivate;
      return app;
    },
    listPipelines: async () => ({ ref: 'main', commit: 'abcdef0123456789', pipelines: ['build', 'deploy'], workflows: [{ name: 'ship', pipelines: [{ name: 'build', pipelineName: 'build', requires: [] }, { name: 'deploy', pipelineName: 'deploy', requires: ['build'] }] }] }),
    getWebhookSecret: async () => {
      if (!access.manage) throw new InputError('only the application\'s maintainers and admins may see its webhook secret', 403);
      return 'webhook-secret-1';
    },
    canManageApplication: async () => access.manage,
    listMaintainers: async () => [],
    addMaintainer: async () => undefined,
    removeMaintainer: async () => undefined,
    listVariables: async (appId) => variables.filter((v) => v.appId === appId).map(({ appId: _a, secret: _s, ...v }) => ({ ...v, value: v.protected ? null : v.value })),
    setVariable: async (appId, input) => {
      calls.push(`setVariable ${input.name} protected=${input.protected} pipeline=${input.pipeline}`);
      if (!/^[A-Za-z_]\w*$/.test(input.name)) throw new InputError(`"${input.name}" is not a shell variable name`);
      const v = { id: variables.length + 1, appId, pipeline: input.pipeline ?? null, name: input.name, value: input.value, secret: input.value, protected: !!input.protected, updatedAt: now };
      variables.push(v);
      return { ...v, value: v.protected ? null : v.value };
    },
    deleteVariable: async (_appId, id) => void calls.push(`deleteVariable ${id}`),
    listKeyPairs: async (appId) => keyPairs.filter((k) => k.appId === appId),
    createKeyPair: async (appId, name) => {
      const k = { id: keyPairs.length + 1, appId, name, publicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyFor${name} werker-${name}`, fingerprint: 'SHA256:fake', createdAt: now };
      keyPairs.push(k);
      return k;
    },
    deleteKeyPair: async (_appId, id) => void calls.push(`deleteKeyPair ${id}`),
    // The notification rules are tested on the real core (src/server/notifications/settings.test.ts); here: none, for managers only.
    notifications: {
      emailEnabled: false,
      list: async () => {
        if (!access.manage) throw new InputError('only the application\'s maintainers and admins may see its notifications', 403);
        return [];
      },
      create: async () => {
        throw new Error('not used by these tests');
      },
      delete: async () => undefined,
    },
    getForgeSettings: async () => ({ ...forge }),
    setForgeSettings: async (_appId, input) => {
      calls.push(`setForgeSettings kind=${input.kind} repository=${input.repository} token=${input.token ? 'given' : 'none'} pr=${input.pullRequestPipeline}`);
      if (input.kind && input.kind !== 'github' && input.kind !== 'gitea') throw new InputError(`"kind": "${input.kind}" is not a forge werker knows (github, gitea)`);
      const [owner, repo] = (input.repository ?? '').split('/');
      Object.assign(forge, { kind: input.kind || null, apiUrl: input.apiUrl || 'https://api.github.com', owner: owner ?? null, repo: repo ?? null, pullRequestPipeline: input.pullRequestPipeline || 'build' });
      if (input.token) forge.tokenSet = true;
      if (input.appId || input.installationId || input.privateKey || input.clearApp) {
        calls.push(`setForgeApp appId=${input.appId} installationId=${input.installationId} privateKey=${input.privateKey ? 'given' : 'none'} clearApp=${input.clearApp}`);
      }
      if (input.clearApp) Object.assign(forge, { appId: null, installationId: null, privateKeySet: false });
      else Object.assign(forge, { appId: input.appId || forge.appId, installationId: input.installationId || forge.installationId, privateKeySet: forge.privateKeySet || Boolean(input.privateKey) });
      return { ...forge };
    },
  };
}

type RunMembers = Pick<ServerContext, 'listRuns' | 'getRun' | 'listRunEvents' | 'followRun' | 'triggerRun' | 'cancelRun' | 'retryRun' | 'approveRun'>;

function fakeRuns({ apps, runs, calls, now }: FakeState): RunMembers {
  return {
    listRuns: async (q) => {
      const all = runs.filter((r) => q.appId === undefined || r.applicationId === q.appId).filter((r) => q.before === undefined || r.id < q.before).reverse();
      const page = all.slice(0, q.limit ?? 25);
      return { runs: page, nextBefore: all.length > page.length ? page.at(-1)!.id : null };
    },
    getRun: async (id) => runs.find((r) => r.id === id),
    listRunEvents: async (): Promise<RunEvent[]> => [],
    followRun: () => () => undefined,
    triggerRun: async (appId, pipeline, options) => {
      const app = apps.find((a) => a.id === appId)!;
      calls.push(`triggerRun ${pipeline} branch=${options.branch} trigger=${options.trigger}`);
      const run: RunDetail = {
        id: runs.length + 1, applicationId: appId, applicationName: app.name, pipeline, kind: 'build', branch: options.branch ?? app.defaultBranch,
        commit: '0123456789abcdef', status: 'queued', trigger: options.trigger ?? 'api', triggeredBy: 'ada', workflow: null, workflowRunId: null,
        sourceRunId: null, retryOf: null, attempt: 1, runner: null, createdAt: now, startedAt: null, finishedAt: null, durationMs: null,
        message: null, cancelRequested: false, steps: [], lastSeq: 0,
      };
      runs.push(run);
      return run;
    },
    cancelRun: async (id) => {
      calls.push(`cancelRun ${id}`);
      return runs.find((r) => r.id === id) as Run;
    },
    retryRun: async (id) => {
      calls.push(`retryRun ${id}`);
      return runs.find((r) => r.id === id) as Run;
    },
    approveRun: async (id) => {
      calls.push(`approveRun ${id}`);
      return runs.find((r) => r.id === id) as Run;
    },
  };
}

/** Schedules checked by the real expression and time zone checks (so the form's error is the real one), kept in a list. */
function fakeSchedules({ access, schedules, calls, now }: FakeState): ServerContext['schedules'] {
  const find = (id: number) => {
    const found = schedules.find((s) => s.id === id);
    if (!found) throw new InputError(`no schedule ${id} in this application`, 404);
    return found;
  };
  const checked = (input: Partial<Schedule>) => {
    if (!access.manage) throw new InputError('only the application\'s maintainers and admins may change its schedules', 403);
    const timeZone = checkTimeZone(input.timeZone ?? 'UTC');
    const next = readCron(input.expression ?? '', timeZone).nextAfter(new Date(now));
    return { ...input, timeZone, nextRunAt: input.enabled === false ? null : (next?.toISOString() ?? null) } as { timeZone: string; nextRunAt: string | null };
  };
  return {
    list: async (appId) => schedules.filter((s) => s.applicationId === appId),
    get: async (_appId, id) => find(id),
    create: async (appId, input) => {
      calls.push(`createSchedule ${input.name} ${input.expression} ${input.pipeline} branch=${input.branch} tz=${input.timeZone}`);
      const schedule: Schedule = {
        id: schedules.length + 1, applicationId: appId, name: input.name, expression: input.expression, pipeline: input.pipeline, branch: input.branch ?? 'main',
        enabled: input.enabled ?? true, lastOccurrenceAt: null, lastRun: null, lastError: null, createdBy: 'ada', createdAt: now, updatedAt: now,
        ...checked({ ...input, enabled: input.enabled ?? true }),
      };
      schedules.push(schedule);
      return schedule;
    },
    update: async (_appId, id, input) => {
      calls.push(`updateSchedule ${id} ${input.expression} enabled=${input.enabled}`);
      const schedule = find(id);
      return Object.assign(schedule, checked({ ...schedule, ...input }));
    },
    remove: async (_appId, id) => {
      if (!access.manage) throw new InputError('only the application\'s maintainers and admins may delete its schedules', 403);
      calls.push(`deleteSchedule ${id}`);
      schedules.splice(schedules.indexOf(find(id)), 1);
    },
  };
}

function fakeAuth({ user, session, calls }: FakeState): ServerContext['auth'] {
  return {
    login: async (name, password) => (name === 'ada' && password === 'correct horse' ? session : undefined),
    logout: async (token) => void calls.push(`logout ${token}`),
    createUser: async () => user,
    countUsers: async () => 1,
    createToken: async () => {
      throw new Error('not used by the UI');
    },
    listTokens: async () => [],
    revokeToken: async () => undefined,
    listUsers: async () => [{ ...user, disabled: false }],
    updateUser: async () => ({ ...user, disabled: false }),
  };
}
