import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleOptions, EXTERNAL_PACKAGES, yamlBundleOptions } from '../../scripts/bundle-options.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// What each command loads from the bundle `npm run build` makes (scripts/bundle-options.ts):
// the files a command's start-up reads are the chunks reachable from dist/cli/main.js by static
// imports, plus those of the command module's chunk that src/cli/program.ts import()s.

let meta: Metafile;

beforeAll(async () => {
  // The real build options, written to memory instead of dist/.
  const result = await build({ ...bundleOptions(repoRoot, path.join(repoRoot, 'dist')), write: false, logLevel: 'silent' });
  meta = result.metafile!;
}, 60_000);

/** The output chunk made for a source module that is import()ed (or the entry). */
function chunkOf(entry: string): string {
  const found = Object.entries(meta.outputs).find(([, o]) => o.entryPoint === entry);
  if (!found) throw new Error(`no chunk for ${entry}`);
  return found[0];
}

/** Everything a start-up through these chunks loads: source files and external packages. */
function loadedBy(...entries: string[]): { inputs: string[]; externals: string[]; chunks: number } {
  const seen = new Set<string>();
  const queue = entries.map(chunkOf);
  const externals = new Set<string>();
  while (queue.length) {
    const chunk = queue.pop()!;
    if (seen.has(chunk)) continue;
    seen.add(chunk);
    for (const imp of meta.outputs[chunk]!.imports) {
      if (imp.kind === 'dynamic-import') continue;
      if (imp.external) externals.add(imp.path);
      else queue.push(imp.path);
    }
  }
  const inputs = [...seen].flatMap((c) => Object.keys(meta.outputs[c]!.inputs)).map((i) => i.replace(/^.*node_modules\//, 'node_modules/'));
  return { inputs, externals: [...externals], chunks: seen.size };
}

const START = ['src/cli/main.ts', 'src/cli/cli.ts'];
const packagesOf = (inputs: string[]) => [...new Set(inputs.filter((i) => i.startsWith('node_modules/')).map((i) => i.split('/').slice(1, i.split('/')[1]!.startsWith('@') ? 3 : 2).join('/')))].sort();
const NEVER_FOR_LOCAL_COMMANDS = /^(src\/(server|store|runtime\/ssh)\/|node_modules\/(hono|@hono|kysely|pg|pg-[a-z]+|@grpc|protobufjs|ssh2)\/)/;

describe('the bundled CLI', () => {
  it('answers `werker --version` from main.js alone, with no package loaded', () => {
    const { inputs, externals, chunks } = loadedBy('src/cli/main.ts');
    expect(chunks).toBeLessThanOrEqual(3);
    expect(packagesOf(inputs)).toEqual([]);
    expect(externals.filter((e) => !e.startsWith('node:'))).toEqual([]);
  });

  it('loads commander for the command line, and nothing of any command', () => {
    const { inputs } = loadedBy(...START);
    expect(packagesOf(inputs)).toEqual(['commander', 'picocolors']);
    expect(inputs.filter((i) => i.startsWith('src/') && !i.startsWith('src/cli/') && i !== 'src/errors.ts')).toEqual([]);
  });

  it('check-config loads the config code, neither yaml nor zod, and not the Docker client, the server, the store or SSH', () => {
    const { inputs, externals } = loadedBy(...START, 'src/cli/commands/check-config.ts');
    expect(packagesOf(inputs)).toEqual(['commander', 'picocolors']);
    // The yaml package comes in through src/config/yaml-package.ts's require, only when the fast reader gives up.
    expect(inputs.filter((i) => i.startsWith('bundled-yaml:') || /zod|lazy-schema|config\/schema\.ts/.test(i))).toEqual([]);
    expect(inputs).toContain('src/config/yaml-package.ts');
    expect(inputs.filter((i) => i.startsWith('src/runtime/') || i.startsWith('src/engine/') || NEVER_FOR_LOCAL_COMMANDS.test(i))).toEqual([]);
    expect(externals.filter((e) => EXTERNAL_PACKAGES.includes(e))).toEqual([]);
  });

  it('keeps one copy of the yaml package, dist/chunks/yaml.cjs, which the commands that import it require', () => {
    const all = Object.keys(meta.inputs).map((i) => i.replace(/^.*node_modules\//, 'node_modules/'));
    expect(all.filter((i) => i.startsWith('node_modules/yaml/'))).toEqual([]);
    expect(loadedBy(...START, 'src/cli/commands/plan.ts').inputs).toContain('bundled-yaml:yaml');
  });

  it.each(['run-pipeline', 'plan', 'workflow'])('%s (build, dev, deploy / plan / workflow) loads the Docker client without ssh2, BuildKit sessions, the server or the store', (command) => {
    const { inputs, externals } = loadedBy(...START, `src/cli/commands/${command}.ts`);
    expect(inputs.filter((i) => NEVER_FOR_LOCAL_COMMANDS.test(i))).toEqual([]);
    expect(externals.filter((e) => EXTERNAL_PACKAGES.includes(e))).toEqual([]);
    if (command !== 'workflow') expect(inputs).toContain('node_modules/dockerode/lib/docker.js');
  });

  it('leaves dockerode\'s BuildKit session and docker-modem\'s ssh transport out of the whole bundle', () => {
    const all = Object.keys(meta.inputs).map((i) => i.replace(/^.*node_modules\//, 'node_modules/'));
    expect(all.filter((i) => /^node_modules\/(@grpc|protobufjs|@protobufjs)\//.test(i) || /dockerode\/lib\/(session|buildkit)\.js$|docker-modem\/lib\/ssh\.js$/.test(i))).toEqual([]);
    expect(all).toContain('node_modules/dockerode/lib/docker.js');
  });

  it('keeps zod\'s English messages only', () => {
    const locales = Object.keys(meta.inputs).filter((i) => /zod\/v4\/locales\//.test(i) && !i.startsWith('zod-locales:')).map((i) => path.basename(i));
    expect(locales).toEqual(['en.js']);
  });

  it('leaves the native packages to node_modules, and the server loads them when it runs', () => {
    const { externals } = loadedBy(...START, 'src/cli/commands/server.ts');
    expect(externals).toEqual(expect.arrayContaining(['better-sqlite3', 'ssh2']));
  });

  describe('built and run', () => {
    const tempDir = tempDirs('werker-bundle');
    let dist: string;
    beforeAll(async () => {
      const dir = tempDir();
      dist = path.join(dir, 'dist');
      await build({ ...bundleOptions(repoRoot, dist), sourcemap: false, logLevel: 'silent' });
      await build({ ...yamlBundleOptions(repoRoot, dist), logLevel: 'silent' });
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      writeFileSync(path.join(dir, 'block.yml'), 'box: node\nbuild:\n  steps:\n    - script:\n        code: echo on\n');
      writeFileSync(path.join(dir, 'flow.yml'), 'box: {id: node, bogus: 1}\nbuild:\n  steps: [npm-test]\n');
    }, 60_000);
    const checkConfig = (file: string) => {
      const r = spawnSync(process.execPath, [path.join(dist, 'cli/main.js'), 'check-config', path.join(dist, '..', file)], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      return { status: r.status, output: r.stdout + r.stderr };
    };

    it('reads a file outside the fast reader\'s subset with the bundled yaml package, and one inside it without', () => {
      expect(checkConfig('flow.yml')).toMatchObject({ status: 0, output: expect.stringContaining('unknown key "bogus" in a box') });
      expect(checkConfig('block.yml')).toMatchObject({ status: 0, output: expect.stringContaining('0 errors, 0 warnings') });
      // Without dist/chunks/yaml.cjs the block-style file still passes: check-config never loaded it.
      rmSync(path.join(dist, 'chunks/yaml.cjs'));
      expect(checkConfig('block.yml')).toMatchObject({ status: 0, output: expect.stringContaining('0 errors, 0 warnings') });
      expect(checkConfig('flow.yml').status).not.toBe(0);
    }, 60_000);
  });
});
