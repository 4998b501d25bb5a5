import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listingText, listStored } from './artifact-listing.ts';

// docs/wercker-compat.md §4.10: the stored files, listed as wercker listed them, bounded.

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tree(files: string[]): string {
  dir = mkdtempSync(path.join(tmpdir(), 'werker-listing-'));
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), '');
  }
  return dir;
}

describe('listStored', () => {
  it('lists every file as ./path in name order, a dependency directory by name only', async () => {
    tree(['b.txt', 'a/z.js', 'a/b/c.js', 'node_modules/x/index.js', 'app/vendor/lib.go', '.git/HEAD', 'py/site-packages/m.py', 'vendored/ok.txt']);
    symlinkSync('b.txt', path.join(dir, 'link'));
    expect(await listStored(dir)).toEqual({
      lines: [
        './.git/ (content omitted)', './a/b/c.js', './a/z.js', './app/vendor/ (content omitted)', './b.txt', './link',
        './node_modules/ (content omitted)', './py/site-packages/ (content omitted)', './vendored/ok.txt',
      ],
      more: 0,
    });
  });

  it('stops at the limit and counts the rest', async () => {
    tree(Array.from({ length: 12 }, (_, i) => `f${String(i).padStart(2, '0')}`));
    const listing = await listStored(dir, 5);
    expect(listing).toEqual({ lines: ['./f00', './f01', './f02', './f03', './f04'], more: 7 });
    expect(listingText('/pipeline/output', listing)).toBe('Storing artifacts\nCollecting files from /pipeline/output\n./f00\n./f01\n./f02\n./f03\n./f04\n… and 7 more');
  });

  it('an empty dir lists nothing', async () => {
    expect(await listStored(tree([]))).toEqual({ lines: [], more: 0 });
  });
});
