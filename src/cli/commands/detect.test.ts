import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig } from '../../config/check.ts';
import { validateConfig } from '../../config/validate.ts';
import { packageDir } from '../../util/package-dir.ts';
import { bufferOutput } from '../../../test/fakes/buffer-output.ts';
import { detectCommand, detectStack, templateFile, type Stack } from './detect.ts';

// docs/wercker-compat.md §8.1: wercker's detection rules and werker's bundled templates.

describe('detectStack', () => {
  it.each<[string[], Stack]>([
    [['package.json', 'README.md'], 'nodejs'],
    [['requirements.txt'], 'python'],
    [['Gemfile', 'Gemfile.lock'], 'ruby'],
    [['main.go', 'go.mod'], 'golang'],
    [['pom.xml'], 'java-maven'],
    [['build.gradle'], 'java-gradle'],
    [['settings.gradle.kts', 'gradlew'], 'java-gradle'],
    [['README.md', 'Makefile', 'go.mod', 'package-lock.json'], 'default'],
    [[], 'default'],
  ])('%j is %s', (names, stack) => {
    expect(detectStack(names)).toBe(stack);
  });

  it('takes the rules in wercker\'s order, whatever order the directory lists its files in', () => {
    expect(detectStack(['main.go', 'requirements.txt', 'package.json'])).toBe('nodejs');
    expect(detectStack(['pom.xml', 'Gemfile'])).toBe('ruby');
    expect(detectStack(['build.gradle', 'pom.xml'])).toBe('java-maven');
  });

  it('matches whole names and extensions only', () => {
    expect(detectStack(['my-package.json', 'requirements.txt.bak', 'Gemfile.lock', 'go', 'gradlew.bat'])).toBe('default');
  });
});

describe('the bundled templates', () => {
  const stacks: Stack[] = ['nodejs', 'python', 'ruby', 'golang', 'java-maven', 'java-gradle', 'default'];

  it('are one file a stack in templates/, and nothing else', () => {
    expect(readdirSync(path.join(packageDir(), 'templates')).sort()).toEqual(stacks.map((s) => `${s}.yml`).sort());
  });

  it.each(stacks)('%s passes check-config with no warning and names a tagged public image as its box', (stack) => {
    const file = templateFile(stack);
    const result = validateConfig(file, readFileSync(file, 'utf8'));
    expect(checkConfig(result.config, result.diagnostics, 'build')).toEqual([]);
    // An official image of Docker Hub's library at a tag it publishes (not `latest`, which moves).
    const box = result.config?.box;
    const image = `${box?.id}${box?.tag ? `:${box.tag}` : ''}`;
    expect(image).toMatch(/^(node|python|ruby|golang|maven|gradle|debian):[0-9a-z][\w.-]*$/);
    expect(image).not.toMatch(/:latest$/);
  });
});

describe('detectCommand', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const project = (files: string[]) => {
    dir = mkdtempSync(path.join(tmpdir(), 'werker-detect-'));
    for (const f of files) writeFileSync(path.join(dir, f), '');
    return dir;
  };
  const answers = (...lines: string[]) => async () => lines.shift();

  it('prints wercker\'s lines and writes the stack\'s template', async () => {
    const out = bufferOutput();
    expect(await detectCommand(project(['Gemfile']), out, answers())).toBe(0);
    expect(out.out).toMatch(/^########### Detecting your project! #############\nDetected: ruby\nGenerating wercker.yml\nWrote .*wercker\.yml for ruby/);
    expect(readFileSync(path.join(dir, 'wercker.yml'), 'utf8')).toBe(readFileSync(templateFile('ruby'), 'utf8'));
  });

  it('says when no stack was found and writes the default template', async () => {
    const out = bufferOutput();
    expect(await detectCommand(project(['notes.txt']), out, answers())).toBe(0);
    expect(out.out).toContain('No stack detected, generating default wercker.yml\n');
    expect(readFileSync(path.join(dir, 'wercker.yml'), 'utf8')).toBe(readFileSync(templateFile('default'), 'utf8'));
  });

  it('asks before replacing a wercker.yml: yes replaces it, after asking again on an unclear answer', async () => {
    project(['package.json']);
    writeFileSync(path.join(dir, 'wercker.yml'), 'mine');
    const out = bufferOutput();
    expect(await detectCommand(dir, out, answers('perhaps', 'Yes'))).toBe(0);
    expect(out.out).toContain('wercker.yml already exists. Do you want to overwrite? (yes/no)\nPlease type yes or no and then press enter:\nWrote');
    expect(readFileSync(path.join(dir, 'wercker.yml'), 'utf8')).toBe(readFileSync(templateFile('nodejs'), 'utf8'));
  });

  it.each([['no', ['no'], 'Exiting...'], ['the end of stdin', [], 'no answer on stdin']])('keeps the file on %s, exit 1', async (_what, lines, said) => {
    project(['package.json']);
    writeFileSync(path.join(dir, 'wercker.yml'), 'mine');
    const out = bufferOutput();
    expect(await detectCommand(dir, out, answers(...lines))).toBe(1);
    expect(out.err).toContain(said);
    expect(readFileSync(path.join(dir, 'wercker.yml'), 'utf8')).toBe('mine');
  });

  it('notes a config file werker would read instead of the new wercker.yml', async () => {
    const out = bufferOutput();
    expect(await detectCommand(project(['ewok.yml']), out, answers())).toBe(0);
    expect(out.err).toMatch(/ewok\.yml exists and werker reads it instead of wercker\.yml/);
  });

  it('refuses a path that is not a directory, saying what to do', async () => {
    const out = bufferOutput();
    await expect(detectCommand(path.join(tmpdir(), 'werker-no-such-dir-x'), out, answers())).rejects.toThrow(/no such directory/);
    expect(out.out).toBe('');
  });
});
