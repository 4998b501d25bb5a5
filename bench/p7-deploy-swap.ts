import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { REGISTRY } from '../test/helpers/registry.ts';
import { deployTarget, removeCronBlock, TARGET } from '../test/helpers/deploy-target.ts';
import { freePorts, getThroughNginx, startLoad, type LoadStats } from '../test/helpers/site-load.ts';
import { CleanupScope } from './lib/cleanup-scope.ts';
import { BENCH_LABEL, newId, removeLabelled } from './lib/docker-objects.ts';
import { ReleaseImages } from './lib/release-images.ts';
import { runBash } from './lib/shell.ts';
import { makeTempDir } from './lib/temp-dir.ts';
import { formatMs, interleave, median, pairedRatio } from './lib/timing.ts';
import type { BenchContext, BenchRow, Benchmark } from './lib/types.ts';
import { runWerker, type WerkerRun } from './lib/werker-cli.ts';

/** Seconds the old release keeps running after the nginx switch (requests nginx's old workers hold finish there). */
const DRAIN_SEC = 1;
/** The load starts this long before a deploy and goes on this long after it, so both edges of the swap are covered. */
const LOAD_MARGIN_MS = 500;

/** internal/release to the loopback target, every value the bench's own (prefix, ports, site, server name, docker config). */
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
        health-path: /health
        health-timeout: 30
        drain: ${DRAIN_SEC}
        stop-timeout: 1
        nginx-site: $NGINX_DIR/sites/$RELEASE_PREFIX.conf
        nginx-server-name: $RELEASE_PREFIX.bench
        nginx-listen: 127.0.0.1:${TARGET.nginxPort}
        nginx-command: /usr/sbin/nginx -c $NGINX_DIR/nginx.conf -e $NGINX_DIR/error.log
`;

interface WerkerSample {
  /** The internal/release step's own duration (SSH connect … unlock), drain included. */
  stepMs: number;
  /** The whole `werker deploy` process (start-up, the deploy pipeline's box, the step, cleanup). */
  wallMs: number;
  load: LoadStats;
}

/**
 * P7: zero-downtime swap. `werker deploy` runs internal/release over the real sshd to the
 * loopback target (same engine, nginx on :8088) while two clients request the site through
 * nginx; each run deploys a new version (pulled from the local registry) over the live one.
 * By hand: `docker pull`, `docker run -p`, curl /health until it answers, `docker stop` the old
 * container — on the local CLI, without SSH or nginx, so the baseline is the bare work.
 */
export const p7DeploySwap: Benchmark = {
  id: 'p7',
  async run(ctx: BenchContext): Promise<BenchRow> {
    const target = deployTarget();
    if (!target) throw new Error('no deploy target: run scripts/setup-deploy-target.sh (scripts/test-env.sh does)');
    await using scope = new CleanupScope();
    const id = newId();
    const prefix = `benchp7-${id}`;
    const siteHost = `${prefix}.bench`;
    const root = await makeTempDir(scope, 'p7');
    const images = new ReleaseImages(`werker-bench/p7-${id}`, root, `${BENCH_LABEL}=${id}`);
    scope.defer('P7 images (local and in the registry)', () => images.remove());
    const conn = await target.connect();
    scope.defer(`P7 state on the deploy target (${prefix})`, async () => {
      await runBash(`
        ids=$(docker ps -aq --filter label=werker.release=${prefix})
        if [ -n "$ids" ]; then docker rm -f $ids >/dev/null; fi
        docker network rm ${prefix} >/dev/null 2>&1 || true`);
      await conn.exec(['rm', '-rf', `${TARGET.nginxDir}/sites/${prefix}.conf`, `.werker/${prefix}`]);
      await conn.exec(['rmdir', '.werker']);
      await conn.exec(['/usr/sbin/nginx', '-c', `${TARGET.nginxDir}/nginx.conf`, '-e', `${TARGET.nginxDir}/error.log`, '-s', 'reload']);
      await removeCronBlock(conn, prefix);
      conn.close();
    });
    scope.defer(`P7 containers by hand (${id})`, () => removeLabelled(BENCH_LABEL, id));

    await images.login();
    const versions = Array.from({ length: 2 * ctx.runs + 2 }, (_, i) => ({ tag: randomBytes(20).toString('hex'), version: `v${i}` }));
    for (const v of versions) await images.publish(v.tag, v.version);
    ctx.log(`pushed ${versions.length} versions of ${images.image}`);
    const [werkerFirst, handFirst, ...rest] = versions;
    const werkerVersions = rest.filter((_, i) => i % 2 === 0);
    const handVersions = rest.filter((_, i) => i % 2 === 1);

    const project = `${root}/project`;
    await runBash(`mkdir -p '${project}'`);
    await writeFile(`${project}/wercker.yml`, WERCKER_YML);
    const [p1, p2, h1, h2] = await freePorts(4);
    const env = {
      X_DEPLOY_KEY_PRIVATE: target.key, X_DEPLOY_KNOWN_HOSTS: target.knownHosts, X_RELEASE_IMAGE: images.image, X_RELEASE_PREFIX: prefix,
      X_REGISTRY_USER: REGISTRY.username, XXX_REGISTRY_PASSWORD: REGISTRY.password, X_RELEASE_PORTS: `${p1} ${p2}`, X_NGINX_DIR: TARGET.nginxDir,
    };
    const deploy = (tag: string) => runWerker(['deploy', project, '--working-dir', `${root}/wd`, '--git-commit', tag], { json: true, env });

    // The first release of each side, untimed: the network, the nginx site and an old container to swap out.
    await deploy(werkerFirst!.tag);
    const hand = new ByHand(images, id, [h1!, h2!]);
    await hand.deploy(handFirst!.tag);
    // A good answer is 200 with a version: the version is what the clients saw.
    const version = (page: { body: string }) => (/^v\d+\n$/.test(page.body) ? page.body.trim() : undefined);
    const [werker, base] = await interleave(
      ctx.runs,
      async (i): Promise<WerkerSample> => {
        const load = startLoad(() => getThroughNginx(siteHost, '/'), version, { pauseMs: 10 });
        await sleep(LOAD_MARGIN_MS);
        let run: WerkerRun;
        try {
          run = await deploy(werkerVersions[i]!.tag);
        } finally {
          await sleep(LOAD_MARGIN_MS);
        }
        const stats = await load.stop();
        return { stepMs: releaseStepMs(run), wallMs: run.ms, load: stats };
      },
      async (i) => hand.deploy(handVersions[i]!.tag),
      { log: ctx.log },
    );
    return row(werker, base);
  },
};

/** The same swap typed by hand on the engine: pull, run on the other port, wait for /health, stop the old one. */
class ByHand {
  #live: string | undefined;
  #turn = 0;

  constructor(readonly images: ReleaseImages, readonly id: string, readonly ports: [number, number]) {}

  async deploy(tag: string): Promise<number> {
    const name = `benchp7-${this.id}-hand-${tag.slice(0, 7)}`;
    const port = this.ports[this.#turn++ % 2];
    const { ms } = await runBash(`
      ${this.images.docker} pull -q '${this.images.image}:${tag}' >/dev/null
      docker run -d --name ${name} --label ${BENCH_LABEL}=${this.id} -p 127.0.0.1:${port}:8080 '${this.images.image}:${tag}' >/dev/null
      until curl -fsS -o /dev/null --max-time 5 http://127.0.0.1:${port}/health 2>/dev/null; do sleep 0.2; done
      ${this.#live ? `docker stop -t 1 ${this.#live} >/dev/null` : ''}`);
    // The old container is removed outside the timing (werker keeps it, stopped, for rollback).
    if (this.#live) await runBash(`docker rm -f ${this.#live} >/dev/null`);
    this.#live = name;
    return ms;
  }
}

function releaseStepMs(run: WerkerRun): number {
  const step = run.events.find((e) => e.type === 'step.finished' && e.name.includes('release'));
  if (!step || step.type !== 'step.finished') throw new Error('no step.finished event for internal/release');
  return step.durationMs;
}

function row(werker: WerkerSample[], base: number[]): BenchRow {
  const failed = werker.reduce((n, s) => n + s.load.failed, 0);
  const requests = werker.reduce((n, s) => n + s.load.ok + s.load.failed, 0);
  const failures = werker.flatMap((s) => s.load.failures).slice(0, 5);
  const steps = werker.map((s) => s.stepMs);
  const work = steps.map((ms) => ms - DRAIN_SEC * 1000);
  const ratio = pairedRatio(steps, base);
  const workRatio = pairedRatio(work, base);
  const met = failed === 0 && werker.every((s) => s.load.seen.size >= 2);
  const details = [
    `release step: ${steps.map(formatMs).join(', ')} (whole \`werker deploy\` ${formatMs(median(werker.map((s) => s.wallMs)))}); by hand: ${base.map(formatMs).join(', ')}`,
    `deploy time ratio ${ratio.toFixed(2)}× by hand; without the ${DRAIN_SEC} s drain ${workRatio.toFixed(2)}× (${formatMs(median(work))})`,
    `requests during the deploys: ${requests}, failed ${failed}${failures.length ? ` (${failures.join('; ')})` : ''}; ` +
      `versions served per deploy: ${werker.map((s) => [...s.load.seen].join('→')).join(', ')}`,
  ];
  return {
    id: 'P7', title: 'deploy swap under load: failed requests; deploy time vs pull + run by hand',
    werker: formatMs(median(steps)), baseline: formatMs(median(base)), result: `${failed} failed of ${requests}; deploy ${ratio.toFixed(2)}× by hand`,
    goal: '0 failed requests', met, details,
    method: '`werker deploy` of a small web image (busybox httpd, its own layer per version, pushed to the local registry and removed locally, so ' +
      'every deploy pulls) with `internal/release` over the real sshd (127.0.0.1:2222) and nginx (127.0.0.1:8088) of the loopback deploy target, ' +
      'one new version per run over the live one; two clients request the site through nginx back to back (a new connection each) from ' +
      `${LOAD_MARGIN_MS} ms before the deploy to ${LOAD_MARGIN_MS} ms after it, and every answer must be 200 with a version. werker's deploy time is ` +
      `the release step's duration (\`step.finished\`): SSH, lock, login, pull, run, health gate (every 1 s), nginx switch, a ${DRAIN_SEC} s drain, ` +
      'stop of the old release, prune, audit. By hand, on the local docker CLI (no SSH, no nginx, no drain: the bare work): `docker pull`, ' +
      '`docker run -d -p`, `curl /health` every 0.2 s until it answers, `docker stop -t 1` the old container. The first deploy of each side is ' +
      'untimed (it creates the network, the nginx site, the container to swap out).',
    ...(met ? {} : {
      note: failed
        ? `${failed} of ${requests} requests failed during the swaps (${failures.join('; ')}): a request reached a release that was not serving.`
        : 'A deploy showed only one version to the clients: the swap was not observed under load.',
    }),
  };
}
