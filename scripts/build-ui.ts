/**
 * `npm run build:ui` (part of `npm run build`, after dist/ is made): type-checks the web UI's
 * browser code (src/server/ui/client, its own tsconfig with DOM types) and writes its esbuild
 * bundle to dist/ui/werker.js, where the server reads it when run from dist/ or an installed
 * package. Run from source, the server bundles the same code itself (assets/client-bundle.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_CLIENT, bundleClient } from '../src/server/ui/assets/client-bundle.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'src/server/ui/client/tsconfig.json'], { cwd: root, stdio: 'inherit' });
const script = await bundleClient(root);
const out = path.join(root, BUILT_CLIENT);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, script);
process.stdout.write(`build-ui: ${BUILT_CLIENT} (${Math.ceil(script.length / 1024)} kB)\n`);
