import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { description, errorsOf, paramProblem, resolveParam, validator, type Operation } from './github-api.ts';
import { jwtProblem, type GitHubAppServed } from './github-app-jwt.ts';

/**
 * GitHub's REST API for commit statuses on loopback: every request is matched to an operation of
 * GitHub's published OpenAPI description (@octokit/openapi) by method and path, and checked
 * against it — path parameters, the content type, the JSON body against the operation's request
 * schema — plus what GitHub asks of every request (a User-Agent, a media type it serves, the
 * token). A wrong path, method, header or body is answered as GitHub would (404, 405, 401, 415,
 * 422) and listed in `problems`, so a test that expects none fails. "Create a commit status" is
 * answered with GitHub's own example (checked against the response schema) and recorded.
 * `failNext(n, status)` answers the next n status requests with a 5xx; `hang` with no answer.
 * With `app`, it is also a GitHub App's installation: "Create an installation access token"
 * takes only a JWT signed by the App's key (github-app-jwt.ts checks it) and answers with a new
 * token and its `expires_at`; the status route then takes those tokens until they expire (or
 * `expireTokens()` ends them all).
 */
export interface TokenRequest {
  installationId: string;
  claims: { iat: number; exp: number; iss: unknown };
  body: Json;
  issued?: string;
}

export interface StatusRequest {
  operationId: string;
  method: string;
  path: string;
  owner: string;
  repo: string;
  sha: string;
  body: { state: string; target_url?: string | null; description?: string | null; context?: string };
  headers: Record<string, string | undefined>;
  receivedAt: number;
}

export interface GitHubStatusApi {
  apiUrl: string;
  /** Accepted status requests (201), in arrival order. */
  statuses: StatusRequest[];
  /** Every request that reached the server, refused or not (`METHOD path -> status`). */
  log: string[];
  problems: string[];
  failNext(count: number, status?: number): void;
  /** The next `count` requests get no answer until the server closes. */
  hangNext(count: number): void;
  /** Installation token requests (answered or refused), in arrival order. */
  tokenRequests: TokenRequest[];
  /** Ends every installation token issued so far (GitHub answers 401 to them from now on). */
  expireTokens(): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
const ACCEPTED = ['application/vnd.github+json', 'application/vnd.github.v3+json', 'application/json', '*/*'];
/** The REST API versions GitHub serves (`X-GitHub-Api-Version`). */
const API_VERSIONS = ['2022-11-28'];
const DOCS = 'https://docs.github.com/rest/commits/statuses';

export async function startGitHubStatusApi(opts: { token: string; repos: string[]; app?: GitHubAppServed }): Promise<GitHubStatusApi> {
  const tokens = new Map<string, number>();
  const tokenRequests: TokenRequest[] = [];
  const state = { statuses: [] as StatusRequest[], log: [] as string[], problems: [] as string[], fail: { count: 0, status: 503 }, hang: 0, hanging: [] as ServerResponse[] };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      state.problems.push(`the test server failed: ${err.message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: Json) => {
    state.log.push(`${req.method} ${req.url} -> ${status}`);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, message: string, problem: string) => {
    state.problems.push(problem);
    send(req, res, status, { message, documentation_url: DOCS });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://api.github.test');
    const method = req.method ?? 'GET';
    const where = `${method} ${url.pathname}`;
    const candidates = description().operations.filter((o) => o.host === 'api' && o.pattern.test(url.pathname));
    const op = candidates.find((o) => o.method === method);
    if (!op) {
      return refuse(req, res, candidates.length ? 405 : 404, 'Not Found', candidates.length
        ? `${where}: GitHub's description has ${candidates.map((o) => `${o.method} ${o.template}`).join(', ')} here, not ${method}`
        : `${where}: no operation of GitHub's description has this path`);
    }
    const isTokenRoute = op.id === 'apps/create-installation-access-token';
    const headerProblem = checkHeaders(req, isTokenRoute ? undefined : (auth) => auth === opts.token || (tokens.get(auth) ?? 0) > Date.now());
    if (headerProblem) return refuse(req, res, headerProblem.status, headerProblem.message, `${where}: ${headerProblem.message}`);
    const params = pathParams(op, url.pathname);
    const bad = paramProblems(op, params);
    if (bad.length) return refuse(req, res, 422, 'Validation Failed', `${where} (${op.id}): ${bad.join('; ')}`);
    const json = checkBody(req, op, raw);
    if (typeof json === 'string') return refuse(req, res, json.startsWith('content type') ? 415 : 422, 'Invalid request.', `${where} (${op.id}): ${json}`);
    if (isTokenRoute) return answerTokenRequest(req, res, op, params.installation_id!, json ?? {});
    if (op.id !== 'repos/create-commit-status') return refuse(req, res, 501, 'Not Implemented', `${where}: ${op.id} is not served by the test server (werker should not call it)`);
    if (!opts.repos.includes(`${params.owner}/${params.repo}`)) return send(req, res, 404, { message: 'Not Found', documentation_url: DOCS });
    if (state.hang > 0) {
      state.hang--;
      state.log.push(`${where} -> (no answer)`);
      state.hanging.push(res);
      return;
    }
    if (state.fail.count > 0) {
      state.fail.count--;
      return send(req, res, state.fail.status, { message: 'Server Error' });
    }
    state.statuses.push({
      operationId: op.id, method, path: url.pathname, owner: params.owner!, repo: params.repo!, sha: params.sha!, body: json as StatusRequest['body'],
      headers: req.headers as Record<string, string | undefined>, receivedAt: Date.now(),
    });
    answerStatus(req, res, op, json!);
  };

  /** GitHub's example status with this request's values, checked against the response schema first. */
  const answerStatus = (req: IncomingMessage, res: ServerResponse, op: Operation, body: Json) => {
    const examples = (description().spec.components as { examples: Record<string, { value: Json }> }).examples;
    const answer = { ...structuredClone(examples.status!.value), id: state.statuses.length, state: body.state, context: body.context ?? 'default', description: body.description ?? null, target_url: body.target_url ?? null };
    const v = validator('paths', op.template, 'post', 'responses', '201', 'content', 'application/json', 'schema');
    if (!v(answer)) state.problems.push(`the test server's own answer does not fit GitHub's schema: ${errorsOf(v)}`);
    send(req, res, 201, answer);
  };

  /** A new installation token, when the JWT is the App's and the installation is its own. */
  const answerTokenRequest = (req: IncomingMessage, res: ServerResponse, op: Operation, installationId: string, body: Json) => {
    if (!opts.app) return refuse(req, res, 501, 'Not Implemented', 'an installation token was asked for, but this test server serves no GitHub App');
    const checked = jwtProblem(req.headers.authorization, opts.app);
    if (typeof checked === 'string') return refuse(req, res, 401, 'A JSON web token could not be decoded', `${op.id}: ${checked}`);
    const request: TokenRequest = { installationId, claims: checked, body };
    tokenRequests.push(request);
    if (installationId !== opts.app.installationId) return send(req, res, 404, { message: 'Not Found', documentation_url: DOCS });
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    const expiresAt = Date.now() + (opts.app.tokenLifetimeMs ?? 3_600_000);
    tokens.set(token, expiresAt);
    request.issued = token;
    const examples = (description().spec.components as { examples: Record<string, { value: Json }> }).examples;
    const answer = { ...structuredClone(examples['installation-token']!.value), token, expires_at: new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z'), permissions: body.permissions ?? {} };
    const v = validator('paths', op.template, 'post', 'responses', '201', 'content', 'application/json', 'schema');
    if (!v(answer)) state.problems.push(`the test server's own token answer does not fit GitHub's schema: ${errorsOf(v)}`);
    send(req, res, 201, answer);
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}`, statuses: state.statuses, log: state.log, problems: state.problems,
    failNext: (count, status = 503) => void (state.fail = { count, status }),
    hangNext: (count) => void (state.hang = count),
    tokenRequests,
    expireTokens: () => tokens.clear(),
    close: () => new Promise<void>((resolve) => {
      for (const r of state.hanging) r.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * What GitHub asks of every request: a User-Agent, a media type it serves, an API version it has,
 * the token (`accepts`: whether a `token`/`Bearer` credential is good; undefined: the route checks
 * its own, a JWT).
 */
function checkHeaders(req: IncomingMessage, accepts: ((credential: string) => boolean) | undefined): { status: number; message: string } | undefined {
  if (!req.headers['user-agent']) return { status: 403, message: 'no User-Agent header (GitHub refuses requests without one)' };
  const accept = req.headers.accept;
  if (accept && !accept.split(',').some((a) => ACCEPTED.includes(a.split(';')[0]!.trim()))) return { status: 415, message: `Accept "${accept}" is not a media type GitHub's REST API serves` };
  const version = req.headers['x-github-api-version'];
  if (version !== undefined && !API_VERSIONS.includes(String(version))) return { status: 400, message: `X-GitHub-Api-Version ${String(version)} is not a version GitHub serves` };
  const auth = req.headers.authorization;
  if (!accepts) return undefined;
  const credential = /^(token|Bearer) (\S+)$/.exec(auth ?? '')?.[2];
  if (!credential || !accepts(credential)) return { status: 401, message: auth ? 'Bad credentials' : 'Requires authentication' };
  return undefined;
}

function pathParams(op: Operation, pathname: string): Record<string, string> {
  const values = op.pattern.exec(pathname)!.slice(1).map(decodeURIComponent);
  const names = [...op.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}

function paramProblems(op: Operation, params: Record<string, string>): string[] {
  const declared = ((op.op.parameters as Json[] | undefined) ?? []).map(resolveParam);
  return declared.flatMap((p) => {
    const value = p.in === 'path' ? params[p.name as string] : undefined;
    const problem = value === undefined ? undefined : paramProblem(p, value);
    return problem ? [problem] : [];
  });
}

/** The JSON body checked against the operation's request schema; a string says what is wrong. */
function checkBody(req: IncomingMessage, op: Operation, raw: Buffer): Json | string | undefined {
  const content = ((op.op.requestBody as Json | undefined)?.content ?? {}) as Record<string, Json>;
  if (!content['application/json']) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return `content type "${type}", the operation takes application/json`;
  let json: Json;
  try {
    json = JSON.parse(raw.toString('utf8')) as Json;
  } catch {
    return `the body is not JSON: ${raw.toString('utf8').slice(0, 200)}`;
  }
  const v = validator('paths', op.template, op.method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema');
  return v(json) ? json : `the body does not fit GitHub's schema: ${errorsOf(v)}`;
}

// ── Recorded webhook payloads ─────────────────────────────────────────────────────────────────
// GitHub's own example deliveries as @octokit/webhooks-examples ships them (recorded from GitHub).

type Example = { name: string; examples: Json[] };
const requireJson = createRequire(import.meta.url);
let examples: Example[] | undefined;

/** A copy of the first recorded payload of `event` that `pick` accepts. */
export function recordedPayload(event: string, pick: (p: Json) => boolean = () => true): Json {
  examples ??= JSON.parse(readFileSync(requireJson.resolve('@octokit/webhooks-examples'), 'utf8')) as Example[];
  const found = examples.find((e) => e.name === event)?.examples.find(pick);
  if (!found) throw new Error(`no recorded ${event} payload matches`);
  return structuredClone(found);
}

export const withAction = (action: string) => (p: Json) => p.action === action;

type PullRequestPart = { number: number; head: { sha: string; ref: string; label: string; repo: Json }; base: { ref: string } };

/**
 * GitHub's recorded `pull_request` payload for `action`, pointed at this test's commit and
 * branches. `fork`: the head repository becomes another one (a fork, `forker/Hello-World`):
 * no fork delivery is recorded, so the recorded one is changed in just those fields.
 */
export function pullRequestPayload(o: { action: string; headSha: string; headRef: string; baseRef: string; number?: number; fork?: boolean }): Json {
  const p = recordedPayload('pull_request', withAction(o.action)) as Json & { number: number; pull_request: PullRequestPart };
  const pr = p.pull_request;
  Object.assign(pr.head, { sha: o.headSha, ref: o.headRef });
  pr.base.ref = o.baseRef;
  if (o.number !== undefined) p.number = pr.number = o.number;
  if (o.fork) {
    pr.head.repo = { ...pr.head.repo, id: 987654321, node_id: 'R_forked', full_name: 'forker/Hello-World', fork: true, owner: { ...(pr.head.repo.owner as Json), login: 'forker', id: 4242 } };
    pr.head.label = `forker:${o.headRef}`;
  }
  return p;
}
