import { mapImageName } from '../../plan/image-ref.ts';
import type { ImageMapRule } from '../../plan/image-map.ts';

const FROM_LINE = /^(\s*FROM\s+)((?:--\S+\s+)*)(\S+)(.*)$/i;

/**
 * A Dockerfile with its base images mapped by the image map (docs/wercker-compat.md §6.3): a FROM
 * image is pulled on the user's behalf, like the box. Earlier stages named with `AS`, references
 * built from ARGs (`$BASE`) and `scratch` stay as written.
 */
export function mapDockerfileFrom(text: string, maps: readonly ImageMapRule[]): string {
  if (!maps.length) return text;
  const stages = new Set<string>();
  return text.split('\n').map((line) => {
    const m = FROM_LINE.exec(line);
    if (!m) return line;
    const [, head, flags, image, rest] = m as unknown as [string, string, string, string, string];
    const stage = /^\s+AS\s+(\S+)/i.exec(rest)?.[1];
    const keep = stages.has(image.toLowerCase()) || image.includes('$') || image.toLowerCase() === 'scratch';
    if (stage) stages.add(stage.toLowerCase());
    return keep ? line : `${head}${flags}${mapImageName(image, maps)}${rest}`;
  }).join('\n');
}
