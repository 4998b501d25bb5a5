import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.ts';
import { bufferOutput } from '../fakes/buffer-output.ts';
import { repoRoot } from '../helpers/corpus.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'werker-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function check(content: string | Uint8Array | null, ...args: string[]) {
  const file = path.join(dir, `case-${Math.random().toString(36).slice(2)}.yml`);
  if (content !== null) writeFileSync(file, content);
  const out = bufferOutput();
  const code = await main(['check-config', file, ...args], out);
  return { code, out: out.out, err: out.err, file };
}

describe('werker check-config on bad input: a clear message, exit 2, never a stack trace', () => {
  it.each([
    ['no file', null, /no such file/],
    ['an empty file', '', /Your wercker\.yml is empty\./],
    ['only comments', '# nothing here\n', /Your wercker\.yml is empty\./],
    ['not UTF-8', new Uint8Array([0x62, 0x6f, 0x78, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), /is not UTF-8 text \(invalid byte at offset 5\)/],
    ['tabs for indentation', 'build:\n\tsteps: []\n', /:2:1 error: Error parsing your wercker\.yml: Tabs are not allowed as indentation[\s\S]*hint: YAML does not allow tabs/],
    ['an unknown step form', 'box: a\nbuild:\n  steps:\n    - [x]\n', /:4:7 build\.steps\.0: error: a step cannot be a list/],
    ['a YAML syntax error', 'box: a\n  build: b\n', /:2:8 error: Error parsing your wercker\.yml/],
  ])('%s', async (_name, content, pattern) => {
    const r = await check(content);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(pattern);
    expect(r.err).not.toMatch(/\n\s+at .*\.ts:\d+/);
  });

  it.each([
    ['a string document', 'just a string\n', /:1:1 warning: the document is the string "just a string", not a mapping[\s\S]*0 errors, 1 warning/],
    ['a list document', '- a\n- b\n', /:1:1 warning: the document is a list, not a mapping[\s\S]*0 errors, 1 warning/],
  ])('%s: wercker read a file without pipelines, so werker warns (exit 0) and a run fails', async (_name, content, pattern) => {
    const r = await check(content);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(pattern);
    const run = await check(content, '--pipeline', 'build');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/error: No pipeline named build/);
  });

  it('a directory without a wercker.yml', async () => {
    const empty = path.join(dir, 'empty-project');
    mkdirSync(empty);
    const out = bufferOutput();
    expect(await main(['check-config', empty], out)).toBe(2);
    expect(out.err).toMatch(/No wercker\.yml found/);
  });

  it('a file over 10 MB', async () => {
    const r = await check(`box: a\n# ${'x'.repeat(10 * 1024 * 1024)}\n`);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/a wercker\.yml may be at most 10 MB/);
  });

  it('a pipeline with no box, when that pipeline is asked for', async () => {
    const r = await check('build:\n  steps: []\n', '--pipeline', 'build');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/:1:1 build: error: No box definition found for pipeline build/);
  });

  it('CRLF line endings are read as LF, with a warning', async () => {
    const r = await check('box: a\r\nbuild:\r\n  steps:\r\n    - script:\r\n        code: echo hi\r\n', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.diagnostics.map((d: { code: string }) => d.code)).toEqual(['crlf']);
    expect(result.config.pipelines.build.steps[0].properties.code).toBe('echo hi');
  });
});

describe('werker check-config output', () => {
  it('prints file:line:col key.path: message with a code frame and the pipelines found', async () => {
    const r = await check('box: node\nbuild:\n  steps:\n    - script: {code: a}\n      name: b\n');
    expect(r.code).toBe(0);
    expect(r.err).toContain(':4:15 build.steps.0.script: warning: the properties of "script" sit beside it');
    expect(r.err).toContain('> 4 |     - script: {code: a}');
    expect(r.out).toBe('Found pipeline section: build\n  with box: node\n');
  });

  it('--json gives the same as data', async () => {
    const r = await check('box: node\nports: [1]\nbuild: {steps: [npm-test]}\n', '--json');
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ valid: true, errors: 0, warnings: 1 });
    expect(result.diagnostics[0]).toMatchObject({ severity: 'warning', code: 'not-a-pipeline', line: 2, col: 8, path: 'ports' });
    expect(result.config.pipelines.build.steps[0].id).toBe('npm-test');
  });

  it('names the pipeline that does not exist', async () => {
    const r = await check('box: node\nbuild: {steps: [x]}\n', '--pipeline', 'deploy');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/No pipeline named deploy\n\s+hint: pipelines in this file: build/);
  });

  it('rejects unknown flags with exit 2', async () => {
    const out = bufferOutput();
    expect(await main(['check-config', '--bogus'], out)).toBe(2);
    expect(out.err).toMatch(/unknown option '--bogus'/);
  });
});

describe('werker schema', () => {
  it('matches the committed schema/wercker.schema.json (run `npx tsx src/cli/main.ts schema > schema/wercker.schema.json` after a change)', async () => {
    const out = bufferOutput();
    expect(await main(['schema'], out)).toBe(0);
    const { readFileSync } = await import('node:fs');
    expect(out.out).toBe(readFileSync(path.join(repoRoot, 'schema/wercker.schema.json'), 'utf8'));
    const schema = JSON.parse(out.out);
    expect(schema.properties.box).toBeDefined();
    expect(schema.additionalProperties.anyOf[0].properties.steps).toBeDefined();
  });
});
