import { extract } from 'tar-stream';
import type { ContainerRuntime } from '../runtime/runtime.ts';

/**
 * Reads one small file out of a container through the archive API, which works whether or not
 * the container is running (a step that ended the shell has stopped it). undefined if missing.
 */
export async function readContainerFile(runtime: ContainerRuntime, containerId: string, file: string, maxBytes = 64 * 1024): Promise<string | undefined> {
  let tar;
  try {
    tar = await runtime.getArchive(containerId, file);
  } catch {
    return undefined;
  }
  const ex = extract();
  let content: string | undefined;
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: unknown) => {
      const chunk = c as Buffer;
      if (size < maxBytes) chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => {
      if (header.type === 'file' && content === undefined) content = Buffer.concat(chunks).toString('utf8').slice(0, maxBytes);
      next();
    });
    stream.resume();
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    tar.on('error', reject);
    tar.pipe(ex as unknown as NodeJS.WritableStream);
  });
  return content;
}
