import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * The stored files as wercker listed them (docs/wercker-compat.md §4.10): `./path` for each file,
 * in name order, directory by directory; a dependency directory only by name, `./path/ (content
 * omitted)`. wercker printed every line; werker stops after `limit` and says how many more, so a
 * large output does not flood the screen (the files themselves are all in the output dir).
 */
export const OMITTED_DIRS = new Set(['.git', 'node_modules', 'vendor', 'site-packages']);
export const LISTING_LIMIT = 100;

export interface Listing {
  lines: string[];
  /** Entries past the limit, not in `lines`. */
  more: number;
}

export async function listStored(dir: string, limit = LISTING_LIMIT): Promise<Listing> {
  const listing: Listing = { lines: [], more: 0 };
  const add = (line: string) => (listing.lines.length < limit ? listing.lines.push(line) : listing.more++);
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (!entry.isDirectory()) add(`./${name}`);
      else if (OMITTED_DIRS.has(entry.name)) add(`./${name}/ (content omitted)`);
      else await walk(name);
    }
  };
  await walk('');
  return listing;
}

/** wercker's lines around the listing: where the files came from, then one line a file. */
export function listingText(from: string, listing: Listing): string {
  const lines = ['Storing artifacts', `Collecting files from ${from}`, ...listing.lines];
  if (listing.more) lines.push(`… and ${listing.more} more`);
  return lines.join('\n');
}
