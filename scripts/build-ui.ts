/**
 * `npm run build:ui` (part of `npm run build`, after dist/ is made): type-checks the web UI's
 * browser code (src/server/ui/client, its own tsconfig with DOM types) and writes its esbuild
 * bundle to dist/ui/: werker.js, which every page loads, and the chunks it imports on demand
 * (the terminal's xterm.js). The server reads them there when run from dist/ or an installed
 * package. Run from source, the server bundles the same code itself (assets/client-bundle.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BUILT_CLIENT_DIR, bundleClient } from '../src/server/ui/assets/client-bundle.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'src/server/ui/client/tsconfig.json'], { cwd: root, stdio: 'inherit' });
const scripts = await bundleClient(root);
const out = path.join(root, BUILT_CLIENT_DIR);
// Emptied first: the server serves every script it finds here, so an older build's chunks must go.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [name, text] of scripts) {
  writeFileSync(path.join(out, name), text);
  const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
  process.stdout.write(`build-ui: ${BUILT_CLIENT_DIR}/${name} (${kB(Buffer.byteLength(text))}, ${kB(gzipSync(text).length)} gzipped)\n`);
}
