import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * GitHub's REST API for releases on loopback, for the release steps' tests: two listeners, the
 * API (api.github.com) and the upload host (uploads.github.com). Every request is matched to an
 * operation of GitHub's published OpenAPI description (@octokit/openapi) by server, method and
 * path, and checked against it: path and query parameters, the JSON body against the
 * operation's request schema, the content type; plus what GitHub's documentation asks of every
 * request (a User-Agent, an Accept it serves). Create-release and upload-release-asset are
 * served with GitHub's own answers (from the description's examples, with this server's ids and
 * URLs), themselves checked against the response schemas. Whatever does not fit is answered as
 * GitHub would (404, 422, 401, 403) and listed in `problems`.
 */
export interface GitHubRequest {
  operationId: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface GitHubAsset { id: number; name: string; contentType: string; data: Buffer }
export interface GitHubRelease { id: number; repo: string; request: Record<string, unknown>; assets: GitHubAsset[] }

export interface GitHubApi {
  apiUrl: string;
  uploadsUrl: string;
  requests: GitHubRequest[];
  releases: GitHubRelease[];
  problems: string[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
export interface Operation { id: string; method: string; template: string; pattern: RegExp; host: 'api' | 'uploads'; op: Json }

const require = createRequire(import.meta.url);
const SPEC_FILE = path.join(path.dirname(require.resolve('@octokit/openapi/package.json')), 'generated/api.github.com.json');
let loaded: { spec: Json; ajv: Ajv; operations: Operation[] } | undefined;

/** GitHub's description, read once, with an ajv that resolves its $refs. */
export function description(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
  ajv.addSchema(spec, 'github');
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(spec.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const o = op as Json;
      const server = ((o.servers as Json[] | undefined)?.[0]?.url as string | undefined) ?? 'https://api.github.com';
      const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '([^/]+)')}$`);
      operations.push({ id: o.operationId as string, method: method.toUpperCase(), template, pattern, host: server.includes('uploads.') ? 'uploads' : 'api', op: o });
    }
  }
  return (loaded = { spec, ajv, operations });
}

/** A validator for the schema at a JSON pointer of the description. */
const validators = new Map<string, ValidateFunction>();
export function validator(...pointer: string[]): ValidateFunction {
  const ref = `github#/${pointer.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;
  let v = validators.get(ref);
  if (!v) validators.set(ref, (v = description().ajv.compile({ $ref: ref })));
  return v;
}

export const errorsOf = (v: ValidateFunction): string => (v.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}`).join('; ');

export function resolveParam(p: Json): Json {
  const ref = p.$ref as string | undefined;
  if (!ref) return p;
  return ref.replace(/^#\//, '').split('/').reduce<Json>((o, k) => o[k] as Json, description().spec);
}

/** What is wrong with a parameter's value, by its schema's type and enum. */
export function paramProblem(param: Json, value: string): string | undefined {
  const schema = (param.schema ?? {}) as Json;
  if (schema.type === 'integer' && !/^\d+$/.test(value)) return `${param.in} parameter ${param.name as string} must be an integer, got "${value}"`;
  if (Array.isArray(schema.enum) && !schema.enum.map(String).includes(value)) return `${param.in} parameter ${param.name as string} must be one of ${schema.enum.join(', ')}`;
  return undefined;
}

const ACCEPTED = ['application/vnd.github+json', 'application/vnd.github.v3+json', 'application/json', '*/*'];
const DOCS = 'https://docs.github.com/rest/releases';

export async function startGitHubApi(opts: { token: string; repos: string[] }): Promise<GitHubApi> {
  const requests: GitHubRequest[] = [];
  const releases: GitHubRelease[] = [];
  const problems: string[] = [];
  let nextId = 90_000_001;
  const urls = { api: '', uploads: '' };

  const send = (res: ServerResponse, status: number, body: Json) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, status: number, message: string, problem?: string, extra: Json = {}) => {
    if (problem) problems.push(problem);
    send(res, status, { message, documentation_url: DOCS, ...extra });
  };
  /** The answer for an operation, checked against its response schema first. */
  const answer = (res: ServerResponse, op: Operation, status: number, body: Json) => {
    const v = validator('paths', op.template, op.method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema');
    if (!v(body)) problems.push(`the test server's own ${status} answer to ${op.id} does not fit GitHub's schema: ${errorsOf(v)}`);
    send(res, status, body);
  };

  const handle = async (host: 'api' | 'uploads', req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://github.test');
    const method = req.method ?? 'GET';
    const where = `${method} ${url.pathname} (${host === 'api' ? 'api.github.com' : 'uploads.github.com'})`;
    const candidates = description().operations.filter((o) => o.host === host && o.pattern.test(url.pathname));
    const op = candidates.find((o) => o.method === method);
    if (!op) {
      return refuse(res, candidates.length ? 405 : 404, 'Not Found', candidates.length
        ? `${where}: GitHub's description has ${candidates.map((o) => `${o.method} ${o.template}`).join(', ')} here, not ${method}`
        : `${where}: no operation of GitHub's description has this path on this host`);
    }
    const query = Object.fromEntries(url.searchParams);
    requests.push({ operationId: op.id, method, path: url.pathname, query, headers: req.headers as Record<string, string | undefined>, body });

    // What GitHub asks of every request.
    if (!req.headers['user-agent']) return refuse(res, 403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header', `${where}: no User-Agent header`);
    const accept = req.headers.accept;
    if (accept && !accept.split(',').some((a) => ACCEPTED.includes(a.split(';')[0]!.trim()))) problems.push(`${where}: Accept "${accept}" is not a media type GitHub's REST API serves`);
    const auth = req.headers.authorization;
    if (!auth) return refuse(res, 401, 'Requires authentication');
    if (auth !== `token ${opts.token}` && auth !== `Bearer ${opts.token}`) return refuse(res, 401, 'Bad credentials');

    // The operation's parameters.
    const values = op.pattern.exec(url.pathname)!.slice(1).map(decodeURIComponent);
    const names = [...op.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const pathParams = Object.fromEntries(names.map((n, i) => [n, values[i]!]));
    const params = ((op.op.parameters as Json[] | undefined) ?? []).map(resolveParam);
    const bad: string[] = [];
    for (const p of params) {
      const value = p.in === 'path' ? pathParams[p.name as string] : p.in === 'query' ? query[p.name as string] : undefined;
      if (p.in === 'query' && p.required && value === undefined) bad.push(`query parameter ${p.name as string} is required`);
      if (value !== undefined) bad.push(...[paramProblem(p, value)].filter((x): x is string => !!x));
    }
    for (const q of Object.keys(query)) if (!params.some((p) => p.in === 'query' && p.name === q)) bad.push(`query parameter ${q} is not one of the operation's`);
    if (bad.length) return refuse(res, 422, 'Validation Failed', `${where} (${op.id}): ${bad.join('; ')}`);

    // The body, by the operation's request body.
    const content = ((op.op.requestBody as Json | undefined)?.content ?? {}) as Record<string, Json>;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    let json: Json | undefined;
    if (content['application/json']) {
      if (type !== 'application/json') return refuse(res, 415, 'Unsupported Media Type', `${where} (${op.id}): content type "${type}", the operation takes application/json`);
      try {
        json = JSON.parse(body.toString('utf8')) as Json;
      } catch {
        return refuse(res, 400, 'Problems parsing JSON', `${where} (${op.id}): the body is not JSON: ${body.toString('utf8').slice(0, 200)}`);
      }
      const v = validator('paths', op.template, op.method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema');
      if (!v(json)) return refuse(res, 422, 'Invalid request.', `${where} (${op.id}): the body does not fit GitHub's schema: ${errorsOf(v)}`);
    } else if (Object.values(content).some((c) => (c.schema as Json | undefined)?.format === 'binary')) {
      // Raw bytes, in the media type of the asset: any, but one must be given.
      if (!/^[\w.+-]+\/[\w.+-]+$/.test(type)) return refuse(res, 422, 'Validation Failed', `${where} (${op.id}): the asset's media type "${type}" is not a Content-Type`);
      if (Number(req.headers['content-length']) !== body.length) problems.push(`${where} (${op.id}): Content-Length ${req.headers['content-length']} for ${body.length} bytes`);
    }

    const repo = `${pathParams.owner}/${pathParams.repo}`;
    if (!opts.repos.includes(repo)) return refuse(res, 404, 'Not Found');
    if (op.id === 'repos/create-release') return createRelease(res, op, repo, json!);
    if (op.id === 'repos/upload-release-asset') return uploadAsset(res, op, repo, Number(pathParams.release_id), query, type, body);
    return refuse(res, 501, 'Not Implemented', `${where}: ${op.id} is not served by the test server (the steps should not call it)`);
  };

  const example = (name: string): Json => structuredClone((description().spec.components as Json & { examples: Record<string, { value: Json }> }).examples[name]!.value);
  const author = (): Json => ({ ...(example('release').author as Json), id: 4242, login: 'werker-bot' });

  const createRelease = (res: ServerResponse, op: Operation, repo: string, req: Json) => {
    const tag = req.tag_name as string;
    if (releases.some((r) => r.repo === repo && r.request.tag_name === tag)) {
      return refuse(res, 422, 'Validation Failed', undefined, { errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] });
    }
    const id = nextId++;
    releases.push({ id, repo, request: req, assets: [] });
    const api = `${urls.api}/repos/${repo}`;
    // The author (with an id of its own) comes first, so a step taking the first "id" it sees gets it wrong.
    const release: Json = { author: author() };
    answer(res, op, 201, Object.assign(release, example('release'), {
      author: author(),
      url: `${api}/releases/${id}`, html_url: `https://github.com/${repo}/releases/tag/${tag}`, assets_url: `${api}/releases/${id}/assets`,
      upload_url: `${urls.uploads}/repos/${repo}/releases/${id}/assets{?name,label}`,
      tarball_url: `${api}/tarball/${tag}`, zipball_url: `${api}/zipball/${tag}`, id, tag_name: tag,
      target_commitish: (req.target_commitish as string | undefined) ?? 'main', name: (req.name as string | undefined) ?? null,
      body: (req.body as string | undefined) ?? null, draft: req.draft === true, prerelease: req.prerelease === true,
      published_at: req.draft === true ? null : new Date().toISOString(), assets: [],
    }));
  };

  const uploadAsset = (res: ServerResponse, op: Operation, repo: string, releaseId: number, query: Record<string, string>, type: string, data: Buffer) => {
    const release = releases.find((r) => r.repo === repo && r.id === releaseId);
    if (!release) return refuse(res, 404, 'Not Found');
    const name = query.name!;
    if (release.assets.some((a) => a.name === name)) {
      return refuse(res, 422, 'Validation Failed', undefined, { errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }] });
    }
    const asset: GitHubAsset = { id: nextId++, name, contentType: type, data };
    release.assets.push(asset);
    answer(res, op, 201, {
      ...example('release-asset-response-for-successful-upload'), id: asset.id, name, label: query.label ?? '',
      url: `${urls.api}/repos/${repo}/releases/assets/${asset.id}`,
      browser_download_url: `https://github.com/${repo}/releases/download/${release.request.tag_name as string}/${encodeURIComponent(name)}`,
      content_type: type, size: data.length, download_count: 0, uploader: author(),
    });
  };

  const listen = async (host: 'api' | 'uploads'): Promise<Server> => {
    const server = createServer((req, res) => {
      handle(host, req, res).catch((err: Error) => {
        problems.push(`the test server failed: ${err.stack ?? err.message}`);
        if (!res.headersSent) send(res, 500, { message: 'Server Error' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    urls[host] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return server;
  };
  description();
  const servers = [await listen('api'), await listen('uploads')];
  return {
    apiUrl: urls.api, uploadsUrl: urls.uploads, requests, releases, problems,
    close: async () => { await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))); },
  };
}
