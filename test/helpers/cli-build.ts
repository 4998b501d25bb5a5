/**
 * vitest globalSetup of the integration projects: bundles the CLI once per test run, as
 * `npm run build` does, into a package of its own under tmp/ (never dist/, which the packed-install
 * test rebuilds while other files run), and hands its bin to test/helpers/cli.ts.
 *
 * Why: the integration files spawn the CLI several hundred times. Through tsx each spawn spent
 * ~1.4 s of CPU on transforming and loading the source; the bundle starts in ~0.4 s, which on the
 * 2 cores CI has was minutes of the suite. It also means the tests run what users run.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleCli } from '../../scripts/bundle-options.ts';
import { repoRoot } from './corpus.ts';

/** What the package finds beside its code (src/util/package-dir.ts): linked, not copied. */
const SHIPPED_BESIDE_THE_CODE = ['steps', 'schema', 'templates'];

declare module 'vitest' {
  export interface ProvidedContext {
    /** The bundled CLI's bin (`node BIN …`); unset when tests run the source through tsx. */
    werkerBin?: string;
  }
}

/**
 * Both integration projects share one build. vitest loads this file once per project that names
 * it, so the build is kept on the process, not in a module variable.
 */
const BUILT = Symbol.for('werker.test-cli-build');
type Built = Promise<{ dir: string; bin: string }>;

export default async function setup(project: TestProject): Promise<() => void> {
  const holder = globalThis as { [BUILT]?: Built };
  holder[BUILT] ??= buildTestPackage();
  const { dir, bin } = await holder[BUILT];
  project.provide('werkerBin', bin);
  return () => rmSync(dir, { recursive: true, force: true });
}

async function buildTestPackage(): Promise<{ dir: string; bin: string }> {
  removeStaleBuilds();
  const dir = path.join(repoRoot, 'tmp', `test-cli-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), readFileSync(path.join(repoRoot, 'package.json')));
  for (const name of SHIPPED_BESIDE_THE_CODE) symlinkSync(path.join(repoRoot, name), path.join(dir, name));
  const started = performance.now();
  await bundleCli(repoRoot, path.join(dir, 'dist'));
  process.stdout.write(`[cli-build] the CLI bundled for the tests in ${Math.round(performance.now() - started)} ms: ${path.relative(repoRoot, dir)}\n`);
  return { dir, bin: path.join(dir, 'dist/cli/main.js') };
}

/** Builds of test runs that ended without their teardown (killed): their process is gone. */
function removeStaleBuilds(): void {
  const tmp = path.join(repoRoot, 'tmp');
  let names: string[] = [];
  try {
    names = readdirSync(tmp);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^test-cli-(\d+)$/.exec(name)?.[1];
    if (pid && (Number(pid) === process.pid || !alive(Number(pid)))) rmSync(path.join(tmp, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
