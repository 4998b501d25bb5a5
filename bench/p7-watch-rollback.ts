import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { breakingAppFiles } from '../test/helpers/breaking-app.ts';
import { REGISTRY } from '../test/helpers/registry.ts';
import { deployTarget, TARGET } from '../test/helpers/deploy-target.ts';
import { freePorts, getThroughNginx } from '../test/helpers/site-load.ts';
import { CleanupScope } from './lib/cleanup-scope.ts';
import { newId } from './lib/docker-objects.ts';
import { ReleaseImages } from './lib/release-images.ts';
import { runBash } from './lib/shell.ts';
import { makeTempDir } from './lib/temp-dir.ts';
import { formatMs, median } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { runWerker } from './lib/werker-cli.ts';

/** The bad release answers 500 from this many seconds after its container started (a few seconds after the switch). */
const BREAK_AFTER_SEC = 8;
const WATCH_SEC = 40;

/** The P7 step with a watch window: 5xx counted in the site's own access log. */
const WERCKER_YML = `box: werker-test/busybox
deploy:
  steps:
    - internal/release:
        hosts: ${TARGET.host}
        port: ${TARGET.port}
        user: ${TARGET.user}
        ssh-key: $DEPLOY_KEY_PRIVATE
        known-hosts: $DEPLOY_KNOWN_HOSTS
        image: $RELEASE_IMAGE
        tag: $WERCKER_GIT_COMMIT
        prefix: $RELEASE_PREFIX
        registry-username: $REGISTRY_USER
        registry-password: $REGISTRY_PASSWORD
        docker-command: docker --config .werker/$RELEASE_PREFIX/docker-config
        app-port: 8080
        release-ports: $RELEASE_PORTS
        health-path: /cgi-bin/health
        health-timeout: 30
        drain: 1
        stop-timeout: 1
        watch: $RELEASE_WATCH
        watch-5xx: 5%
        nginx-access-log: $NGINX_DIR/$RELEASE_PREFIX.access.log
        nginx-site: $NGINX_DIR/sites/$RELEASE_PREFIX.conf
        nginx-server-name: $RELEASE_PREFIX.bench
        nginx-listen: 127.0.0.1:${TARGET.nginxPort}
        nginx-command: /usr/sbin/nginx -c $NGINX_DIR/nginx.conf -e $NGINX_DIR/error.log
`;

/** One roll-back under load, as the clients saw it. */
interface Sample {
  /** Answers that were neither a version nor the bad release's own 500: 502s, resets, timeouts. */
  failed: string[];
  total: number;
  /** Requests sent from the moment werker said it was switching back until the deploy ended. */
  duringRollback: number;
  /** The bad release's own 500 answers, and for how long clients got them. */
  broken: number;
  brokenMs: number;
  /** From "switching back" to the end of the `werker deploy` (switch, drain, stop, audit). */
  rollbackMs: number;
}

/**
 * P7w: the watch window's roll-back under load. Each run deploys a good version (no watch,
 * untimed), then, while two clients request the site through nginx, a version that answers 500
 * BREAK_AFTER_SEC after it starts, with `watch: 40`; werker sees it (probes, 5xx in the access
 * log) and switches back. Counted like P7: every answer must be 200 with a version, except the
 * bad release's own 500s (what the watch is for), which are counted apart.
 */
export const p7WatchRollback: Benchmark = {
  id: 'p7w',
  async run(ctx: BenchContext): Promise<BenchRow> {
    const target = deployTarget();
    if (!target) throw new Error('no deploy target: run scripts/setup-deploy-target.sh (scripts/test-env.sh does)');
    await using scope = new CleanupScope();
    const id = newId();
    const prefix = `benchp7w-${id}`;
    const root = await makeTempDir(scope, 'p7w');
    const images = new ReleaseImages(`werker-bench/p7w-${id}`, root, `werker.bench=${id}`);
    scope.defer('P7w images (local and in the registry)', () => images.remove());
    const conn = await target.connect();
    scope.defer(`P7w state on the deploy target (${prefix})`, async () => {
      await runBash(`
        ids=$(docker ps -aq --filter label=werker.release=${prefix})
        if [ -n "$ids" ]; then docker rm -f $ids >/dev/null; fi
        docker network rm ${prefix} >/dev/null 2>&1 || true`);
      await conn.exec(['rm', '-rf', `${TARGET.nginxDir}/sites/${prefix}.conf`, `${TARGET.nginxDir}/${prefix}.access.log`, `.werker/${prefix}`]);
      await conn.exec(['rmdir', '.werker']);
      await conn.exec(['/usr/sbin/nginx', '-c', `${TARGET.nginxDir}/nginx.conf`, '-e', `${TARGET.nginxDir}/error.log`, '-s', 'reload']);
      conn.close();
    });
    await images.login();
    const good = Array.from({ length: ctx.runs }, (_, i) => ({ tag: randomBytes(20).toString('hex'), version: `v${2 * i}` }));
    const bad = Array.from({ length: ctx.runs }, (_, i) => ({ tag: randomBytes(20).toString('hex'), version: `v${2 * i + 1}` }));
    for (const v of good) await images.publish(v.tag, v.version, breakingAppFiles(v.version));
    for (const v of bad) await images.publish(v.tag, v.version, breakingAppFiles(v.version, { breakAfterSec: BREAK_AFTER_SEC }));
    const project = `${root}/project`;
    await runBash(`mkdir -p '${project}'`);
    await writeFile(`${project}/wercker.yml`, WERCKER_YML);
    const [p1, p2] = await freePorts(2);
    const env = {
      X_DEPLOY_KEY_PRIVATE: target.key, X_DEPLOY_KNOWN_HOSTS: target.knownHosts, X_RELEASE_IMAGE: images.image, X_RELEASE_PREFIX: prefix,
      X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: REGISTRY.password, X_RELEASE_PORTS: `${p1} ${p2}`, X_NGINX_DIR: TARGET.nginxDir,
    };
    const samples: Sample[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      await runWerker(['deploy', project, '--working-dir', `${root}/wd`, '--git-commit', good[i]!.tag], { json: true, env: { ...env, X_RELEASE_WATCH: '0' } });
      samples.push(await rollbackUnderLoad(`${prefix}.bench`, (onLine) => runWerker(['deploy', project, '--working-dir', `${root}/wd`, '--git-commit', bad[i]!.tag], {
        json: true, env: { ...env, X_RELEASE_WATCH: String(WATCH_SEC) }, okCodes: [1],
        onEvent: (e) => e.type === 'step.output' && onLine(e.text),
      })));
      ctx.log(`run ${i + 1}: ${samples.at(-1)!.failed.length} failed of ${samples.at(-1)!.total}, ${samples.at(-1)!.duringRollback} during the roll-back`);
    }
    return row(samples);
  },
};

async function rollbackUnderLoad(site: string, deploy: (onLine: (text: string) => void) => Promise<{ events: unknown[]; exitedAt: number }>): Promise<Sample> {
  const s: Sample = { failed: [], total: 0, duringRollback: 0, broken: 0, brokenMs: 0, rollbackMs: 0 };
  let rollbackFrom: number | undefined;
  let firstBroken: number | undefined;
  let lastBroken = 0;
  let stopped = false;
  const client = async () => {
    while (!stopped) {
      const at = Date.now();
      const page = await getThroughNginx(site, '/cgi-bin/v').catch((err: Error) => ({ status: 0, body: err.message }));
      s.total++;
      if (rollbackFrom !== undefined && at >= rollbackFrom) s.duringRollback++;
      if (page.status === 500 && page.body === 'broken\n') {
        s.broken++;
        firstBroken ??= at;
        lastBroken = Date.now();
      } else if (!(page.status === 200 && /^v\d+\n$/.test(page.body))) s.failed.push(`${page.status} ${page.body.slice(0, 60)}`);
      await sleep(10);
    }
  };
  const clients = Promise.all([client(), client()]);
  await sleep(500);
  const run = await deploy((text) => {
    if (rollbackFrom === undefined && text.includes('; switching back to')) rollbackFrom = Date.now();
  });
  await sleep(500);
  stopped = true;
  await clients;
  s.rollbackMs = rollbackFrom === undefined ? 0 : run.exitedAt - rollbackFrom;
  s.brokenMs = firstBroken === undefined ? 0 : lastBroken - firstBroken;
  return s;
}

function row(samples: Sample[]): BenchRow {
  const failed = samples.reduce((n, s) => n + s.failed.length, 0);
  const during = samples.reduce((n, s) => n + s.duringRollback, 0);
  const total = samples.reduce((n, s) => n + s.total, 0);
  const rolledBack = samples.filter((s) => s.rollbackMs > 0).length;
  const met = failed === 0 && rolledBack === samples.length;
  return {
    id: 'P7w', title: 'watch window: automatic roll-back of a release that breaks after the switch, under load',
    werker: formatMs(median(samples.map((s) => s.rollbackMs))), baseline: '—',
    result: `${failed} failed of ${during} during the roll-backs (${total} in all); ${rolledBack}/${samples.length} rolled back`,
    goal: '0 failed requests', met,
    details: [
      `roll-back (from "switching back" to the end of \`werker deploy\`: health check of the old release, nginx switch, pointers, 1 s drain, stop, audit): ${samples.map((s) => formatMs(s.rollbackMs)).join(', ')}`,
      `the bad release's own 500s seen by the clients: ${samples.map((s) => `${s.broken} over ${formatMs(s.brokenMs)}`).join(', ')} (what the watch reacts to: it breaks ${BREAK_AFTER_SEC} s after it starts)`,
      `requests during the roll-backs: ${during}, failed ${failed}${failed ? ` (${samples.flatMap((s) => s.failed).slice(0, 5).join('; ')})` : ''}`,
    ],
    method: `\`werker deploy\` with \`internal/release\` over the real sshd and nginx of the loopback deploy target, as P7. Each run deploys a good version ` +
      `(no watch, untimed), then, while two clients request the site through nginx back to back, a version whose CGI answers 500 "broken" ${BREAK_AFTER_SEC} s ` +
      `after its container started, with \`watch: ${WATCH_SEC}\` and \`watch-5xx: 5%\`. werker notices (3 failed probes in a row, or more than 5% 5xx in the ` +
      'access log) and switches back. Every answer must be 200 with a version, except the bad release\'s own 500s, counted apart; "during the roll-back" ' +
      'counts the requests sent from werker\'s "switching back" line to the end of the deploy.',
    ...(met ? {} : { note: failed ? `${failed} requests failed during the roll-backs.` : 'A run did not roll back.' }),
  };
}
