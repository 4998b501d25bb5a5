import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

/**
 * The yaml package, loaded the first time a document needs it: the fast reader
 * (src/config/yaml-fast.ts) reads most wercker.yml files without it, and compiling its 160 kB
 * cost every `werker check-config` ~10 ms (docs/performance.md, "Session 8"). Reading a config
 * is synchronous, so this is a synchronous require of the package's CommonJS build: from
 * node_modules when run from the source, and from the bundle's own copy of it in the built CLI,
 * whose path esbuild puts in for WERKER_BUNDLED_YAML (scripts/bundle-options.ts).
 */
declare const WERKER_BUNDLED_YAML: string | undefined;

let loaded: typeof Yaml | undefined;

export function yamlPackage(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)(typeof WERKER_BUNDLED_YAML === 'string' ? WERKER_BUNDLED_YAML : 'yaml') as typeof Yaml;
  return loaded;
}
