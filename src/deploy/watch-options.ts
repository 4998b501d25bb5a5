import type { HealthCheck, WatchWindow } from './release-spec.ts';

/** Paths that go into nginx config as they are (the same rule as release-options' PATH). */
const PATH = /^[A-Za-z0-9_./@+-]+$/;

/** Option text already `$VAR`-expanded and trimmed ('' when not set). */
type Get = (name: string) => string;

/**
 * `watch: 60` (seconds, 0 or unset: no watch), `watch-5xx: 5%` (default 5% when nginx fronts the
 * release; `off` counts nothing), `nginx-access-log` (where this site's access log goes, default
 * /var/log/nginx/<prefix>.werker.log; the deploy user must be able to read it).
 */
export function parseWatch(get: Get, prefix: string, hasNginx: boolean, errors: string[], watchWritten = true): WatchWindow | undefined {
  const secsText = get('watch');
  const rateText = get('watch-5xx');
  const logText = get('nginx-access-log');
  if (secsText !== '' && !/^\d+s?$/.test(secsText)) {
    errors.push(`watch: "${secsText}" is not a whole number of seconds (e.g. watch: 60; 0 turns the watch off)`);
    return undefined;
  }
  const seconds = secsText === '' ? 0 : parseInt(secsText, 10);
  if (seconds === 0) {
    // `watch: $WATCH` set to 0 or empty turns the watch off, watch-5xx with it; no `watch` at all is a slip.
    if (!watchWritten && rateText && rateText !== 'off') errors.push('watch-5xx needs watch (the window, in seconds, the 5xx answers are counted over)');
    return undefined;
  }
  if (seconds > 3600) errors.push(`watch: ${seconds}s is more than an hour; the deploy lock is held for the whole window`);
  const window: WatchWindow = { seconds };
  if (rateText === 'off' || (!rateText && !hasNginx)) return window;
  if (!hasNginx) {
    errors.push('watch-5xx needs nginx-site (the 5xx answers are counted in the access log of the site werker writes)');
    return window;
  }
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(rateText || '5%');
  if (!m || Number(m[1]) > 100) {
    errors.push(`watch-5xx: "${rateText}" is not a share of answers (e.g. 5% or 0.5%; off counts nothing)`);
    return window;
  }
  window.max5xxPercent = Number(m[1]);
  window.accessLog = logText || `/var/log/nginx/${prefix}.werker.log`;
  if (!window.accessLog.startsWith('/') || !PATH.test(window.accessLog)) errors.push(`nginx-access-log: "${window.accessLog}" must be an absolute plain path (letters, digits, _ . / @ + -)`);
  return window;
}

/** `health-forwarded-proto: https`: the probes send X-Forwarded-Proto, as a TLS-terminating proxy in front would. */
export function parseForwardedProto(get: Get, health: HealthCheck, errors: string[]): void {
  const v = get('health-forwarded-proto');
  if (!v) return;
  if (v !== 'http' && v !== 'https') errors.push(`health-forwarded-proto: "${v}" must be http or https`);
  else if (health.path === undefined) errors.push('health-forwarded-proto needs an HTTP health check (health-path, or app-port without health-cmd)');
  else health.forwardedProto = v;
}
