import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FunctionLikeDeclaration, Node, SourceFile } from 'typescript/unstable/ast';
import * as is from 'typescript/unstable/ast/is';
import { API } from 'typescript/unstable/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 15 item 4: the server is split by job into small modules, and every query lives in
// src/store/. These checks keep it that way: they parse src/server/ with the TypeScript compiler.

const ROOT = path.resolve(import.meta.dirname, '../..');
const SERVER = path.join(ROOT, 'src/server');
const MAX_LINES = 60;

/**
 * Not held to the server's rules here: the runner is a peer of the CLI that moves out of the
 * server (src/runner/, issue 15 item 1), and the live-log client is browser code being rewritten
 * as a typed module (issue 15 item 6).
 */
const SKIPPED = [/^runner\//, /^ui\/assets\/client-script\.ts$/];

/** The server's non-test sources, relative to src/server/. */
function serverSources(dir = SERVER): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return serverSources(full);
    if (!/\.tsx?$/.test(entry.name) || /\.test\.tsx?$/.test(entry.name)) return [];
    return [path.relative(SERVER, full)];
  }).filter((file) => !SKIPPED.some((skip) => skip.test(file)));
}

/**
 * The syntax trees of the files, from the TypeScript 7 compiler API (its classic in-process
 * API is gone): a program of just these files, parsed, with nothing resolved or checked.
 */
function parseAll(files: string[]): { trees: Map<string, SourceFile>; close(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'werker-server-shape-'));
  const config = path.join(dir, 'tsconfig.json');
  writeFileSync(config, JSON.stringify({
    compilerOptions: { noResolve: true, noLib: true, types: [], jsx: 'react-jsx', jsxImportSource: 'hono/jsx' },
    files: files.map((f) => path.join(SERVER, f)),
  }));
  const api = new API({ cwd: ROOT });
  const program = api.updateSnapshot({ openProjects: [config] }).getProjects()[0]!.program;
  const trees = new Map(files.map((f) => [f, program.getSourceFile(path.join(SERVER, f))!]));
  return { trees, close: () => (api.close(), rmSync(dir, { recursive: true, force: true })) };
}

function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  node.forEachChild((child) => {
    walk(child, visit);
    return undefined;
  });
}

const lineOf = (source: SourceFile, pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;

/** A readable name for a function: its own, or the variable, property or method it is assigned to. */
function nameOf(node: FunctionLikeDeclaration): string {
  if ('name' in node && node.name) return node.name.getText();
  const parent = node.parent;
  if ((is.isVariableDeclaration(parent) || is.isPropertyAssignment(parent) || is.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText();
  return '(anonymous)';
}

/** Every function, arrow, method, accessor and constructor longer than MAX_LINES lines, as `file:line name (N lines)`. */
function longFunctions(trees: Map<string, SourceFile>): string[] {
  const found: string[] = [];
  for (const [file, source] of trees) {
    walk(source, (node) => {
      if (!is.isFunctionLikeDeclaration(node) || !node.body) return;
      const start = lineOf(source, node.getStart(source));
      const lines = lineOf(source, node.getEnd()) - start + 1;
      if (lines > MAX_LINES) found.push(`src/server/${file}:${start} ${nameOf(node)} (${lines} lines)`);
    });
  }
  return found;
}

/** The query builder's entry points: a call of any of them builds SQL. */
const QUERY_BUILDERS = new Set(['selectFrom', 'insertInto', 'updateTable', 'deleteFrom', 'replaceInto', 'mergeInto', 'selectNoFrom']);
/** SQL text in a string or template: a statement keyword followed by what makes it one. */
const SQL_TEXT = /\b(SELECT\b[\s\S]*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/i;

/** Every place in the files that builds or holds a query, as `file:line what`. */
function queriesIn(trees: Map<string, SourceFile>): string[] {
  const found: string[] = [];
  for (const [file, source] of trees) {
    const at = (node: Node, what: string) => found.push(`src/server/${file}:${lineOf(source, node.getStart(source))} ${what}`);
    walk(source, (node) => {
      if (is.isImportDeclaration(node) && is.isStringLiteral(node.moduleSpecifier) && node.moduleSpecifier.text === 'kysely') at(node, 'imports kysely');
      if (is.isPropertyAccessExpression(node) && QUERY_BUILDERS.has(node.name.getText(source))) at(node, `builds a query (.${node.name.getText(source)})`);
      if (is.isPropertyAccessExpression(node) && node.name.getText(source) === 'db') at(node, 'uses the database handle (.db)');
      if (is.isTaggedTemplateExpression(node) && node.tag.getText(source) === 'sql') at(node, 'raw sql`…`');
      if ((is.isStringLiteral(node) || is.isNoSubstitutionTemplateLiteral(node) || is.isTemplateExpression(node)) && SQL_TEXT.test(node.getText(source))) at(node, 'SQL text');
    });
  }
  return found;
}

describe('the server is split by job (issue 15 item 4)', () => {
  const files = serverSources();
  let parsed: ReturnType<typeof parseAll>;
  beforeAll(() => {
    parsed = parseAll(files);
  });
  afterAll(() => parsed?.close());

  it('parses every server source it checks', () => {
    expect(files).toContain('service.ts');
    expect(files.some((f) => f.endsWith('.tsx'))).toBe(true);
    expect([...parsed.trees.values()].every((tree) => tree.statements.length > 0)).toBe(true);
  });

  it(`has no function in src/server/ over ${MAX_LINES} lines`, () => {
    expect(longFunctions(parsed.trees)).toEqual([]);
  });

  it('builds no SQL in src/server/: every query lives in src/store/', () => {
    expect(queriesIn(parsed.trees)).toEqual([]);
  });
});
