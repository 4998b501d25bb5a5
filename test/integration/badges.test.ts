import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { apiClient } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// A pipeline's badge on a real `werker server` (HTTP on loopback) with its embedded runner and the real engine.
const docker = await requireDocker();
const APP = `badge-${randomBytes(3).toString('hex')}`;
const YML = `box: ${BUSYBOX}\nbuild:\n  steps:\n    - script:\n        name: pass\n        code: echo fine\nlint:\n  steps:\n    - script:\n        name: fail\n        code: exit 3\n`;

describe.skipIf(!docker)('badges on a running server', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML }, 'werker-badge');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-badge-'));
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let auth: Record<string, string>;

  beforeAll(async () => {
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 1, runtime: docker!, leaseMs: 15_000, log: () => undefined, allowLocalRepos: [tmpdir()] });
    const user = await server.core.auth.createUser('tester', 'long enough password');
    const token = (await server.core.auth.createToken('user', 'it', user)).token;
    api = apiClient(server.url, token);
    auth = { authorization: `Bearer ${token}` };
    await api.post('/api/applications', { name: APP, repository: repo.dir });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  const badge = async (pipeline: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/badge/${APP}/${pipeline}.svg`, { headers });
    return { res, svg: await res.text() };
  };
  const runToEnd = async (pipeline: string) => {
    const { run } = await api.post<{ run: Run }>(`/api/applications/${APP}/runs`, { pipeline });
    return waitFor(`run ${run.id} of ${pipeline} to finish`, async () => {
      const { run: now } = await api.get<{ run: Run }>(`/api/runs/${run.id}`);
      return now.status === 'queued' || now.status === 'running' ? undefined : now;
    });
  };

  it('turns from unknown to passing after a build passes, and shows failing for a pipeline that failed', async () => {
    const before = await badge('build');
    expect(before.res.status).toBe(200);
    expect(before.res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(before.res.headers.get('cache-control')).toBe('public, no-cache, max-age=0, must-revalidate');
    expect(before.svg).toContain('aria-label="build: unknown"');

    expect((await runToEnd('build')).status).toBe('passed');
    const after = await badge('build', { 'if-none-match': before.res.headers.get('etag')! });
    expect(after.res.status).toBe(200);
    expect(after.svg).toContain('aria-label="build: passing"');
    expect((await badge('build', { 'if-none-match': after.res.headers.get('etag')! })).res.status).toBe(304);

    expect((await runToEnd('lint')).status).toBe('failed');
    expect((await badge('lint')).svg).toContain('aria-label="lint: failing"');
  });

  it('answers 404 to a visitor once the application is private, as for one that does not exist', async () => {
    const res = await fetch(`${server.url}/api/applications/${APP}`, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ private: true }) });
    expect(res.status).toBe(200);
    const hidden = await badge('build');
    expect(hidden.res.status).toBe(404);
    const missing = await fetch(`${server.url}/badge/no-such-app/build.svg`);
    expect(hidden.svg).toBe(await missing.text());
    expect((await badge('build', auth)).svg).toContain('aria-label="build: passing"');
  });
});
