/**
 * How the CLI is bundled (`npm run build` → scripts/build.ts), shared with the test that checks
 * what each command loads (test/unit/bundle.test.ts).
 *
 * esbuild, ESM with code splitting: src/cli/main.ts is the one entry, and every `import()` of a
 * command module in src/cli/program.ts becomes its own chunk, so `werker --version` reads
 * main.js alone and `werker check-config` main.js plus the config chunks, never the server's,
 * the store's or the Docker client's.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

/**
 * Packages left out of the bundle and loaded from node_modules at run time, so they must be
 * runtime dependencies: native addons and the packages that load them by a path relative to
 * their own files (ssh2's crypto binding and its optional cpu-features; better-sqlite3), and
 * pg's optional native driver, which werker never asks for.
 */
export const EXTERNAL_PACKAGES = ['better-sqlite3', 'ssh2', 'cpu-features', 'pg-native'];

/**
 * Modules of dockerode and docker-modem that werker never runs, replaced by a stub that throws:
 * BuildKit sessions (`version: "2"` builds: @grpc/grpc-js and protobufjs, ~1 MB) and its output
 * decoder, and docker-modem's ssh:// transport (ssh2). werker builds with the classic builder
 * and reaches the engine over a unix socket or TCP (src/runtime/docker/address.ts refuses
 * ssh:// addresses), so these would only cost start-up time.
 */
const LEFT_OUT: { importer: RegExp; request: RegExp; what: string }[] = [
  { importer: /[\\/]dockerode[\\/]lib[\\/]docker\.js$/, request: /^\.\/(session|buildkit)$/, what: 'BuildKit sessions (dockerode\'s version "2" builds)' },
  { importer: /[\\/]docker-modem[\\/]lib[\\/]modem\.js$/, request: /^\.\/ssh$/, what: 'ssh:// Docker hosts (docker-modem over ssh2)' },
];

function leaveOutUnusedDockerPaths(): Plugin {
  return {
    name: 'leave-out-unused-docker-paths',
    setup(build) {
      build.onResolve({ filter: /^\.\/(session|buildkit|ssh)$/ }, (args) => {
        const hit = LEFT_OUT.find((l) => l.importer.test(args.importer) && l.request.test(args.path));
        return hit ? { path: args.path, namespace: 'left-out', pluginData: hit.what } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
        contents: `module.exports = function leftOut() { throw new Error(${JSON.stringify(`werker's bundle leaves out ${args.pluginData as string}; werker never uses them`)}); };`,
        loader: 'js',
      }));
    },
  };
}

/**
 * zod's `z` and `z.core` namespaces re-export `locales`, its error messages in 60-odd languages (~300 kB),
 * and a namespace object keeps all of them in the bundle. werker never picks a locale (zod's
 * messages stay in its default English, which zod loads on its own), so the namespace keeps `en`
 * only: a third less code to compile on the way to `werker check-config`.
 */
function englishZodLocalesOnly(): Plugin {
  return {
    name: 'english-zod-locales-only',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
        if (!/[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer)) return undefined;
        return { path: path.join(path.dirname(args.importer), '../locales/en-only.js'), namespace: 'zod-locales', pluginData: path.dirname(args.importer) };
      });
      build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
        contents: 'export { default as en } from "../locales/en.js";',
        resolveDir: args.pluginData as string,
        loader: 'js',
      }));
    },
  };
}

/**
 * The yaml package is bundled on its own, as CommonJS (`yamlBundleOptions`), so that reading a
 * wercker.yml can load it synchronously and only when the fast reader gives up
 * (src/config/yaml-package.ts): `werker check-config` on a usual file never compiles it. The
 * path is relative to the chunk that requires it, in dist/cli/ or dist/chunks/ alike.
 */
const BUNDLED_YAML = '../chunks/yaml.cjs';

/**
 * The modules that import the yaml package (the step manifests, the deploy options, the machine
 * settings) get that same CommonJS copy, through a module that requires it, rather than a
 * second copy of the package inside the ESM chunks.
 */
function yamlFromItsOwnFile(): Plugin {
  return {
    name: 'yaml-from-its-own-file',
    setup(build) {
      build.onResolve({ filter: /^yaml$/ }, () => ({ path: 'yaml', namespace: 'bundled-yaml' }));
      build.onLoad({ filter: /.*/, namespace: 'bundled-yaml' }, () => {
        const names = Object.keys(createRequire(import.meta.url)('yaml') as object).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
        return {
          contents: "import { createRequire } from 'node:module';\n" +
            `const yaml = createRequire(import.meta.url)(${JSON.stringify(BUNDLED_YAML)});\n` +
            `export const { ${names.join(', ')} } = yaml;\nexport default yaml;\n`,
          loader: 'js',
        };
      });
    },
  };
}

/** Options for the second build: the yaml package as dist/chunks/yaml.cjs. */
export function yamlBundleOptions(root: string, outdir: string): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: ['yaml'],
    outfile: path.join(outdir, 'chunks/yaml.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  };
}

/** Options for esbuild.build: `outdir` is where dist/cli/main.js and dist/chunks/ go. */
export function bundleOptions(root: string, outdir: string): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    outbase: 'src',
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    external: EXTERNAL_PACKAGES,
    plugins: [leaveOutUnusedDockerPaths(), englishZodLocalesOnly(), yamlFromItsOwnFile()],
    define: { WERKER_BUNDLED_YAML: JSON.stringify(BUNDLED_YAML) },
    // The CommonJS packages inside the bundle call require() for node's modules and the
    // external packages; ESM has no require, so each chunk gets one of its own.
    banner: { js: "import { createRequire as __werkerCreateRequire } from 'node:module';\nconst require = __werkerCreateRequire(import.meta.url);" },
    // Whitespace and syntax only: identifiers keep their names, so stack traces read as the source.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    legalComments: 'none',
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
    metafile: true,
    logLevel: 'warning',
  };
}

/**
 * Writes the whole bundle into `outdir` (`cli/main.js`, `chunks/`, `chunks/yaml.cjs`): what
 * `npm run build` ships and what the integration tests run (test/helpers/cli-build.ts), one
 * recipe for both. Returns the main build's metafile.
 */
export async function bundleCli(root: string, outdir: string): Promise<Metafile> {
  const result = await build(bundleOptions(root, outdir));
  await build(yamlBundleOptions(root, outdir));
  return result.metafile!;
}
