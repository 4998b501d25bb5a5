import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The browser code's entry (client/main.ts) and where `npm run build` puts its bundle, from the package root. */
export const CLIENT_ENTRY = 'src/server/ui/client/main.ts';
export const BUILT_CLIENT = 'dist/ui/werker.js';

/** A served file and its validator: browsers ask again each time (no-cache) and get a 304 while it is unchanged. */
export interface Asset {
  body: string;
  etag: string;
}

export const assetOf = (body: string): Asset => ({ body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });

let clientScript: Promise<Asset> | undefined;

/**
 * The web UI's script (/assets/werker.js). Run from source (tsx, the tests) it is bundled from
 * client/ with esbuild on first use, so it always matches the source; run from dist/ (`npm run
 * build`, an installed package) it is the bundle the build wrote. Made once, kept in memory.
 */
export function loadClientScript(): Promise<Asset> {
  clientScript ??= readClientScript().catch((err: unknown) => {
    clientScript = undefined;
    throw err;
  });
  return clientScript;
}

async function readClientScript(): Promise<Asset> {
  const here = fileURLToPath(import.meta.url);
  const root = packageRoot(path.dirname(here));
  if (here.endsWith('.ts')) return assetOf(await bundleClient(root));
  const built = path.join(root, BUILT_CLIENT);
  if (!existsSync(built)) throw new Error(`the web UI's script is missing (${built}): build the package with \`npm run build\``);
  return assetOf(readFileSync(built, 'utf8'));
}

/** The browser bundle of client/main.ts and what it imports: one IIFE, no inline code (the pages' CSP allows only 'self' scripts). */
export async function bundleClient(root: string): Promise<string> {
  // Not a literal: a bundler packing werker itself must leave esbuild out (dist/ never calls it).
  const esbuildPackage = 'esbuild';
  const esbuild = (await import(esbuildPackage)) as typeof import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(root, CLIENT_ENTRY)],
    tsconfig: path.join(root, 'src/server/ui/client/tsconfig.json'),
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    // xterm's stylesheet, put into the page by client/terminal.ts.
    loader: { '.css': 'text' },
    logLevel: 'silent',
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error('esbuild produced no bundle for the web UI');
  return file.text;
}

/** The directory of werker's package.json above `dir`: the checkout, or the installed package. */
export function packageRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    const manifest = path.join(d, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'werker') return d;
    if (path.dirname(d) === d) throw new Error(`werker's package.json was not found above ${dir}: reinstall werker`);
  }
}
