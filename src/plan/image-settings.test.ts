import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../errors.ts';
import { resolveImage } from './image-map.ts';
import { imageSettings } from './image-settings.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An XDG config dir holding `werker/config.yml` with this text. */
function xdg(text?: string): { env: NodeJS.ProcessEnv; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'werker-xdg-'));
  dirs.push(dir);
  const file = path.join(dir, 'werker', 'config.yml');
  if (text !== undefined) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { env: { XDG_CONFIG_HOME: dir }, file };
}

describe('image settings: the command line, WERKER_IMAGE_MAP and the user config file', () => {
  it('lets the command line win over the environment, and the environment over the file', () => {
    const { env, file } = xdg('step-sources:\n  - dir:/opt/steps\nimage-map:\n  - busybox=from-file/busybox\n  - alpine=from-file/alpine\n  - node=from-file/node\n');
    const s = imageSettings(['busybox=from-flag/busybox'], { ...env, WERKER_IMAGE_MAP: 'busybox=from-env/busybox, alpine=from-env/alpine' });
    const image = (ref: string) => resolveImage(ref, s.imageMap);
    expect(image('busybox:1').image).toBe('from-flag/busybox:latest');
    expect(image('alpine:3').image).toBe('from-env/alpine:latest');
    expect(image('alpine:3').rule?.origin).toEqual({ kind: 'env' });
    expect(image('node:20').image).toBe('from-file/node:latest');
    expect(image('node:20').rule?.origin).toEqual({ kind: 'file', file, line: 6, col: 5 });
  });

  it('reads registry mirrors with their credentials from the environment variable the file names', () => {
    const { env, file } = xdg([
      'registry-mirrors:',
      '  docker.io: 127.0.0.1:5001/hub',
      '  ghcr.io:',
      '    mirror: https://harbor.example.com/ghcr',
      '    username: ci',
      '    password-env: HARBOR_PASSWORD',
      '    timeout: 2.5',
    ].join('\n'));
    const s = imageSettings([], { ...env, HARBOR_PASSWORD: 's3cret' });
    expect(s.registryMirrors).toEqual([
      { registry: 'docker.io', mirror: '127.0.0.1:5001/hub', scheme: 'http', timeoutMs: 10_000, origin: `${file}:2` },
      { registry: 'ghcr.io', mirror: 'harbor.example.com/ghcr', scheme: 'https', timeoutMs: 2500, origin: `${file}:3`, auth: { username: 'ci', password: 's3cret' } },
    ]);
  });

  it('warns, with file:line:col, when the password variable is not set', () => {
    const { env, file } = xdg('registry-mirrors:\n  docker.io:\n    mirror: mirror.example.com\n    username: ci\n    password-env: NOPE_UNSET\n');
    const seen: string[] = [];
    imageSettings([], env, (ds) => seen.push(...ds.map((d) => `${d.file}:${d.line}:${d.col} ${d.path}: ${d.message}`)));
    expect(seen).toEqual([`${file}:5:19 registry-mirrors.docker.io.password-env: NOPE_UNSET is not set; the mirror is asked without a password`]);
  });

  it('fails on a bad rule of the file with its file:line:col and key path', () => {
    const { env, file } = xdg('image-map:\n  - busybox=ok/busybox\n  - docker.io/library/*=mirror.example.com/busybox\n  - no-equals-sign\n');
    const err = (() => {
      try {
        imageSettings([], env);
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.path}: ${d.message}`)).toEqual([
      `${file}:3:5 image-map.1: "docker.io/library/*=mirror.example.com/busybox": a repository prefix ends in "/*" on both sides (docker.io/library/*=mirror.example.com/hub/*), not on one only`,
      `${file}:4:5 image-map.2: "no-equals-sign": expected FROM=TO (e.g. mdillon/postgis=registry.example.com/postgis)`,
    ]);
  });

  it('fails on a file that is not YAML, not a mapping, or writes a password inline', () => {
    const messages = (text: string) => {
      try {
        imageSettings([], xdg(text).env);
        return [];
      } catch (e) {
        return (e as ConfigError).diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`);
      }
    };
    expect(messages('image-map: [a=b\n')).toEqual([expect.stringMatching(/^\d+:\d+ yaml-syntax$/)]);
    expect(messages('- a=b\n')).toEqual(['1:1 invalid-settings']);
    expect(messages('image-map: busybox=x\n')).toEqual(['1:12 invalid-image-map']);
    expect(messages('registry-mirrors:\n  docker.io:\n    mirror: m.example.com\n    username: u\n    password: hunter2\n')).toEqual(['5:5 inline-password']);
    expect(messages('registry-mirrors:\n  docker.io:\n    mirrors: m.example.com\n')).toEqual(['3:5 unknown-key', '3:5 invalid-registry-mirrors']);
  });

  it('never shows an inline password back in the error\'s code frame', () => {
    const { env } = xdg('registry-mirrors:\n  docker.io:\n    mirror: m.example.com\n    username: u\n    password: hunter2\n');
    const err = (() => {
      try {
        imageSettings([], env);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err?.sourceText).toContain('password: ***');
    expect(err?.sourceText).not.toContain('hunter2');
  });

  it('refuses a bad --image-map or WERKER_IMAGE_MAP rule, naming it and where it came from', () => {
    const { env } = xdg();
    expect(() => imageSettings(['busybox'], env)).toThrow(UsageError);
    expect(() => imageSettings(['busybox'], env)).toThrow('image map rule "busybox" (--image-map): expected FROM=TO');
    expect(() => imageSettings([], { ...env, WERKER_IMAGE_MAP: 'a=b c/*=d' })).toThrow('image map rule "c/*=d" (WERKER_IMAGE_MAP): a repository prefix ends in "/*" on both sides');
  });

  it('has nothing to add without a file', () => {
    expect(imageSettings([], xdg().env)).toEqual({ imageMap: [], registryMirrors: [] });
  });
});
