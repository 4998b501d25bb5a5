import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { NginxSite } from './release-spec.ts';

/**
 * How werker knows nginx serves the site file it wrote last. `nginx -s reload` returns once the
 * master has been signalled; the master then reads the files, starts new workers and tells the
 * old ones to stop accepting, and until then a new connection may still get the old site — or,
 * when the master could not apply the files (a port it cannot bind), the old site for good. So
 * every site file werker writes ends with a small server of its own that answers a hash of the
 * rest of the file, and after a reload werker asks nginx on the host until that hash comes back.
 */

/** How long nginx gets to take up a reloaded site. */
export const SITE_CHECK_SECONDS = 10;

/** The site check's exit status when curl is missing on the host (the shell's "not found"). */
export const NO_CURL = 127;

const CHECK_PATH = '/werker-site';

/** What `werker plan` shows after the reload. */
export const SITE_CHECK_LINE = `(then werker asks nginx on the host until it serves the new file; if it does not within ${SITE_CHECK_SECONDS} s, the old file is put back and the step fails)`;

/** Where the host reaches the site's listen address, and the check server's allowed clients. */
export interface SiteCheckTarget {
  url: string;
  hostHeader: string;
  allow: string[];
}

/** The text werker writes: the site, then the check server answering the site's hash. */
export function withSiteCheck(nginx: NginxSite, prefix: string, site: string): { text: string; generation: string } {
  const generation = createHash('sha256').update(site).digest('hex').slice(0, 16);
  const target = siteCheckTarget(nginx, prefix);
  const check = [
    `# werker asks this server, after each reload, whether nginx serves this file yet: it answers the hash of the site above.`,
    'server {',
    `    listen ${nginx.listen};`,
    `    server_name ${target.hostHeader};`,
    '    access_log off;',
    ...target.allow.map((a) => `    allow ${a};`),
    '    deny all;',
    `    location = ${CHECK_PATH} {`,
    '        default_type text/plain;',
    `        return 200 "${generation}\\n";`,
    '    }',
    '}',
    '',
  ];
  return { text: `${site}${site.endsWith('\n') ? '' : '\n'}${check.join('\n')}`, generation };
}

/**
 * The listen address as the host itself reaches it: a wildcard (`80`, `0.0.0.0:80`, `[::]:80`)
 * through loopback, a named address as it is. The check server's name is werker's own, under
 * `.invalid` (reserved, never a real site), kept short for nginx's server-name hash buckets.
 */
export function siteCheckTarget(nginx: NginxSite, prefix: string): SiteCheckTarget {
  const { address, port } = listenAddress(nginx.listen);
  const local = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  const allow = ['127.0.0.1', '::1'];
  if (isIP(local) && !allow.includes(local)) allow.push(local);
  const hostPart = isIP(local) === 6 ? `[${local}]` : local;
  const name = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24) || 'site';
  return { url: `http://${hostPart}:${port}${CHECK_PATH}`, hostHeader: `${name}.werker.invalid`, allow };
}

function listenAddress(listen: string): { address: string; port: string } {
  if (/^\d+$/.test(listen)) return { address: '0.0.0.0', port: listen };
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(listen);
  if (v6) return { address: v6[1]!, port: v6[2] ?? '80' };
  const v4 = /^([^:]+)(?::(\d+))?$/.exec(listen);
  if (v4) return { address: v4[1]!, port: v4[2] ?? '80' };
  return { address: '127.0.0.1', port: '80' };
}

/**
 * Run on the host: asks the check server until it answers `$1` (the generation), for at most
 * `$4` seconds, ten times a second; on a timeout prints the last answer (or curl's error).
 */
export const SITE_CHECK_SCRIPT = [
  `command -v curl > /dev/null 2>&1 || exit ${NO_CURL}`,
  'end=$(( $(date +%s) + $4 ))',
  'while :; do',
  '  b=$(curl --silent --show-error --max-time 2 --header "Host: $3" "$2" 2>&1)',
  '  [ "$b" = "$1" ] && exit 0',
  '  [ "$(date +%s)" -ge "$end" ] && break',
  '  sleep 0.1',
  'done',
  'printf "%s\\n" "$b" | head -c 300',
  'exit 1',
].join('\n');
