// Writes the local stand-ins (the werker-test/* images scripts/build-images.sh builds) into the
// user config file's image-map, for machines that cannot pull the public images the examples
// name. Called by scripts/setup-image-map.sh; idempotent; other settings of the file are kept.
//
//   npx tsx scripts/stand-in-image-map.ts        (the file: $XDG_CONFIG_HOME/werker/config.yml)
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { addImageMapRules } from './lib/image-map-file.ts';
import { userConfigFile } from '../src/steps/sources.ts';

/** Public image → its local stand-in (images/<name>/Dockerfile says what each one carries). */
const STAND_INS = [
  'busybox=werker-test/busybox',
  'postgis/postgis=werker-test/postgis',
  'node=werker-test/node',
  'pitervergara/geodjango=werker-test/python-django',
  'mdillon/postgis=werker-test/postgis',
  'pcfseceng/ci-ssh-client=werker-test/ssh-client',
];

const file = userConfigFile();
const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
let edit;
try {
  edit = addImageMapRules(before, STAND_INS);
} catch (err) {
  console.error(`[setup-image-map] ERROR: ${file}: ${(err as Error).message}; fix it, then run this again (the file was not changed)`);
  process.exit(1);
}
for (const rule of edit.kept) console.error(`[setup-image-map] ${file} already maps that image (${rule}); left as it is`);
if (!edit.added.length) {
  console.error(`[setup-image-map] ${file} already maps the examples' images to the local stand-ins`);
  process.exit(0);
}
mkdirSync(path.dirname(file), { recursive: true });
const tmp = `${file}.${process.pid}.tmp`;
writeFileSync(tmp, edit.text);
renameSync(tmp, file);
console.error(`[setup-image-map] added to ${file}: ${edit.added.join(' ')}`);
