import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { CommitStatus, CreateStatusOption } from 'gitea-js';

/**
 * Gitea's REST API on loopback, for the forge tests. Gitea publishes its API as swagger.v1.json;
 * no npm package ships that file, but `gitea-js` (1.23.x = Gitea 1.23) is generated from it and
 * ships the result as a declaration file: every operation with its `@request METHOD:/path` and
 * typed parameters, and every definition as an interface. This server reads that file and checks
 * each request against it: the operation (method and path under /api/v1), the token header Gitea
 * documents (`Authorization: token …`), the JSON content type, and the body against the
 * operation's body interface (no property Gitea lacks, each of its type; a `CommitStatusState`
 * among the states its description lists). Answers are Gitea's: 201 with a `CommitStatus`, else
 * 401 / 404 / 422 (each listed in `problems`).
 */
export interface GiteaStatusRequest {
  owner: string;
  repo: string;
  sha: string;
  body: CreateStatusOption;
  authorization: string | undefined;
  at: number;
  /** The HTTP status this stand-in answered (201, or the one `failNext` asked for). */
  answered: number;
}

export interface GiteaApi {
  /** What to give the server as the API root: `http://127.0.0.1:PORT/api/v1`. */
  apiUrl: string;
  statuses: GiteaStatusRequest[];
  problems: string[];
  /** The next `count` requests answer `status` (a Gitea in trouble), after being checked. */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

interface Operation { method: string; template: string; pattern: RegExp; name: string; bodyType: string | undefined }
interface Member { name: string; optional: boolean; type: string; doc: string }

const require = createRequire(import.meta.url);
const DECLARATIONS = path.join(path.dirname(require.resolve('gitea-js')), 'index.d.ts');
let loaded: { operations: Operation[]; interfaces: Map<string, Member[]>; aliases: Map<string, string> } | undefined;

/** The operations and definitions of Gitea's API, as gitea-js declares them (read once). */
export function giteaDescription(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const source = readFileSync(DECLARATIONS, 'utf8');
  const operations: Operation[] = [];
  const op = /@request (\w+):(\/\S*)[\s\S]*?\*\/\s*(\w+): \(([\s\S]*?)\) => Promise<HttpResponse</g;
  for (const m of source.matchAll(op)) {
    const [, method, template, name, params] = m as unknown as [string, string, string, string, string];
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')}$`);
    operations.push({ method: method.toUpperCase(), template, pattern, name, bodyType: /\b(?:body|data): (\w+)/.exec(params)?.[1] });
  }
  const interfaces = new Map<string, Member[]>();
  for (const m of source.matchAll(/^interface (\w+) \{\n([\s\S]*?)\n\}/gm)) interfaces.set(m[1]!, membersOf(m[2]!));
  const aliases = new Map([...source.matchAll(/^type (\w+) = ([^;]+);/gm)].map((m) => [m[1]!, m[2]!]));
  loaded = { operations, interfaces, aliases };
  return loaded;
}

/** An interface's members at the top level (4-space indent), each with the doc comment above it. */
function membersOf(body: string): Member[] {
  const members: Member[] = [];
  let doc = '';
  for (const line of body.split('\n')) {
    if (/^ {4}(\/\*\*| \*)/.test(line)) doc += `${line}\n`;
    const m = /^ {4}(\w+)(\?)?: (.+);$/.exec(line);
    if (m) {
      members.push({ name: m[1]!, optional: m[2] === '?', type: m[3]!, doc });
      doc = '';
    }
  }
  return members;
}

/** Problems of `value` against a declared type (primitives, string-literal unions, aliases, arrays, interfaces). */
function typeProblems(value: unknown, type: string, member: Member | undefined, where: string, depth = 0): string[] {
  const d = giteaDescription();
  if (type.endsWith('[]')) return Array.isArray(value) ? value.flatMap((v, i) => typeProblems(v, type.slice(0, -2), undefined, `${where}[${i}]`, depth)) : [`${where} must be an array`];
  if (/^'/.test(type)) {
    const allowed = [...type.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    return allowed.includes(value as string) ? [] : [`${where} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`];
  }
  if (type === 'string' || type === 'number' || type === 'boolean') {
    if (typeof value !== type) return [`${where} must be a ${type}, not ${JSON.stringify(value)}`];
    // Gitea's description lists the allowed states only in words ("It can be "pending", …"): take them from there.
    const listed = /It can be (.+)$/m.exec(member?.doc ?? '')?.[1];
    const allowed = listed ? [...listed.matchAll(/"([^"]+)"/g)].map((m) => m[1]) : undefined;
    return allowed && !allowed.includes(value as string) ? [`${where} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`] : [];
  }
  const alias = d.aliases.get(type);
  if (alias) return typeProblems(value, alias, member, where, depth);
  const members = d.interfaces.get(type);
  if (!members || depth > 3) return [];
  return objectProblems(value, type, members, where, depth + 1);
}

/**
 * Fields Gitea writes that its description does not list: a `User` is serialised with a copy of
 * `login` as `username` too (Gitea's User.MarshalJSON, kept for older clients), so every payload
 * has it.
 */
const SERIALISED_EXTRAS: Record<string, Member[]> = { User: [{ name: 'username', optional: true, type: 'string', doc: '' }] };

function objectProblems(value: unknown, type: string, members: Member[], where: string, depth: number): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${where} must be a ${type} object`];
  const problems: string[] = [];
  const byName = new Map([...members, ...(SERIALISED_EXTRAS[type] ?? [])].map((m) => [m.name, m]));
  for (const [key, v] of Object.entries(value)) {
    const member = byName.get(key);
    if (!member) problems.push(`${where}.${key}: ${type} has no property ${key}`);
    else if (v === null && member.optional) continue;
    else problems.push(...typeProblems(v, member.type, member, `${where}.${key}`, depth));
  }
  for (const m of members) if (!m.optional && !(m.name in value)) problems.push(`${where}.${m.name} is required by ${type}`);
  return problems;
}

/** Checks a request body against the named interface of Gitea's description; [] when it fits. */
export function bodyProblems(body: unknown, type: string): string[] {
  if (!giteaDescription().interfaces.has(type)) return [`Gitea's description has no ${type}`];
  return typeProblems(body, type, undefined, 'body');
}

/** The operation of Gitea's API a request is, by method and path (under /api/v1). */
export function findOperation(method: string, apiPath: string): { op: Operation; params: string[] } | undefined {
  for (const op of giteaDescription().operations) {
    const m = op.method === method ? op.pattern.exec(apiPath) : null;
    if (m) return { op, params: m.slice(1).map(decodeURIComponent) };
  }
  return undefined;
}

/** Starts the stand-in Gitea; requests must carry `Authorization: token <token>`. */
export async function startGiteaApi(token: string): Promise<GiteaApi> {
  const statuses: GiteaStatusRequest[] = [];
  const problems: string[] = [];
  const failures = { count: 0, status: 500 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, res, Buffer.concat(chunks), { token, statuses, problems, failures }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/v1`, statuses, problems,
    failNext: (count, status) => Object.assign(failures, { count, status }),
    close: () => closeServer(server),
  };
}

type State = { token: string; statuses: GiteaStatusRequest[]; problems: string[]; failures: { count: number; status: number } };

function answer(req: IncomingMessage, res: ServerResponse, raw: Buffer, state: State): void {
  const url = new URL(req.url ?? '/', 'http://gitea.test');
  const refuse = (status: number, message: string) => {
    state.problems.push(`${req.method} ${url.pathname}: ${message}`);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
  };
  if (!url.pathname.startsWith('/api/v1/')) return refuse(404, 'not under /api/v1');
  const found = findOperation(req.method ?? '', url.pathname.slice('/api/v1'.length));
  if (!found) return refuse(404, 'no operation of Gitea\'s API has this method and path');
  const auth = req.headers.authorization;
  if (auth !== `token ${state.token}`) return refuse(401, `Authorization must be "token <the token>", got ${auth === undefined ? 'none' : JSON.stringify(auth.replace(/\S+$/, '…'))}`);
  if (found.op.name !== 'repoCreateStatus') return refuse(404, `${found.op.name} is Gitea's, but this stand-in serves only repoCreateStatus`);
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(415, 'the body must be application/json');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return refuse(422, 'the body is not JSON');
  }
  const wrong = bodyProblems(body, found.op.bodyType ?? '');
  if (wrong.length) return refuse(422, wrong.join('; '));
  const [owner, repo, sha] = found.params as [string, string, string];
  const failing = state.failures.count > 0;
  state.statuses.push({ owner, repo, sha, body: body as CreateStatusOption, authorization: auth, at: Date.now(), answered: failing ? state.failures.status : 201 });
  if (failing) {
    state.failures.count--;
    return void res.writeHead(state.failures.status, { 'content-type': 'application/json' }).end('{"message":"stand-in failure"}');
  }
  res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(createdStatus(state.statuses.length, body as CreateStatusOption)));
}

/** Gitea's answer to a created status (its `CommitStatus`). */
function createdStatus(id: number, body: CreateStatusOption): CommitStatus {
  const now = new Date().toISOString();
  return { id, status: body.state, context: body.context, description: body.description, target_url: body.target_url, created_at: now, updated_at: now, creator: { id: 1, login: 'werker-bot' } };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Problems of a webhook payload against Gitea's description: its parts are the API's own
 * definitions (a push's `commits` are `PayloadCommit`s, `repository` a `Repository`, `pusher` and
 * `sender` `User`s; a pull request's `pull_request` a `PullRequest`). Gitea writes an absent
 * optional object as null (Go's nil), which counts as absent.
 */
export function payloadProblems(event: 'push' | 'pull_request', payload: Record<string, unknown>): string[] {
  const parts: [string, string][] = event === 'push'
    ? [['commits', 'PayloadCommit[]'], ['repository', 'Repository'], ['pusher', 'User'], ['sender', 'User']]
    : [['pull_request', 'PullRequest'], ['repository', 'Repository'], ['sender', 'User']];
  return parts.flatMap(([key, type]) => (key in payload ? typeProblems(payload[key], type, undefined, key) : [`${key} is missing`]));
}
