/**
 * `npm run build`: bundles the CLI into dist/ (dist/cli/main.js, the package's bin, and
 * dist/chunks/, with the yaml package on its own in dist/chunks/yaml.cjs), as
 * scripts/bundle-options.ts describes. Type-checking is `npm run typecheck`.
 * Writes esbuild's metafile to tmp/bundle-meta.json (outside dist/, so it is not packed): load
 * it into esbuild's analyser to see what each chunk holds.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './bundle-options.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist');

const started = performance.now();
await rm(outdir, { recursive: true, force: true });
const metafile = await bundleCli(root, outdir);
await mkdir(path.join(root, 'tmp'), { recursive: true });
await writeFile(path.join(root, 'tmp/bundle-meta.json'), JSON.stringify(metafile));
const files = Object.keys(metafile.outputs).filter((f) => f.endsWith('.js')).concat('dist/chunks/yaml.cjs');
process.stdout.write(`build: ${files.length} files in dist/ (${Math.round(performance.now() - started)} ms)\n`);
