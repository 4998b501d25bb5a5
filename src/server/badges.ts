import { createHash } from 'node:crypto';

/** What a pipeline's badge says (shields-style words, as READMEs show them). */
export type BadgeStatus = 'passing' | 'failing' | 'cancelled' | 'running' | 'unknown';

const COLOURS: Record<BadgeStatus, string> = {
  passing: '#4c1', failing: '#e05d44', cancelled: '#9f9f9f', running: '#dfb317', unknown: '#9f9f9f',
};

/**
 * The newest finished run decides (a badge in a README should not flicker while a run is in
 * progress); "running" only for a pipeline that never finished on the branch but has a run going.
 */
export function badgeStatusOf(state: { finished: 'queued' | 'running' | 'passed' | 'failed' | 'cancelled' | undefined; active: boolean }): BadgeStatus {
  if (state.finished === 'passed') return 'passing';
  if (state.finished === 'failed') return 'failing';
  if (state.finished === 'cancelled') return 'cancelled';
  return state.active ? 'running' : 'unknown';
}

/** Text put into SVG (XML) as character data or an attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Rough width in pixels of text in 11px Verdana (the badge font): close enough that no text spills out. */
function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    if (/[ilI.,:;!|'`]/.test(ch)) width += 3.5;
    else if (/[fjrt()[\]{}\-\s]/.test(ch)) width += 4.5;
    else if (/[mwMW@%]/.test(ch)) width += 10.5;
    else if (/[A-Z#&]/.test(ch)) width += 7.5;
    else width += 7;
  }
  return Math.ceil(width);
}

/** Long names are cut (with an ellipsis) so a badge stays a badge. */
function shorten(text: string, max = 60): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/** A flat two-part badge: `label` (the pipeline) on grey, the status on its colour. */
export function renderBadge(label: string, status: BadgeStatus): string {
  const left = shorten(label);
  const lw = textWidth(left) + 10;
  const rw = textWidth(status) + 10;
  const w = lw + rw;
  const title = escapeXml(`${left}: ${status}`);
  const text = (s: string, x: number) =>
    `<text x="${x}" y="15" fill="#010101" fill-opacity=".3">${escapeXml(s)}</text><text x="${x}" y="14">${escapeXml(s)}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${title}">`,
    `<title>${title}</title>`,
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`,
    `<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>`,
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${rw}" height="20" fill="${COLOURS[status]}"/><rect width="${w}" height="20" fill="url(#s)"/></g>`,
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`,
    text(left, lw / 2),
    text(status, lw + rw / 2),
    `</g></svg>`,
  ].join('');
}

/** A strong ETag of the badge's bytes: the same status gives the same tag, so a proxy's revalidation costs a 304. */
export function badgeEtag(svg: string): string {
  return `"${createHash('sha256').update(svg).digest('base64url').slice(0, 27)}"`;
}

/**
 * Cache headers: caches (GitHub's image proxy, browsers) may keep the badge but must ask again
 * every time (`no-cache, max-age=0`), answered by a 304 while the ETag holds. A private
 * application's badge is for signed-in users: no shared cache may keep it.
 */
export function badgeCacheControl(isPrivate: boolean): string {
  return `${isPrivate ? 'private' : 'public'}, no-cache, max-age=0, must-revalidate`;
}
