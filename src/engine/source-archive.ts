import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import ignore from 'ignore';

/** Says whether a path (absolute) is left out of the archive. */
type Excluded = (abs: string) => boolean;

/**
 * The project as a tar stream for the box (docs/wercker-compat.md §4.3 copy mode): `.git` included,
 * symlinks kept as links, the working dir and the ignore file's matches (gitignore syntax) left
 * out. Entries are owned by root, as wercker's `cp -r` inside the box made them.
 *
 * With GNU tar on the PATH, werker decides what goes in (the same rules, asked of the same paths
 * as below) and tar packs it: packing file by file in Node, with a round trip to the thread pool
 * for each stat, open, read and close, was the bottleneck of copying a large tree. Without GNU
 * tar, tar-fs packs it in-process. Both give the same entries.
 */
export function packSource(projectDir: string, opts: { ignoreFile: string; workingDir: string; packer?: 'gnu-tar' | 'tar-fs' }): Readable {
  const excluded = exclusions(projectDir, opts);
  const packer = opts.packer ?? (findGnuTar() ? 'gnu-tar' : 'tar-fs');
  return packer === 'gnu-tar' ? packWithTar('tar', projectDir, excluded) : packInProcess(projectDir, excluded);
}

function exclusions(projectDir: string, opts: { ignoreFile: string; workingDir: string }): Excluded {
  const rules = ignore();
  const ignoreFile = path.resolve(projectDir, opts.ignoreFile);
  if (existsSync(ignoreFile)) rules.add(readFileSync(ignoreFile, 'utf8'));
  const workingDir = path.resolve(opts.workingDir);
  // A deploy's source is a build output inside the working dir: then nothing is excluded for it.
  const project = path.resolve(projectDir);
  const excludeWorkingDir = !(project === workingDir || project.startsWith(workingDir + path.sep));
  return (abs) => {
    if (excludeWorkingDir && (abs === workingDir || abs.startsWith(workingDir + path.sep))) return true;
    const rel = path.relative(project, abs);
    if (!rel || rel.startsWith('..')) return false;
    const relPosix = rel.split(path.sep).join('/');
    return rules.ignores(relPosix);
  };
}

function packInProcess(projectDir: string, excluded: Excluded): Readable {
  // Loaded only here (the fallback), not with every run's modules. tar-fs produces a streamx
  // stream; Readable.from gives the node stream dockerode pipes.
  async function* archive(): AsyncGenerator<Buffer> {
    const { default: tar } = await import('tar-fs');
    yield* tar.pack(projectDir, {
      ignore: (name) => excluded(path.resolve(name)),
      map: (header) => {
        header.uid = 0;
        header.gid = 0;
        return header;
      },
    }) as unknown as AsyncIterable<Buffer>;
  }
  return Readable.from(archive());
}

let gnuTarFound: boolean | undefined;

/** Whether `tar` on the PATH is GNU tar (the options below are GNU's); asked once per process. */
export function findGnuTar(): boolean {
  if (gnuTarFound === undefined) {
    const probe = spawnSync('tar', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    gnuTarFound = probe.status === 0 && probe.stdout.includes('GNU tar');
  }
  return gnuTarFound;
}

/**
 * GNU tar packs exactly the names werker lists on its stdin (NUL-separated, read as they come,
 * so packing starts while the tree is still being walked). As tar-fs: no recursion of its own,
 * symlinks stored as links, a hard link stored as a file, owner and group root.
 */
function packWithTar(tarPath: string, projectDir: string, excluded: Excluded): Readable {
  const child = spawn(tarPath, [
    '--create', '--file=-', `--directory=${projectDir}`, '--no-recursion', '--null', '--verbatim-files-from', '--files-from=-',
    '--owner=0', '--group=0', '--numeric-owner', '--hard-dereference',
    // 64 kB records (the default is 10 kB): a pipe's worth per write, so werker relays a fifth as many chunks.
    '--blocking-factor=128',
  ], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr = (stderr + t).slice(-2000)));
  child.stdin.on('error', () => {}); // tar that died is reported by its exit status
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const spawnFailed = once(child, 'error').then(([err]) => Promise.reject(err as Error));
  spawnFailed.catch(() => undefined);
  // A walk that fails (an unreadable directory) stops tar, and its error is the stream's.
  let walkError: Error | undefined;
  void listTree(path.resolve(projectDir), excluded, child.stdin).then(() => void child.stdin.end(), (err: Error) => {
    walkError = err;
    child.kill();
  });

  async function* archive(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
      const [code, signal] = await Promise.race([exited, spawnFailed]);
      if (walkError) throw walkError;
      // 1 is tar's "some files changed while being read": the archive is still whole.
      if (code === null || code > 1) throw new Error(`tar could not pack ${projectDir} (${code === null ? signal : `exit ${code}`}): ${stderr.trim()}`);
    } finally {
      if (child.exitCode === null) child.kill();
    }
  }
  const stream = Readable.from(archive());
  // A stream destroyed before it was read to the end (the copy failed, the run was cancelled)
  // ends tar too: the generator's `finally` runs only once reading has started.
  stream.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return stream;
}

/**
 * Writes the archive's names to tar: the project dir itself (`.`), then depth first each entry
 * not excluded, a directory before what it holds; an excluded directory is not entered. The
 * same paths are asked of `excluded` as tar-fs asks its `ignore`.
 */
async function listTree(root: string, excluded: Excluded, out: Writable): Promise<void> {
  const write = async (name: string) => {
    if (!out.write(`${name}\0`)) await once(out, 'drain');
  };
  await write('.');
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(rel ? path.join(root, rel) : root, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (excluded(path.join(root, name))) continue;
      await write(name);
      if (entry.isDirectory()) await walk(name);
    }
  };
  await walk('');
}

/**
 * The archive passed through, hashed on its way (the snapshot's source tree hash,
 * docs/wercker-compat.md §8.4): `digest()` once it has been read to the end.
 */
export function hashingStream(source: Readable): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  source.on('error', (err) => stream.destroy(err));
  source.pipe(stream);
  return { stream, digest: () => hash.digest('hex').slice(0, 16) };
}
