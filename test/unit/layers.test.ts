import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCycles, importGraph, importSpecifiers } from '../helpers/import-graph.ts';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * The layers of src/, lowest first: a module imports from its own layer and the ones below it,
 * never from one above (type-only imports included). An entry is a top-level directory, or a
 * file where one sits lower than its directory: config/diagnostics.ts is the vocabulary of
 * problems that errors.ts (ConfigError) carries, and imports nothing.
 * - util, errors: no werker imports at all;
 * - config (wercker.yml read and checked), runtime (Docker, SSH, git), steps (step packages);
 * - plan: what a run will do, from the config, the host and the steps;
 * - deploy (hosts, releases) and dev (file watching), which internal steps of the engine use;
 * - engine: runs a plan and tells it as events; report: renders the events;
 * - runner: a run on this machine for a server (embedded in it, or `werker runner`);
 * - store: the server's database; server; cli on top.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['util', 'errors.ts', 'config/diagnostics.ts'],
  ['config'],
  ['runtime'],
  ['steps'],
  ['plan'],
  ['deploy', 'dev'],
  ['engine'],
  ['report'],
  ['runner'],
  ['store'],
  ['server'],
  ['cli'],
];

/** The layer of a module: its most specific entry (a file before its directory). */
function layerOf(module: string): number | undefined {
  let best: { layer: number; length: number } | undefined;
  for (const [layer, entries] of LAYERS.entries()) {
    for (const entry of entries) {
      const matches = module === entry || module.startsWith(`${entry}/`);
      if (matches && (!best || entry.length > best.length)) best = { layer, length: entry.length };
    }
  }
  return best?.layer;
}

const graph = importGraph(SRC);
const arrows = [...graph].flatMap(([from, targets]) => targets.filter((t) => graph.has(t)).map((to) => ({ from, to })));

describe('the import graph of src/', () => {
  it('reads every kind of import: type-only, re-exports, dynamic, multi-line; not those in comments', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      'import {',
      '  c,',
      '  type D,',
      "} from './c.ts';",
      "export { e } from './e.ts';",
      "export type { F } from './f.ts';",
      "import './side-effect.ts';",
      "const g = await import('./g.ts');",
      "// import { h } from './h.ts';",
      "/* import { i } from './i.ts'; */",
      "import { j } from 'node:path';",
    ].join('\n');
    expect(importSpecifiers(text).sort()).toEqual(['../b.ts', './a.ts', './c.ts', './e.ts', './f.ts', './g.ts', './side-effect.ts', 'node:path'].sort());
    // The real graph: a type-only import and a dynamic one are arrows.
    expect(graph.get('errors.ts')).toContain('config/diagnostics.ts');
    expect(graph.get('engine/internal/internal-steps.ts')).toContain('engine/internal/watch.ts');
    expect(arrows.length).toBeGreaterThan(500);
  });

  it('has no cycle', () => {
    expect(findCycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('puts every module in a layer', () => {
    expect([...graph.keys()].filter((m) => layerOf(m) === undefined), 'add the new directory to LAYERS in this file').toEqual([]);
  });

  it('has no import from a lower layer up to a higher one', () => {
    const upward = arrows.filter(({ from, to }) => (layerOf(to) ?? 0) > (layerOf(from) ?? 0)).map(({ from, to }) => `${from} -> ${to}`);
    expect(upward, 'an import up a layer (see LAYERS)').toEqual([]);
  });
});
