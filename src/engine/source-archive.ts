import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import ignore from 'ignore';
import tar from 'tar-fs';

/**
 * The project as a tar stream for the box (spec §4.3 copy mode): `.git` included, symlinks kept
 * as links, the working dir and the ignore file's matches (gitignore syntax) left out. Entries are
 * owned by root, as wercker's `cp -r` inside the box made them.
 */
export function packSource(projectDir: string, opts: { ignoreFile: string; workingDir: string }): Readable {
  const rules = ignore();
  const ignoreFile = path.resolve(projectDir, opts.ignoreFile);
  if (existsSync(ignoreFile)) rules.add(readFileSync(ignoreFile, 'utf8'));
  const workingDir = path.resolve(opts.workingDir);
  // A deploy's source is a build output inside the working dir: then nothing is excluded for it.
  const project = path.resolve(projectDir);
  const excludeWorkingDir = !(project === workingDir || project.startsWith(workingDir + path.sep));
  // tar-fs and tar-stream produce streamx streams; Readable.from gives the node stream dockerode pipes.
  return Readable.from(tar.pack(projectDir, {
    ignore: (name) => {
      const abs = path.resolve(name);
      if (excludeWorkingDir && (abs === workingDir || abs.startsWith(workingDir + path.sep))) return true;
      const rel = path.relative(projectDir, abs);
      if (!rel || rel.startsWith('..')) return false;
      const relPosix = rel.split(path.sep).join('/');
      return rules.ignores(relPosix);
    },
    map: (header) => {
      header.uid = 0;
      header.gid = 0;
      return header;
    },
  }));
}
