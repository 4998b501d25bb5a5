import { Readable } from 'node:stream';
import { extract, pack, type Header } from 'tar-stream';

export interface StripOptions {
  /** Edits one file on the way (the Dockerfile's FROM lines under --image-map). */
  rewrite?: { name: string; edit: (text: string) => string };
  /** Sees each entry kept, with its new name. */
  onEntry?: (header: Header) => void;
}

/**
 * The engine's archive API names entries `<dir>/…`; a build context or an image layer wants them
 * at its root, so the directory's own entry is dropped and its name stripped from the others.
 */
export function stripTopDir(archive: Readable, opts: StripOptions = {}): Readable {
  const { rewrite, onEntry } = opts;
  const out = pack();
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const name = header.name.split('/').slice(1).join('/');
    if (!name) {
      stream.resume();
      stream.on('end', next);
      return;
    }
    onEntry?.({ ...header, name });
    if (rewrite && header.type === 'file' && name === rewrite.name) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        const body = Buffer.from(rewrite.edit(Buffer.concat(chunks).toString('utf8')));
        out.entry({ ...header, name, size: body.length }, body, next);
      });
      return;
    }
    // A hard link names its target by path too.
    const linkname = header.type === 'link' && header.linkname ? header.linkname.split('/').slice(1).join('/') : header.linkname;
    stream.pipe(out.entry({ ...header, name, linkname }, next) as unknown as NodeJS.WritableStream);
  });
  ex.on('finish', () => out.finalize());
  ex.on('error', (err) => out.destroy(err));
  archive.on('error', (err) => out.destroy(err));
  archive.pipe(ex as unknown as NodeJS.WritableStream);
  return Readable.from(out);
}
