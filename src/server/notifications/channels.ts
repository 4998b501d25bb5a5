import type { SmtpSettings } from './smtp-settings.ts';

/** One attempt's outcome: delivered, or failed and whether another attempt may help. */
export type AttemptOutcome =
  | { ok: true; detail: string }
  | { ok: false; retry: boolean; detail: string; retryAfterMs?: number };

/**
 * POSTs a JSON body. Success is any 2xx; 5xx, 429 (with its Retry-After), a timeout and a network
 * error may pass and are retried; other answers (4xx, a redirect, which is never followed) mean
 * the rule is wrong and are not. The answer's body is never read into the outcome: the rule's
 * maintainer would otherwise read any internal page the server can reach.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number, stop: AbortSignal): Promise<AttemptOutcome> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]) });
  } catch (err) {
    return { ok: false, retry: !stop.aborted, detail: networkProblem(err, timeoutMs) };
  }
  await res.body?.cancel().catch(() => undefined);
  const detail = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (res.ok) return { ok: true, detail };
  if (res.status >= 300 && res.status < 400) return { ok: false, retry: false, detail: `${detail}: a redirect, not followed (give the rule the final URL)` };
  const retryAfterMs = retryAfter(res.headers.get('retry-after'));
  const retry = res.status >= 500 || res.status === 429 || res.status === 408;
  return { ok: false, retry, detail, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

function networkProblem(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  if (e.name === 'AbortError') return 'stopped: the server is shutting down';
  return `could not reach the receiver: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
}

/** Retry-After in seconds (or an HTTP date), in ms; undefined when missing or unreadable. */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export interface EmailMessage { to: string[]; subject: string; text: string; headers: Record<string, string> }

/**
 * Sends one email over SMTP with nodemailer (loaded only when a mail goes out). A 4xx answer and
 * a connection problem are retried; a 5xx answer (a refused recipient, a failed login) is not.
 */
export async function sendEmail(smtp: SmtpSettings, mail: EmailMessage, timeoutMs: number): Promise<AttemptOutcome> {
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({
    host: smtp.host, port: smtp.port, secure: smtp.security === 'tls', requireTLS: smtp.security === 'starttls', ignoreTLS: smtp.security === 'none',
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    ...(smtp.ca ? { tls: { ca: smtp.ca } } : {}),
    connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
  });
  try {
    const info = await transport.sendMail({ from: smtp.from, to: mail.to, subject: mail.subject, text: mail.text, headers: mail.headers });
    return { ok: true, detail: `accepted by ${smtp.host}: ${String(info.response).slice(0, 200)}` };
  } catch (err) {
    const e = err as Error & { code?: string; responseCode?: number };
    const permanent = e.code === 'EAUTH' || e.code === 'EENVELOPE' || (e.responseCode !== undefined && e.responseCode >= 500);
    return { ok: false, retry: !permanent, detail: `${smtp.host}:${smtp.port}: ${e.message.split('\n')[0]!.slice(0, 300)}` };
  } finally {
    transport.close();
  }
}
