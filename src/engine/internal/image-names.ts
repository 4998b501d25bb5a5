import { inferPullImage } from '../../plan/registry-host.ts';

/**
 * Where an image is pushed (docs/wercker-compat.md §2.4 registry inference, with werker's fixes):
 * the repository is lower-cased; a `registry` option gives the host when the repository names none;
 * when both name a host, the repository's wins. Docker Hub's own addresses add no prefix.
 */
export function pushTarget(repository: string, registry?: string): { repo: string; serverAddress: string } {
  const { image, serverAddress } = inferPullImage(repository.toLowerCase(), registry);
  return { repo: image, serverAddress };
}

/** The name docker-build gives and docker-push / docker-run look for: `<runId><image-name>`. */
export const runScopedImage = (runId: string, name: string): string => `${runId}${name}`.toLowerCase();
