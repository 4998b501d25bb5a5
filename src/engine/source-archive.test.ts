import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extract } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { findGnuTar, packSource } from './source-archive.ts';

interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname: string | null;
  body: string;
}

/** Every entry of a packed archive, names without a `./` or trailing `/`, in name order. */
async function entries(archive: NodeJS.ReadableStream): Promise<Entry[]> {
  const out: Entry[] = [];
  const ex = extract();
  ex.on('entry', (h, stream, next) => {
    let body = '';
    stream.on('data', (c) => (body += (c as Buffer).toString()));
    stream.on('end', () => {
      const name = h.name.replace(/^\.\//, '').replace(/\/$/, '') || '.';
      out.push({ name, type: h.type ?? 'file', mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? -1, gid: h.gid ?? -1, linkname: h.linkname ?? null, body });
      next();
    });
  });
  archive.pipe(ex);
  // pipe() does not pass the archive's own error on: listen for it too.
  await new Promise<void>((resolve, reject) => {
    archive.on('error', (err) => reject(err as Error));
    ex.on('finish', () => resolve()).on('error', (err) => reject(err as Error));
  });
  return out.sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => (e.type === 'symlink' ? { ...e, mode: 0 } : e));
}

const root = mkdtempSync(path.join(tmpdir(), 'werker-archive-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(): string {
  const dir = path.join(root, 'project');
  const file = (rel: string, text = rel) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  file('README.md');
  file('.werckerignore', 'node_modules/\n*.log\n!keep.log\n/build\ndocs/**/draft-*\n');
  file('src/app.js');
  file('src/-starts-with-dash');
  file('src/with space and\nnewline');
  file('debug.log');
  file('keep.log');
  file('sub/build/kept-not-anchored');
  file('build/out.js');
  file('node_modules/x/index.js');
  file('docs/a/draft-1.md');
  file('docs/a/final.md');
  file('.git/HEAD', 'ref: refs/heads/main\n');
  file('wd/logs/run.log');
  file('run.sh', '#!/bin/sh\n');
  chmodSync(path.join(dir, 'run.sh'), 0o755);
  symlinkSync('src/app.js', path.join(dir, 'link-to-app'));
  symlinkSync('/nowhere', path.join(dir, 'dangling'));
  return dir;
}

describe('packSource', () => {
  const dir = project();
  const opts = { ignoreFile: '.werckerignore', workingDir: path.join(dir, 'wd') };

  it('leaves out the ignore file\'s matches and the working dir, keeps .git and symlinks, owner root', async () => {
    const names = (await entries(packSource(dir, { ...opts, packer: 'tar-fs' }))).map((e) => e.name);
    expect(names).toContain('.git/HEAD');
    expect(names).toContain('keep.log');
    expect(names).toContain('sub/build/kept-not-anchored');
    expect(names).toContain('docs/a/final.md');
    for (const gone of ['debug.log', 'build', 'build/out.js', 'node_modules/x', 'node_modules/x/index.js', 'docs/a/draft-1.md', 'wd', 'wd/logs/run.log']) {
      expect(names).not.toContain(gone);
    }
  });

  it.runIf(findGnuTar())('GNU tar packs the same entries as tar-fs: names, types, modes, owners, links, contents', async () => {
    const viaTarFs = await entries(packSource(dir, { ...opts, packer: 'tar-fs' }));
    const viaTar = await entries(packSource(dir, { ...opts, packer: 'gnu-tar' }));
    expect(viaTar).toEqual(viaTarFs);
    expect(viaTar.find((e) => e.name === 'run.sh')).toMatchObject({ mode: 0o755, uid: 0, gid: 0 });
    expect(viaTar.find((e) => e.name === 'dangling')).toMatchObject({ type: 'symlink', linkname: '/nowhere' });
  });

  it.runIf(findGnuTar())('a stream destroyed unread ends its tar process', async () => {
    const big = path.join(root, 'big-unread');
    mkdirSync(big, { recursive: true });
    // More than a pipe holds, so tar blocks writing until someone reads or it is ended.
    writeFileSync(path.join(big, 'blob'), Buffer.alloc(4 * 1024 * 1024, 1));
    const tarsPacking = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`--directory=${big}\0`);
      } catch {
        return false; // the process ended while we looked
      }
    });
    const archive = packSource(big, { ignoreFile: '.werckerignore', workingDir: path.join(big, 'wd'), packer: 'gnu-tar' });
    expect(tarsPacking()).toHaveLength(1);
    archive.destroy();
    for (let i = 0; i < 100 && tarsPacking().length; i++) await sleep(50);
    expect(tarsPacking()).toEqual([]);
  });

  it.runIf(findGnuTar())('a file tar cannot read fails the GNU tar stream, naming the problem', async () => {
    const bad = path.join(root, 'unreadable');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'secret'), 'x');
    chmodSync(path.join(bad, 'secret'), 0); // unreadable, except to root (CI runs as root)
    // A name that is not UTF-8 reaches tar with U+FFFD in it: a file tar cannot find, as root too.
    writeFileSync(Buffer.concat([Buffer.from(path.join(bad, 'name-')), Buffer.from([0xff])]), 'x');
    await expect(entries(packSource(bad, { ignoreFile: '.werckerignore', workingDir: path.join(bad, 'wd'), packer: 'gnu-tar' }))).rejects.toThrow(/tar could not pack [\s\S]*Cannot/);
  });
});
