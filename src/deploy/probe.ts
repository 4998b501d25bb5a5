import type { ExecResult } from '../runtime/ssh/connection.ts';

/** What one HTTP probe of the health path saw: enough to say why it failed without a second look. */
export interface ProbeResult {
  /** 0 when no HTTP answer came (connection refused, timeout). */
  status: number;
  /** The redirect target of a 3xx. */
  location?: string;
  /** The first bytes of the body, one line. */
  body: string;
  latencyMs: number;
  /** curl's own error (connection refused, timed out, reset). */
  error?: string;
  /** curl's exit code: 7 is "could not connect", 28 a timeout. */
  curlExit: number;
}

/** Bytes of the body a probe keeps: enough for an error page's title or a JSON error. */
const BODY_BYTES = 200;

/**
 * The body goes to a temp file and only its first bytes come back, so a large error page costs
 * nothing each second; curl's write-out line comes first, then the body's head. No `--fail` and
 * no `--location`: the status and a redirect's target are what the probe reports.
 */
const PROBE_SCRIPT = `b=$(mktemp) || exit 1; curl "$@" --output "$b"; c=$?; head -c ${BODY_BYTES} "$b"; rm -f "$b"; exit $c`;

/**
 * The probe of `path` on the release's host port, run on the server; `forwardedProto` is sent as
 * X-Forwarded-Proto. A RemoteCommand (commands.ts builds the health check from it).
 */
export function probeCommand(port: number, path: string, forwardedProto?: string): { argv: string[] } {
  return {
    argv: [
      'sh', '-c', PROBE_SCRIPT, 'sh', '--silent', '--show-error', '--max-time', '5',
      '--write-out', '%{http_code} %{time_total} %{redirect_url}\\n',
      ...(forwardedProto ? ['--header', `X-Forwarded-Proto: ${forwardedProto}`] : []),
      `http://127.0.0.1:${port}${path}`,
    ],
  };
}

/** A probe passes on a 2xx answer only: a redirect means the path is not the health page (see hints). */
export const probePassed = (p: ProbeResult): boolean => p.status >= 200 && p.status < 300;

/** Reads the probe command's result (write-out line, then the body's head; curl's error on stderr). */
export function parseProbe(r: ExecResult): ProbeResult {
  const nl = r.stdout.indexOf('\n');
  const head = (nl < 0 ? r.stdout : r.stdout.slice(0, nl)).trim();
  const [code = '0', secs = '0', location = ''] = head.split(/\s+/);
  const result: ProbeResult = {
    status: /^\d+$/.test(code) ? Number(code) : 0,
    body: (nl < 0 ? '' : r.stdout.slice(nl + 1)).replace(/\s+/g, ' ').trim().slice(0, BODY_BYTES),
    latencyMs: Math.round(Number(secs) * 1000) || 0,
    curlExit: r.code ?? -1,
  };
  if (location) result.location = location;
  const error = r.stderr.trim().split('\n').at(-1);
  if (r.code !== 0 && error) result.error = error;
  return result;
}

/** One line per probe: `503 in 12 ms, body "…"`, `301 → https://… in 3 ms`, `no answer: curl: (7) … (0 ms)`. */
export function describeProbe(p: ProbeResult): string {
  if (p.status === 0) return `no answer: ${p.error ?? `curl exit ${p.curlExit}`} (${p.latencyMs} ms)`;
  const to = p.location ? ` → ${p.location}` : '';
  const body = p.body ? `, body "${p.body.length > 80 ? `${p.body.slice(0, 80)}…` : p.body}"` : '';
  return `${p.status}${to} in ${p.latencyMs} ms${body}`;
}

/**
 * A refused, reset or empty connection: nothing (or nothing healthy) listens on the port. Behind
 * Docker's userland proxy a container port nobody listens on is not refused: the proxy accepts,
 * then closes (curl 52, "Empty reply") or resets (56).
 */
export const probeRefused = (p: ProbeResult): boolean => p.status === 0 && [7, 52, 56].includes(p.curlExit);

/**
 * What to do about the probes seen, the most telling first: a redirect to https is an app that
 * forces SSL (it sees plain http from the probe), any other redirect a health path that is not
 * the health page, a timeout an app that does not answer in 5 s.
 */
export function probeHint(probes: ProbeResult[], opts: { path: string; forwardedProto?: string }): string | undefined {
  const redirect = [...probes].reverse().find((p) => p.status >= 300 && p.status < 400);
  if (redirect?.location?.startsWith('https://')) {
    return opts.forwardedProto === 'https'
      ? `the app redirects to ${redirect.location} although the probe sends X-Forwarded-Proto: https; check the app trusts that header from 127.0.0.1, or set health-path to a path it does not redirect`
      : 'the app forces SSL: it redirects plain http to https. Set `health-forwarded-proto: https` so the probe sends X-Forwarded-Proto: https as a TLS-terminating proxy would, or set health-path to a path the app answers over http';
  }
  if (redirect) return `${opts.path} redirects to ${redirect.location ?? '(no Location)'}; a probe passes on 2xx only, so set health-path to a page that answers 200`;
  const last = probes.at(-1);
  if (last?.curlExit === 28) return `${opts.path} did not answer within 5 s; the app may be stuck starting (see its log)`;
  if (last && last.status >= 400) return `${opts.path} answers ${last.status}; check the path exists and the app is healthy (see its log)`;
  return undefined;
}
