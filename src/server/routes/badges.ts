import { Hono } from 'hono';
import { badgeCacheControl, badgeEtag, badgeStatusOf, renderBadge } from '../badges.ts';
import { branchNameProblem } from '../branch-name.ts';
import type { ServerEnv } from '../context.ts';
import type { ServerCore } from '../core.ts';
import { maySeeApplication } from '../policy.ts';

/** Where the badge routes are mounted (app.ts); public (auth.ts PUBLIC_ROUTES) unless the application is private. */
export const BADGE_PREFIX = '/badge';

/** The URL path of a pipeline's badge, as `badgeRoutes` serves it; without `branch`, the application's default branch. */
export function badgePath(appName: string, pipeline: string, branch?: string): string {
  const query = branch ? `?branch=${encodeURIComponent(branch)}` : '';
  return `${BADGE_PREFIX}/${encodeURIComponent(appName)}/${encodeURIComponent(pipeline)}.svg${query}`;
}

const NOT_FOUND = 'no such badge (the application does not exist, or it is private: sign in)';

/**
 * `GET /badge/:app/:pipeline.svg?branch=`: an SVG with the pipeline's name and the status of its
 * newest finished run on the branch (badges.ts). A private application's badge answers 404 to
 * whoever may not see the application, exactly as for one that does not exist, so names don't leak.
 */
export function badgeRoutes(core: ServerCore): Hono<ServerEnv> {
  const badges = new Hono<ServerEnv>();
  badges.get('/:app/:file', async (c) => {
    const file = c.req.param('file');
    const app = file.endsWith('.svg') ? await core.getApplication(c.req.param('app')) : undefined;
    if (!app || !maySeeApplication(app, c.var.user)) return c.text(NOT_FOUND, 404);
    const branch = c.req.query('branch') || app.defaultBranch;
    const badBranch = branchNameProblem(branch);
    if (badBranch) return c.text(`"branch" names no valid branch: ${badBranch}`, 400);
    const pipeline = file.slice(0, -'.svg'.length);
    const svg = renderBadge(pipeline, badgeStatusOf(await core.badgeState(app.id, pipeline, branch)));
    const etag = badgeEtag(svg);
    c.header('cache-control', badgeCacheControl(app.private));
    c.header('etag', etag);
    if (app.private) c.header('vary', 'Cookie, Authorization');
    // The SVG is an image, never a document that could run script, whatever a name holds.
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    c.header('x-content-type-options', 'nosniff');
    if (c.req.header('if-none-match')?.split(',').some((t) => t.trim() === etag)) return c.body(null, 304);
    return c.body(svg, 200, { 'content-type': 'image/svg+xml; charset=utf-8' });
  });
  return badges;
}
