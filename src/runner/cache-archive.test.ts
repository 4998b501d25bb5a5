import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packCacheDir, unpackVerified } from './cache-archive.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'werker-cache-archive-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A cache dir with the files in `files`, created in that order. */
function cacheDir(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const webStream = (bytes: Buffer): ReadableStream<Uint8Array> => Readable.toWeb(Readable.from([bytes])) as ReadableStream<Uint8Array>;

describe('cache tars', () => {
  it('the same files give the same digest, whatever their mtimes, owners, creation order or modes beyond the executable bit', async () => {
    const a = cacheDir('a', { 'pip/wheel.whl': 'wheel', 'npm/_cacache/index': 'idx', 'z': 'last', 'B': 'upper' });
    const b = cacheDir('b', { 'z': 'last', 'B': 'upper', 'npm/_cacache/index': 'idx', 'pip/wheel.whl': 'wheel' });
    utimesSync(path.join(b, 'z'), new Date('2001-01-01'), new Date('2001-01-01'));
    chmodSync(path.join(b, 'B'), 0o600);
    const first = await packCacheDir(a, path.join(root, 'a.tar'));
    const second = await packCacheDir(b, path.join(root, 'b.tar'));
    expect(second).toEqual(first);
    expect(first.files).toBe(4);
    expect(createHash('sha256').update(readFileSync(path.join(root, 'a.tar'))).digest('hex')).toBe(first.digest);
    expect(first.size).toBe(readFileSync(path.join(root, 'a.tar')).length);
  });

  it('any change of content, name, executable bit or symlink target changes the digest', async () => {
    const base = { 'x/y': 'one' };
    const digestOf = async (name: string, files: Record<string, string>, tweak?: (dir: string) => void) => {
      const dir = cacheDir(name, files);
      tweak?.(dir);
      return (await packCacheDir(dir, path.join(root, `${name}.tar`))).digest;
    };
    const digests = [
      await digestOf('base', base),
      await digestOf('content', { 'x/y': 'two' }),
      await digestOf('name', { 'x/z': 'one' }),
      await digestOf('exec', base, (d) => chmodSync(path.join(d, 'x/y'), 0o755)),
      await digestOf('link1', base, (d) => symlinkSync('x/y', path.join(d, 'l'))),
      await digestOf('link2', base, (d) => symlinkSync('x', path.join(d, 'l'))),
    ];
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('unpacks a tar that is the one named; a cut or different download leaves the dir empty and says so', async () => {
    const src = cacheDir('src', { 'npm/a': 'aaa', 'b': 'bbb' });
    symlinkSync('b', path.join(src, 'link'));
    const tarFile = path.join(root, 'src.tar');
    const packed = await packCacheDir(src, tarFile);
    const bytes = readFileSync(tarFile);
    const out = path.join(root, 'out');
    await unpackVerified(webStream(bytes), out, packed);
    expect(readFileSync(path.join(out, 'npm/a'), 'utf8')).toBe('aaa');
    expect(readFileSync(path.join(out, 'link'), 'utf8')).toBe('bbb');
    await expect(unpackVerified(webStream(bytes.subarray(0, 1024)), out, packed)).rejects.toThrow(/not the \d+ bytes/);
    expect(readdirSync(out)).toEqual([]);
    await expect(unpackVerified(webStream(bytes), out, { ...packed, digest: '0'.repeat(64) })).rejects.toThrow(/the server named/);
    expect(readdirSync(out)).toEqual([]);
  });
});
