import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleOptions, EXTERNAL_PACKAGES } from '../../scripts/bundle-options.ts';
import { repoRoot } from '../helpers/corpus.ts';

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

  it('check-config loads the config code, yaml and zod, and not the Docker client, the server, the store or SSH', () => {
    const { inputs, externals } = loadedBy(...START, 'src/cli/commands/check-config.ts');
    expect(packagesOf(inputs)).toEqual(['commander', 'picocolors', 'yaml', 'zod']);
    expect(inputs.filter((i) => i.startsWith('src/runtime/') || i.startsWith('src/engine/') || NEVER_FOR_LOCAL_COMMANDS.test(i))).toEqual([]);
    expect(externals.filter((e) => EXTERNAL_PACKAGES.includes(e))).toEqual([]);
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
});
