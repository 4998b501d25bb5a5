import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Slack incoming-webhook endpoint on loopback for the notify steps' tests. It answers as
 * hooks.slack.com does (200 `ok`; 400 `invalid_payload` / `no_text`; 404 `no_service` for an
 * unknown hook, `channel_not_found`; 410 `channel_is_archived`) and accepts only what Slack's
 * incoming-webhook API documents: a POST of a JSON body (application/json, or the form field
 * `payload`) whose members are the documented ones with the documented types, holding `text`
 * or `attachments`/`blocks`. Everything it refuses is also listed in `problems`, so a test
 * fails on a malformed request even when the step would have ignored the answer.
 */
export interface SlackMessage {
  hook: string;
  contentType: string;
  userAgent: string;
  payload: Record<string, unknown>;
}

export interface SlackWebhook {
  /** The webhook URL of a hook made with `hook(name, channels)`. */
  url(hook: string): string;
  /** Messages Slack accepted, in order. */
  messages: SlackMessage[];
  /** Why requests were refused (a malformed payload, an unknown hook or channel, …). */
  problems: string[];
  close(): Promise<void>;
}

/** A message attachment's documented members and their types ("legacy" attachments, still accepted). */
const ATTACHMENT_FIELDS: Record<string, string> = {
  fallback: 'string', color: 'string', pretext: 'string', author_name: 'string', author_link: 'string',
  author_icon: 'string', title: 'string', title_link: 'string', text: 'string', fields: 'array', image_url: 'string',
  thumb_url: 'string', footer: 'string', footer_icon: 'string', ts: 'number|string', mrkdwn_in: 'array', blocks: 'array',
};

/** The payload members an incoming webhook takes (the app's defaults apply to the rest). */
const PAYLOAD_FIELDS: Record<string, string> = {
  text: 'string', attachments: 'array', blocks: 'array', channel: 'string', username: 'string', icon_url: 'string',
  icon_emoji: 'string', mrkdwn: 'boolean', link_names: 'boolean|number', unfurl_links: 'boolean', unfurl_media: 'boolean',
  thread_ts: 'string', parse: 'string',
};

const typeOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

function checkMembers(obj: Record<string, unknown>, fields: Record<string, string>, where: string): string[] {
  const bad: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const want = fields[key];
    if (!want) bad.push(`${where}.${key} is not a member Slack documents`);
    else if (!want.split('|').includes(typeOf(value))) bad.push(`${where}.${key} must be ${want}, got ${typeOf(value)}`);
  }
  return bad;
}

/** Problems with a decoded payload, and the error code Slack gives for them. */
export function checkSlackPayload(payload: unknown): { code: string; problems: string[] } | undefined {
  if (typeOf(payload) !== 'object') return { code: 'invalid_payload', problems: ['the payload is not a JSON object'] };
  const p = payload as Record<string, unknown>;
  const problems = checkMembers(p, PAYLOAD_FIELDS, 'payload');
  const attachments = Array.isArray(p.attachments) ? p.attachments : [];
  attachments.forEach((a, i) => {
    if (typeOf(a) !== 'object') problems.push(`payload.attachments[${i}] is not an object`);
    else {
      problems.push(...checkMembers(a as Record<string, unknown>, ATTACHMENT_FIELDS, `payload.attachments[${i}]`));
      const att = a as Record<string, unknown>;
      if (!att.text && !att.fallback && !att.blocks) problems.push(`payload.attachments[${i}] has neither text nor fallback`);
    }
  });
  if (problems.length) return { code: 'invalid_payload', problems };
  const hasText = typeof p.text === 'string' && p.text.trim() !== '';
  if (!hasText && attachments.length === 0 && !(Array.isArray(p.blocks) && p.blocks.length)) {
    return { code: 'no_text', problems: ['the payload has no text, attachments or blocks'] };
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the endpoint with its hooks: each name maps to the channels that exist for it (the
 * first one is the hook's own channel). A hook named `gone` answers 404 no_service, as Slack
 * does for a removed webhook; a channel named `archived` answers 410 channel_is_archived.
 */
export async function startSlackWebhook(hooks: Record<string, string[]>): Promise<SlackWebhook> {
  const messages: SlackMessage[] = [];
  const problems: string[] = [];
  const answer = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/html' }).end(body);
  };
  const refuse = (res: ServerResponse, status: number, code: string, why: string[]) => {
    problems.push(...why);
    answer(res, status, code);
  };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const match = /^\/services\/(T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+)$/.exec(req.url ?? '');
      const hook = match && Object.keys(hooks).find((h) => hookPath(h) === match[1]);
      if (!hook || hook === 'gone') return refuse(res, 404, 'no_service', [`no webhook at ${req.method} ${req.url}`]);
      if (req.method !== 'POST') return refuse(res, 405, 'invalid_method', [`${req.method} ${req.url}: webhooks take POST`]);
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      let payload: unknown;
      try {
        if (contentType === 'application/json') payload = JSON.parse(body);
        else if (contentType === 'application/x-www-form-urlencoded') payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '');
        else return refuse(res, 400, 'invalid_payload', [`content type "${contentType}" is neither application/json nor a form with payload=`]);
      } catch (err) {
        return refuse(res, 400, 'invalid_payload', [`the body is not JSON: ${(err as Error).message}: ${body.slice(0, 200)}`]);
      }
      const bad = checkSlackPayload(payload);
      if (bad) return refuse(res, 400, bad.code, bad.problems);
      const p = payload as Record<string, unknown>;
      const channel = typeof p.channel === 'string' ? p.channel.replace(/^#/, '') : undefined;
      if (channel !== undefined && !channel.startsWith('@') && !hooks[hook]!.includes(channel)) {
        return refuse(res, 404, 'channel_not_found', [`channel ${p.channel} does not exist for hook ${hook}`]);
      }
      if (channel === 'archived') return refuse(res, 410, 'channel_is_archived', [`channel ${p.channel} is archived`]);
      messages.push({ hook, contentType, userAgent: req.headers['user-agent'] ?? '', payload: p });
      answer(res, 200, 'ok');
    })().catch((err: Error) => {
      problems.push(`the test server failed: ${err.message}`);
      if (!res.headersSent) answer(res, 500, 'internal_error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (hook) => `http://127.0.0.1:${port}/services/${hookPath(hook)}`,
    messages, problems,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A hook's token path, shaped like Slack's T…/B…/secret. */
const hookPath = (hook: string): string => `T0WERKER/B0${hook.toUpperCase().replace(/[^A-Z0-9]/g, '')}/s3cr3t${hook.replace(/[^A-Za-z0-9]/g, '')}`;
