import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/server/context.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { runCli } from '../helpers/cli.ts';
import { BUSYBOX, requireDocker } from '../helpers/docker.ts';
import { tempGitRepo } from '../helpers/git-repo.ts';
import { apiClient } from '../helpers/server.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';
import { waitFor } from '../helpers/wait-for.ts';

// One workflow, run by `werker workflow` and by `werker server` with its embedded runner (SQLite,
// the real engine, a real git repository): every pipeline prints what it sees (its kind, the
// variables a workflow sets, each file of its source), and both runs must see the same
// (docs/wercker-compat.md §4.11).
const docker = await requireDocker();
const APP = `wf-parity-${randomBytes(3).toString('hex')}`;

/** A pipeline that reports what it sees, each line tagged with its name, and writes `<name>.txt` to its output. */
const reporting = (name: string) => `${name}:
  steps:
    - script:
        name: report
        code: |
          say() { echo "SEEN[${name}] $*"; }
          say "DEPLOY=\${DEPLOY:-} BUILD=\${BUILD:-} CI=\${CI:-} deploy-id=\${WERCKER_DEPLOY_ID:+set} build-id=\${WERCKER_BUILD_ID:+set}"
          say "target=\${WERCKER_DEPLOYTARGET_NAME:-} flavor=\${FLAVOR:-} branch=\${WERCKER_GIT_BRANCH:-} commit=\${WERCKER_GIT_COMMIT:-}"
          find . -type f ! -path './.git/*' | sort | while read -r f; do
            case "$f" in *.txt) say "file $f: $(cat "$f")" ;; *) say "file $f" ;; esac
          done
          echo "made by ${name}" > "$WERCKER_OUTPUT_DIR/${name}.txt"
`;

const YML = `box: ${BUSYBOX}
${['build', 'left', 'right', 'merge'].map(reporting).join('')}workflows:
  - name: fan
    pipelines:
      - name: build
      - name: left
        requires: [build]
      - name: right
        requires: [build]
      - name: both
        pipelineName: merge
        requires: [left, right]
        envFile: ci/merge.env
`;

/** pipeline → the lines it reported, in order. */
function seen(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of text.matchAll(/SEEN\[(\w+)\] (.*)$/gm)) (out[m[1]!] ??= []).push(m[2]!.trimEnd());
  return out;
}

describe.skipIf(!docker)('a workflow means the same on `werker workflow` and on the server', () => {
  const repo = tempGitRepo({ 'wercker.yml': YML, 'ci/merge.env': 'X_FLAVOR=from-the-env-file\n', 'project.txt': 'the project' }, 'werker-wf-parity');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'werker-wf-parity-'));
  const workDir = tempDirs('werker-wf-parity-wd');
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 2, runtime: docker!, leaseMs: 15_000, log: () => undefined, allowLocalRepos: [tmpdir()] });
    const user = await server.core.auth.createUser('tester', 'long enough password');
    api = apiClient(server.url, (await server.core.auth.createToken('user', 'it', user)).token);
    await api.post('/api/applications', { name: APP, repository: repo.dir, defaultBranch: 'main' });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    repo.remove();
  });

  const runLocally = async (): Promise<Record<string, string[]>> => {
    const r = await runCli(['workflow', 'fan', repo.dir, '--working-dir', workDir()], { cwd: tmpdir() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return seen(r.stdout);
  };

  const runOnServer = async (): Promise<Record<string, string[]>> => {
    const { run } = await api.post<{ run: Run }>(`/api/applications/${APP}/runs`, { pipeline: 'workflow:fan', branch: 'main' });
    const group = await waitFor('the workflow\'s four runs to end', async () => {
      const { runs } = await api.get<{ runs: Run[] }>(`/api/applications/${APP}/runs?limit=100`);
      const mine = runs.filter((r) => r.workflowRunId === run.id);
      if (mine.some((r) => r.status === 'failed' || r.status === 'cancelled')) return mine;
      return mine.length === 4 && mine.every((r) => r.status === 'passed') ? mine : undefined;
    }, 480_000, 1000);
    let text = '';
    for (const r of group.sort((a, b) => a.id - b.id)) {
      const events = await server.core.listRunEvents(r.id, 0, 100_000);
      text += events.map((e) => (e.type === 'step.output' || e.type === 'log' ? `${e.text}\n` : '')).join('');
    }
    expect(group.map((r) => [r.pipeline, r.kind, r.status]), text).toEqual([
      ['build', 'deploy', 'passed'], ['left', 'deploy', 'passed'], ['right', 'deploy', 'passed'], ['merge', 'deploy', 'passed'],
    ]);
    return seen(text);
  };

  it('each pipeline sees the same kind, variables and files from each requirement on both', async () => {
    const local = await runLocally();
    const remote = await runOnServer();
    const commit = repo.head();
    const kind = 'DEPLOY=true BUILD= CI= deploy-id=set build-id=';
    // What wercker's workflow gives them (§4.11): deploys; the root on the project; one
    // requirement → its output; several → the project with each output in <project>/<name>/.
    expect(local).toEqual({
      build: [kind, `target= flavor= branch=main commit=${commit}`, 'file ./ci/merge.env', 'file ./project.txt: the project', 'file ./wercker.yml'],
      left: [kind, `target= flavor= branch=main commit=${commit}`, 'file ./build.txt: made by build'],
      right: [kind, `target= flavor= branch=main commit=${commit}`, 'file ./build.txt: made by build'],
      merge: [
        kind, `target= flavor=from-the-env-file branch=main commit=${commit}`, 'file ./ci/merge.env', 'file ./left/left.txt: made by left',
        'file ./project.txt: the project', 'file ./right/right.txt: made by right', 'file ./wercker.yml',
      ],
    });
    expect(remote).toEqual(local);
  }, 900_000);
});
