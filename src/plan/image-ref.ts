import { resolveImage, type ImageMapRule } from './image-map.ts';

/**
 * An image reference split properly (werker fixes wercker's split-on-':' which broke
 * `host:5000/img`, docs/wercker-compat.md §9.9): the tag is the part after the last ':' that
 * follows the last '/'.
 */
export interface ImageRef {
  repository: string;
  tag: string;
}

export function parseImageRef(ref: string, tagOverride?: string): ImageRef {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > slash;
  const repository = hasTag ? ref.slice(0, colon) : ref;
  const tag = tagOverride || (hasTag ? ref.slice(colon + 1) : '') || 'latest';
  return { repository, tag };
}

/** The repository lower-cased (docs/wercker-compat.md §2.4): engines refuse upper case in it. */
export const lowerRepository = (r: ImageRef): ImageRef => ({ ...r, repository: r.repository.toLowerCase() });

export const formatImageRef = (r: ImageRef): string => `${r.repository}:${r.tag}`;

/** The last path part of the repository: `mdillon/postgis:2.1` → `postgis`. */
export const shortName = (ref: string): string => {
  const { repository } = parseImageRef(ref);
  return repository.slice(repository.lastIndexOf('/') + 1);
};

/**
 * An image a run asks the engine for on the user's behalf (a docker-run image, a Dockerfile's
 * FROM) after the image map (docs/wercker-compat.md §6.4): the mapped reference, else the one given as it is.
 */
export function mapImageName(ref: string, rules: readonly ImageMapRule[]): string {
  return rules.length ? resolveImage(ref, rules).image : ref;
}
