import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSpecifiers } from '../helpers/import-graph.ts';
import { CLIENT_ENTRY } from '../../src/server/ui/assets/client-bundle.ts';

// Everything under src/ ships in dist/ (tsconfig.json builds all of it but *.test.ts). A file
// that only tests reach is test code in the package: it belongs under test/ (test/fakes/ for fakes).

const root = path.resolve(import.meta.dirname, '../..');
const isTest = (file: string) => /\.test\.tsx?$/.test(file);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The relative modules a file loads (the layers test's scanner: every import form, none in comments). */
const importsOf = (text: string): string[] => importSpecifiers(text).filter((s) => s.startsWith('.'));

/** The files under src/ that the entry points reach, following imports of src files only. */
function reachable(entries: string[], edges: (file: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...edges(file));
  }
  return seen;
}

/** The entry points: every `bin` of package.json, from dist/…js back to src/…ts. */
function entryPoints(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const bins = Object.values(pkg.bin).map((bin) => path.join(root, bin.replace(/^(\.\/)?dist\//, 'src/').replace(/\.js$/, '.ts')));
  // The web UI's script is a second program: the browser runs the bundle built from it.
  return [...bins, path.join(root, CLIENT_ENTRY)];
}

/**
 * The functions, classes and constants a file exports that no other shipped file names and the
 * file itself does not use: only tests can call them. (A name that merely appears elsewhere
 * counts as used; this finds test helpers, not every dead export.)
 */
function testOnlyExports(files: string[]): string[] {
  const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
  return files.flatMap((file) => [...texts.get(file)!.matchAll(/^export\s+(?:async\s+)?(?:function\*?|class|const|let)\s+([\w$]+)/gm)]
    .map((m) => m[1]!)
    .filter((name) => {
      const word = new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`);
      if (texts.get(file)!.split(word).length > 2) return false;
      return !files.some((other) => other !== file && word.test(texts.get(other)!));
    })
    .map((name) => `${path.relative(root, file)} ${name}`));
}

/**
 * Test-only exports in files other helpers own this session (config/), to move
 * with their own changes. Nothing else may join this list.
 */
const PENDING = new Set(['src/config/interpolate.ts referencedVars']);

const srcFiles = sourceFiles(path.join(root, 'src'));
const known = new Set(srcFiles);
const edgesOf = (file: string): string[] => importsOf(readFileSync(file, 'utf8'))
  .map((spec) => path.resolve(path.dirname(file), spec))
  .filter((target) => known.has(target) && !isTest(target));

describe('src/ holds only code the CLI runs', () => {
  it('reaches every non-test file in src/ from the entry points', () => {
    const shipped = reachable(entryPoints(), edgesOf);
    const unreached = srcFiles.filter((f) => !isTest(f) && !shipped.has(f)).map((f) => path.relative(root, f));
    expect(unreached, 'files in src/ that only tests (or nothing) use: move them under test/').toEqual([]);
  });

  it('exports no function, class or constant that only tests use', () => {
    const found = testOnlyExports(srcFiles.filter((f) => !isTest(f))).filter((e) => !PENDING.has(e));
    expect(found, 'exports only tests call: move them under test/ (test/fakes/, test/helpers/)').toEqual([]);
  });

  it('finds imports of every form, and none in comments', () => {
    const text = [
      "import { a, type B } from './a.ts';", "import type { C } from '../c.ts';", "export { d } from './d.ts';",
      "import './side.ts';", "const e = await import('./lazy.ts');", "import {\n  f,\n  g,\n} from './multi.ts';",
      "// import { x } from './commented.ts';", "/* import y from './block.ts'; */", "import pkg from 'node:path';",
    ].join('\n');
    expect(importsOf(text).sort()).toEqual(['../c.ts', './a.ts', './d.ts', './lazy.ts', './multi.ts', './side.ts']);
  });

  it('flags a file reached only from a test', () => {
    const graph: Record<string, string[]> = { main: ['lib'], lib: [], 'lib.test': ['fake'], fake: [] };
    expect([...reachable(['main'], (f) => graph[f] ?? [])].sort()).toEqual(['lib', 'main']);
  });
});
