import type { ReleaseSpec } from './release-spec.ts';

/**
 * The nginx site werker owns: an upstream on the live release's host port and a server that
 * proxies to it, with the release's static files under `static-url`. Every value in it was
 * checked when the options were read (plain paths, names, ports), so nothing here can end a
 * directive early. A switch rewrites the file and reloads nginx, which is graceful: old workers
 * finish the requests they hold (on the old release, still running through the drain period)
 * while new workers send new ones to the new release.
 */
export function nginxSiteText(spec: ReleaseSpec, release: string, port: number): string {
  return siteText(spec, release, [`127.0.0.1:${port}`], [`# Live release: ${release} on 127.0.0.1:${port}`]);
}

/** One host's live release as the balancing nginx reaches it. */
export interface UpstreamServer {
  host: string;
  release: string;
  address: string;
  port: number;
}

/**
 * With `balance` (deploy/balancer.ts): the upstream holds every host's live release at its
 * host's address, minus the hosts being switched. nginx spreads requests round-robin and, should
 * one not answer, tries the next (a connect error or timeout is retried on another server, a
 * request that reached the app is not).
 */
export function balancedSiteText(spec: ReleaseSpec, servers: UpstreamServer[]): string {
  const comments = servers.map((s) => `# Balanced: ${s.host} runs ${s.release}, reached at ${s.address}:${s.port}`);
  return siteText(spec, servers[0]?.release ?? '-', servers.map((s) => `${s.address}:${s.port}`), comments);
}

function siteText(spec: ReleaseSpec, release: string, addresses: string[], comments: string[]): string {
  const nginx = spec.nginx!;
  const upstream = `werker_${spec.prefix.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const log = spec.watch?.accessLog;
  const lines = [
    `# Written by werker (internal/release) for ${spec.prefix}; every deploy rewrites this file.`,
    ...comments,
    // The watch window counts the new release's 5xx answers here: the upstream address says
    // which release answered (deploy/watch.ts).
    ...(log ? [`log_format ${upstream}_watch '$msec $upstream_addr $status';`] : []),
    `upstream ${upstream} {`,
    ...addresses.map((a) => `    server ${a};`),
    '    keepalive 16;',
    '}',
    'server {',
    `    listen ${nginx.listen};`,
    `    server_name ${nginx.serverNames.join(' ')};`,
    ...(log ? [`    access_log ${log} ${upstream}_watch;`] : []),
  ];
  if (spec.static) {
    lines.push(`    location ${spec.static.url} {`, `        alias ${spec.static.to}/${release}/;`, '    }');
  }
  lines.push(
    '    location / {',
    `        proxy_pass http://${upstream};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    '        proxy_set_header Host $http_host;',
    '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '        proxy_set_header X-Forwarded-Proto $scheme;',
    '        proxy_redirect off;',
    '    }',
    '}',
    '',
  );
  return lines.join('\n');
}
