import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** One module of src/ and the modules of src/ it imports (type-only and dynamic imports included). */
export type ImportGraph = Map<string, string[]>;

/**
 * The import graph of the non-test modules under `root` (paths relative to it, with `/`): every
 * `import`, `import type`, `export … from` and `import()` of a relative path counts; packages do
 * not. (TypeScript 7 has no JS API to pre-process a file, so the statements are read here; the
 * house style of one import per statement, with `from` on its last line, is all it needs.)
 */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(root)) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const targets = importSpecifiers(text)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => resolveModule(root, file, spec));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * The module specifiers a file imports. Comments are blanked first, so an import in a comment
 * does not count; an import statement starts a line (`import`/`export`, up to its `from '…'`).
 */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  const patterns = [
    /^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^[ \t]*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) specs.push(m[1]!);
  return specs;
}

function sourceFiles(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir)).sort()) {
    const rel = dir ? `${dir}/${name}` : name;
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...sourceFiles(root, rel));
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** `./x.ts`, `./x.js` (the `.ts` file), `./x` or `./x/index.ts`, relative to the importing file. */
function resolveModule(root: string, from: string, spec: string): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.jsx$/, '.tsx'), `${base}.ts`, `${base}.tsx`, `${base}/index.ts`];
  for (const c of candidates) {
    try {
      if (statSync(path.join(root, c)).isFile()) return c;
    } catch {
      // not this one
    }
  }
  return base;
}

/** Every cycle, each as the path around it (first module repeated at the end), found once. */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  // Tarjan's strongly connected components: a component of more than one module (or a module
  // importing itself) holds at least one cycle; one path around it is reported.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) !== indexOf.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfLoop = (graph.get(v) ?? []).includes(v);
    if (component.length > 1 || selfLoop) {
      const key = [...component].sort().join('|');
      if (!seen.has(key)) {
        seen.add(key);
        cycles.push(cycleThrough(graph, new Set(component), [...component].sort()[0]!));
      }
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return cycles;
}

/** A shortest way from `start` back to itself inside one strongly connected component. */
function cycleThrough(graph: ImportGraph, component: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const way = [v];
        while (way[0] !== start) way.unshift(previous.get(way[0]!)!);
        return [...way, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
