import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-fs';
import { CancelledError, UsageError, WerkerError } from '../errors.ts';

/** docs/wercker-compat.md §4.3: the target of build / dev / deploy may be an http(s) URL of the project's tarball. */
export const isProjectUrl = (target: string | undefined): target is string => target !== undefined && /^https?:\/\//i.test(target);

const ARCHIVE_EXTENSIONS = /(\.tar\.gz|\.tgz|\.tar|\.gz)$/i;
const HINT = 'the URL must answer GET with the project as a .tar.gz (or .tgz, or an uncompressed .tar), e.g. a GitHub tarball';

/**
 * The application name a URL gives (docs/wercker-compat.md §3.2): its file name without the
 * archive extension; a GitHub `…/owner/repo/tarball[/ref]` URL gives the repository's name.
 */
export function projectNameFromUrl(url: string): string {
  const segments = new URL(url).pathname.split('/').filter(Boolean).map(decodeSegment);
  const tarball = segments.lastIndexOf('tarball');
  const file = (tarball > 0 ? segments[tarball - 1] : segments.at(-1)) ?? '';
  const name = file.replace(ARCHIVE_EXTENSIONS, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  return name || 'project';
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Downloads the tarball at `url` and unpacks it as `<workingDir>/projects/<name>` (a previous
 * download of the same name is replaced), which the run then takes as its project. An archive
 * whose only entry is a directory (as GitHub's are, `owner-repo-sha/`) gives that directory.
 * On any failure nothing is left: the half-made download goes, and so does a projects dir it
 * made. Ctrl-C stops the download (exit 130).
 */
export async function fetchProject(url: string, workingDir: string): Promise<{ dir: string; name: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL`, { hint: HINT });
  }
  const name = projectNameFromUrl(parsed.href);
  const projects = path.join(workingDir, 'projects');
  const stop = new AbortController();
  const onSignal = () => stop.abort(new CancelledError(`interrupted while downloading ${url}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // The first directory this makes (the working dir itself on a first run), removed on failure.
  let made: string | undefined;
  let temp: string | undefined;
  try {
    made = await mkdir(projects, { recursive: true });
    temp = await mkdtemp(path.join(projects, `.download-${name}-`));
    const archive = path.join(temp, 'download');
    await download(parsed.href, archive, stop.signal);
    const tree = path.join(temp, 'tree');
    await unpack(url, archive, tree);
    stop.signal.throwIfAborted();
    const dir = path.join(projects, name);
    await rm(dir, { recursive: true, force: true });
    await rename(await projectRoot(tree), dir);
    return { dir, name };
  } catch (err) {
    if (made) await rm(made, { recursive: true, force: true }).catch(() => undefined);
    throw stop.signal.aborted ? stop.signal.reason : err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (temp) await rm(temp, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function download(url: string, file: string, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { signal }).catch((err: Error) => {
    if (signal.aborted) throw signal.reason;
    const cause = (err.cause as Error | undefined)?.message ?? err.message;
    throw new WerkerError(`could not download the project from ${url}: ${cause}`, 1, {
      hint: 'check the URL, and that its server answers from this machine (a proxy or firewall in between?)',
    });
  });
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new WerkerError(`could not download the project from ${url}: HTTP ${res.status} ${res.statusText}`.trimEnd(), 1, { hint: HINT });
  }
  await pipeline(Readable.fromWeb(res.body as never), createWriteStream(file), { signal }).catch((err: Error) => {
    if (signal.aborted) throw signal.reason;
    throw new WerkerError(`the download of ${url} broke off: ${err.message}`, 1, { hint: 'try again; if it keeps failing, check the server' });
  });
}

/** What the first bytes say the download is: a gzip'd tar, a tar, or something werker names. */
async function archiveKind(file: string): Promise<'gzip' | 'tar' | string> {
  const handle = await open(file, 'r');
  const head = Buffer.alloc(512);
  const { bytesRead } = await handle.read(head, 0, 512, 0).finally(() => handle.close());
  if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  if (bytesRead === 0) return 'an empty file';
  if (head.subarray(0, 4).toString('latin1') === 'PK\x03\x04') return 'a zip archive';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2-compressed';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz-compressed';
  if (/^\s*<(!doctype|html)/i.test(head.subarray(0, bytesRead).toString('latin1'))) return 'an HTML page';
  return 'not an archive werker knows';
}

async function unpack(url: string, archive: string, tree: string): Promise<void> {
  const kind = await archiveKind(archive);
  if (kind !== 'gzip' && kind !== 'tar') throw new WerkerError(`${url} is ${kind}, not a tarball`, 1, { hint: HINT });
  await mkdir(tree);
  // Entry names are kept inside `tree` and links that point out of it are refused (tar-fs);
  // devices and fifos are skipped; files belong to whoever runs werker.
  // (`chown` and `strict` are tar-fs options its type declarations leave out.)
  const options = { chown: false, strict: false } as Parameters<typeof tar.extract>[1];
  const extract = tar.extract(tree, options) as unknown as NodeJS.WritableStream;
  const steps = kind === 'gzip' ? [createReadStream(archive), createGunzip(), extract] as const : [createReadStream(archive), extract] as const;
  await (pipeline as (...s: unknown[]) => Promise<void>)(...steps).catch((err: NodeJS.ErrnoException) => {
    const what = err.code?.startsWith('Z_') ? `its gzip data is broken (${err.message})` : err.message;
    throw new WerkerError(`could not unpack ${url}: ${what}`, 1, { hint: HINT });
  });
}

/** The unpacked tree, or the one directory it holds when that is all it holds and it has no wercker.yml of its own. */
async function projectRoot(tree: string): Promise<string> {
  const entries = await readdir(tree, { withFileTypes: true });
  const only = entries.length === 1 ? entries[0]! : undefined;
  return only?.isDirectory() ? path.join(tree, only.name) : tree;
}
