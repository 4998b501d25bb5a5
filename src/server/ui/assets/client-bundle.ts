import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The browser code's entry (client/main.ts) and where `npm run build` puts its bundle, from the package root. */
export const CLIENT_ENTRY = 'src/server/ui/client/main.ts';
export const BUILT_CLIENT_DIR = 'dist/ui';
/** The script every page loads (/assets/werker.js); the other scripts of the bundle are chunks it imports when needed. */
export const MAIN_SCRIPT = 'werker.js';

/** A served file and its validator: browsers ask again each time (no-cache) and get a 304 while it is unchanged. */
export interface Asset {
  body: string;
  etag: string;
}

/** The web UI's scripts by file name: werker.js and the chunks it imports on demand (the terminal's xterm.js). */
export type ClientScripts = ReadonlyMap<string, Asset>;

export const assetOf = (body: string): Asset => ({ body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });

/**
 * What a script of the bundle may be called: esbuild's `[name]-[hash].js` of a client/ file, or
 * werker.js. Anything else asked for under /assets/ (a path, `..`, an encoded slash) is no script.
 */
export const isClientScriptName = (name: string): boolean => /^[\w-]+\.js$/.test(name);

/**
 * A chunk named by esbuild's `[name]-[hash]`: its content never changes under that name, so a
 * browser may keep it for good. werker.js keeps one name across builds and is revalidated.
 */
export const isHashedChunkName = (name: string): boolean => /^[\w-]+-[A-Z0-9]{8}\.js$/.test(name);

let clientScripts: Promise<ClientScripts> | undefined;

/**
 * The web UI's scripts (/assets/werker.js and its chunks). Run from source (tsx, the tests) they
 * are bundled from client/ with esbuild on first use, so they always match the source; run from
 * dist/ (`npm run build`, an installed package) they are the files the build wrote to dist/ui/.
 * Made once, kept in memory.
 */
export function loadClientScripts(): Promise<ClientScripts> {
  clientScripts ??= readClientScripts().catch((err: unknown) => {
    clientScripts = undefined;
    throw err;
  });
  return clientScripts;
}

async function readClientScripts(): Promise<ClientScripts> {
  const here = fileURLToPath(import.meta.url);
  const root = packageRoot(path.dirname(here));
  const texts = here.endsWith('.ts') ? await bundleClient(root) : readBuiltClient(root);
  return new Map([...texts].map(([name, text]) => [name, assetOf(text)]));
}

/** The scripts `npm run build` wrote (build-ui.ts empties dist/ui/ first, so every .js there is this build's). */
function readBuiltClient(root: string): Map<string, string> {
  const dir = path.join(root, BUILT_CLIENT_DIR);
  if (!existsSync(path.join(dir, MAIN_SCRIPT))) throw new Error(`the web UI's script is missing (${path.join(dir, MAIN_SCRIPT)}): build the package with \`npm run build\``);
  const names = readdirSync(dir).filter(isClientScriptName);
  return new Map(names.map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]));
}

/**
 * The browser bundle of client/main.ts and what it imports, by file name: werker.js, an ES module
 * (no inline code: the pages' CSP allows only 'self' scripts), and a `[name]-[hash].js` chunk for
 * each module it imports with `import()` (the terminal's xterm.js, which only a run page whose
 * terminal is opened needs). The hash in a chunk's name changes with its content, so a page of an
 * older build asks for a chunk that is gone (404) rather than one that no longer fits it.
 */
export async function bundleClient(root: string): Promise<Map<string, string>> {
  // Not a literal: a bundler packing werker itself must leave esbuild out (dist/ never calls it).
  const esbuildPackage = 'esbuild';
  const esbuild = (await import(esbuildPackage)) as typeof import('esbuild');
  const result = await esbuild.build({
    entryPoints: { [path.basename(MAIN_SCRIPT, '.js')]: path.join(root, CLIENT_ENTRY) },
    tsconfig: path.join(root, 'src/server/ui/client/tsconfig.json'),
    bundle: true,
    write: false,
    outdir: path.join(root, BUILT_CLIENT_DIR),
    splitting: true,
    format: 'esm',
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    // xterm's stylesheet, put into the page by client/terminal-screen.ts.
    loader: { '.css': 'text' },
    logLevel: 'silent',
  });
  const scripts = new Map(result.outputFiles.map((file) => [path.basename(file.path), file.text]));
  if (!scripts.has(MAIN_SCRIPT)) throw new Error('esbuild produced no bundle for the web UI');
  const odd = [...scripts.keys()].find((name) => !isClientScriptName(name));
  if (odd) throw new Error(`esbuild wrote ${odd} for the web UI, a name the server would not serve (assets/client-bundle.ts)`);
  return scripts;
}

/** The directory of werker's package.json above `dir`: the checkout, or the installed package. */
export function packageRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    const manifest = path.join(d, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'werker') return d;
    if (path.dirname(d) === d) throw new Error(`werker's package.json was not found above ${dir}: reinstall werker`);
  }
}
