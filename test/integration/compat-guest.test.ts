import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli } from '../helpers/cli.ts';
import { requireDocker } from '../helpers/docker.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// Where the run puts things in the box, and what it takes as the project (docs/wercker-compat.md
// §4.3, §8.3), on the real engine through the CLI.
const docker: DockerRuntime | undefined = await requireDocker();
const tmp = tempDirs('werker-guest');
const images: string[] = [];
afterAll(async () => {
  for (const i of images) await docker?.removeImage(i).catch(() => undefined);
});

async function leftovers(runId: string): Promise<string[]> {
  const found = await docker!.listLabelled('werker.run', runId);
  return [...found.containers.map((c) => c.name), ...found.networks.map((n) => n.name)];
}

const SHOW_PATHS = `box: werker-test/busybox
build:
  steps:
    - script:
        name: show
        code: |
          echo "pwd=$(pwd)"
          echo "root=$WERCKER_ROOT src=$WERCKER_SOURCE_DIR cache=$WERCKER_CACHE_DIR out=$WERCKER_OUTPUT_DIR pipe=$WERCKER_PIPELINE_DIR reportdir=$WERCKER_REPORT_DIR"
          echo "steproot=$WERCKER_STEP_ROOT"
          echo "message=$WERCKER_REPORT_MESSAGE_FILE artifacts=$WERCKER_REPORT_ARTIFACTS_DIR"
          echo "mounts: $(grep -o ' /wmnt/cache \\| /rep ' /proc/mounts | tr -d ' ' | sort | tr '\\n' ' ')"
          echo "defaults: $(ls -d /pipeline /mnt /report 2>/dev/null | wc -l)"
          echo "cache had=$(cat "$WERCKER_CACHE_DIR/count" 2>/dev/null || echo none)"
          echo $(( $(cat "$WERCKER_CACHE_DIR/count" 2>/dev/null || echo 0) + 1 )) > "$WERCKER_CACHE_DIR/count"
          echo built > "$WERCKER_OUTPUT_DIR/result.txt"
          echo report > "$WERCKER_REPORT_ARTIFACTS_DIR/r.txt"
          test -f Dockerfile && test -f "$WERCKER_STEP_ROOT/run.sh"
    - internal/docker-build:
        image-name: img
dev:
  steps:
    - script:
        name: write
        code: echo "from the box in $(pwd)" > "$WERCKER_SOURCE_DIR/written.txt"
`;

function project(yml: string): string {
  const dir = tmp();
  writeFileSync(path.join(dir, 'wercker.yml'), yml);
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM werker-test/busybox\nCOPY wercker.yml /copied.yml\n');
  return dir;
}

const ROOTS = ['--guest-root', '/build', '--mnt-root', '/wmnt', '--report-root', '/rep'];

describe.skipIf(!docker)('§4.3 --guest-root, --mnt-root, --report-root', () => {
  it('every path, variable and mount follows the roots; the cache round-trips, artifacts and docker-build read from them', async () => {
    const dir = project(SHOW_PATHS);
    const wd = tmp();
    images.push('itroots01img:latest', 'itroots02img:latest');
    const first = await runCli(['build', dir, '--working-dir', wd, ...ROOTS, '--artifacts', '--run-id', 'itroots01']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain('pwd=/build/source');
    expect(first.stdout).toContain('root=/build/source src=/build/source cache=/build/cache out=/build/output pipe=/build reportdir=/build/report');
    expect(first.stdout).toMatch(/steproot=\/build\/script-[0-9a-f-]{36}\n/);
    expect(first.stdout).toMatch(/message=\/rep\/script-[0-9a-f-]{36}\/message\.txt artifacts=\/rep\/script-[0-9a-f-]{36}\/artifacts/);
    expect(first.stdout).toContain('mounts: /rep /wmnt/cache');
    expect(first.stdout).toContain('defaults: 0');
    expect(first.stdout).toContain('cache had=none');
    expect(first.stdout).toContain('Built itroots01img');
    expect(readFileSync(path.join(wd, 'builds', 'itroots01', 'output', 'result.txt'), 'utf8')).toBe('built\n');
    expect(readFileSync(path.join(wd, 'cache', 'count'), 'utf8')).toBe('1\n');

    const second = await runCli(['build', dir, '--working-dir', wd, ...ROOTS, '--run-id', 'itroots02']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('cache had=1');
    expect(readFileSync(path.join(wd, 'cache', 'count'), 'utf8')).toBe('2\n');
    expect(await leftovers('itroots01')).toEqual([]);
    expect(await leftovers('itroots02')).toEqual([]);
  });

  it('with --direct-mount (dev) the project is mounted at the guest root\'s source', async () => {
    const dir = project(SHOW_PATHS);
    const r = await runCli(['dev', dir, '--working-dir', tmp(), '--guest-root', '/work-area']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'written.txt'), 'utf8')).toBe('from the box in /work-area/source\n');
  });

  it('refuses a root that is unsafe, with exit 2 and the flag named, before anything starts', async () => {
    const dir = project(SHOW_PATHS);
    const wd = tmp();
    const cases: [string[], string][] = [
      [['--guest-root', 'build'], '--guest-root takes an absolute path in the box, not "build"'],
      [['--mnt-root', '/usr'], '--mnt-root /usr is a system directory of the box'],
      [['--guest-root', '/build', '--report-root', '/build/rep'], '--report-root /build/rep is inside --guest-root /build'],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['build', dir, '--working-dir', wd, ...flags]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(existsSync(path.join(wd, 'builds'))).toBe(false);
  });
});

