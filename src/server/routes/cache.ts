import { Hono } from 'hono';
import { InputError, type ServerEnv } from '../context.ts';
import type { ServerCore } from '../core.ts';
import { CACHE_BRANCH_HEADER, CACHE_DIGEST_HEADER, CACHE_SIZE_HEADER } from '../../runner/protocol.ts';
import { branchNameProblem } from '../branch-name.ts';

/**
 * `GET /api/applications/:app/cache/:pipeline?branch=B`: the shared cache of a pipeline for
 * signed-in users and user tokens (every user may read every application), read-only: what
 * `werker build --cache-from URL` downloads (docs/wercker-compat.md §4.10). The branch's cache,
 * else the default branch's; 404 when there is none. Headers as the runner protocol's.
 */
export function cacheRoutes(core: ServerCore): Hono<ServerEnv> {
  const api = new Hono<ServerEnv>();
  api.get('/applications/:app/cache/:pipeline', async (c) => {
    const key = c.req.param('app');
    const app = await core.getApplication(/^\d+$/.test(key) ? Number(key) : key);
    if (!app) throw new InputError(`no application ${key}`, 404);
    const branch = c.req.query('branch') || app.defaultBranch;
    const bad = branchNameProblem(branch);
    if (bad) throw new InputError(`"branch" is not a valid branch name: ${bad}`);
    const found = await core.sharedCache.find({ applicationId: app.id, pipeline: c.req.param('pipeline'), branch }, app.defaultBranch);
    if (!found) throw new InputError(`${app.name} has no shared cache for pipeline ${c.req.param('pipeline')} on ${branch} or ${app.defaultBranch} yet (a passed run stores it)`, 404);
    return c.body(core.sharedCache.open(found), 200, {
      'content-type': 'application/x-tar', 'content-length': String(found.size),
      [CACHE_DIGEST_HEADER]: found.digest, [CACHE_SIZE_HEADER]: String(found.size), [CACHE_BRANCH_HEADER]: encodeURIComponent(found.branch),
    });
  });
  return api;
}
