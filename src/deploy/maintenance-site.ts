import type { ReleaseSpec } from './release-spec.ts';

/** The line that marks a maintenance site; `werker release status` reads it back. */
const MARKER = '# Maintenance: on since ';

/** The page served when the release options name none. */
export const DEFAULT_MAINTENANCE_PAGE = [
  '<!doctype html>',
  '<html><head><meta charset="utf-8"><title>Down for maintenance</title></head>',
  '<body><h1>Down for maintenance</h1><p>We will be back shortly.</p></body></html>',
  '',
].join('\n');

/** The largest page nginx is given inline (it lives in the site file). */
export const MAX_PAGE_BYTES = 64 * 1024;

/**
 * The site werker writes in maintenance mode: the same listen and names, static files still
 * served (the page may use them), every other request answered 503 with the page and a
 * Retry-After. The page is inline in the file, so nginx needs no readable path for it on the
 * host; in nginx's string `$` always starts a variable, so a literal one comes from a `geo`
 * variable whose value is "$" (geo values are plain text).
 */
export function maintenanceSiteText(spec: ReleaseSpec, live: string, since: string, by: string, page: string): string {
  const nginx = spec.nginx!;
  const dollar = `werker_${spec.prefix.replace(/[^A-Za-z0-9_]/g, '_')}_dollar`;
  const lines = [
    `# Written by werker (werker release maintenance) for ${spec.prefix}; \`werker release live\` and every deploy rewrite this file.`,
    `${MARKER}${since} by ${by}`,
    `# Live release behind it: ${live}`,
    `geo $${dollar} { default "$"; }`,
    'server {',
    `    listen ${nginx.listen};`,
    `    server_name ${nginx.serverNames.join(' ')};`,
  ];
  if (spec.static) lines.push(`    location ${spec.static.url} {`, `        alias ${spec.static.to}/${live}/;`, '    }');
  lines.push(
    '    location / {',
    '        default_type "text/html; charset=utf-8";',
    '        add_header Retry-After 120 always;',
    `        return 503 "${nginxString(page, dollar)}";`,
    '    }',
    '}',
    '',
  );
  return lines.join('\n');
}

/** The inside of an nginx double-quoted string that yields `text` as it is. */
export function nginxString(text: string, dollarVar: string): string {
  return text
    .replace(/[\0-\x08\x0b\x0c\x0e-\x1f]/g, '')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\$/g, () => `\${${dollarVar}}`);
}

/** Whether a site file is a maintenance site, and since when and by whom. */
export function maintenanceOf(siteText: string | undefined): { on: boolean; since?: string } {
  const line = siteText?.split('\n').find((l) => l.startsWith(MARKER));
  return line ? { on: true, since: line.slice(MARKER.length) } : { on: false };
}
