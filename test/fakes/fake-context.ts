import type { RunEvent } from '../../src/engine/events.ts';
import type { Authenticator } from '../../src/server/auth.ts';
import {
  InputError, type Application, type KeyPair, type Run, type RunDetail, type ServerContext, type Session, type User, type Variable,
} from '../../src/server/context.ts';

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
    apps: [], variables: [], keyPairs: [], runs: [], calls: [],
    now: '2026-12-02T12:00:00.000Z',
  };
  const ctx: ServerContext = { baseUrl: 'https://ci.example.test', terminalMinutes: 0, ...fakeApplications(state), ...fakeRuns(state), auth: fakeAuth(state) };
  const { session, runs, calls, variables, access } = state;
  const authenticator: Authenticator = {
    sessionUser: async (token) => (token === session.token ? { user, csrfToken: session.csrfToken } : undefined),
    tokenUser: async () => undefined,
  };
  return { ctx, authenticator, session, runs, calls, variables, access };
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
  calls: string[];
  now: string;
}

type AppMembers = Omit<ServerContext, 'baseUrl' | 'terminalMinutes' | 'auth' | 'listRuns' | 'getRun' | 'listRunEvents' | 'followRun' | 'triggerRun' | 'cancelRun' | 'retryRun'>;

function fakeApplications({ access, apps, variables, keyPairs, calls, now }: FakeState): AppMembers {
  return {
    listApplications: async () => [...apps],
    getApplication: async (key) => apps.find((a) => a.id === key || a.name === key),
    createApplication: async (input) => {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(input.name)) throw new InputError(`bad application name "${input.name}"`);
      const app: Application = { id: apps.length + 1, name: input.name, repository: input.repository, defaultBranch: input.defaultBranch ?? 'main', workflow: null, createdAt: now };
      apps.push(app);
      return app;
    },
    deleteApplication: async () => undefined,
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
  };
}

type RunMembers = Pick<ServerContext, 'listRuns' | 'getRun' | 'listRunEvents' | 'followRun' | 'triggerRun' | 'cancelRun' | 'retryRun'>;

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
