/**
 * Where an image is pushed (docs/wercker-compat.md §2.4 registry inference, with werker's fixes):
 * the repository is lower-cased; a `registry` option gives the host when the repository names none;
 * when both name a host, the repository's wins. Docker Hub's own addresses add no prefix.
 */
export function pushTarget(repository: string, registry?: string): { repo: string; serverAddress: string } {
  const repo = repository.toLowerCase();
  const repoHost = hostOf(repo);
  const regHost = registry ? registryHost(registry) : undefined;
  if (repoHost) return { repo, serverAddress: repoHost };
  if (regHost && !HUB.has(regHost)) return { repo: `${regHost}/${repo}`, serverAddress: regHost };
  return { repo, serverAddress: 'https://index.docker.io/v1/' };
}

const HUB = new Set(['registry.hub.docker.com', 'index.docker.io', 'docker.io', 'registry-1.docker.io', 'hub.docker.com']);

/** The first part of a reference is a host when it has a dot or a port, or is localhost. */
export function hostOf(ref: string): string | undefined {
  const slash = ref.indexOf('/');
  if (slash < 0) return undefined;
  const first = ref.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
}

function registryHost(registry: string): string {
  return registry.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}

/** The name docker-build gives and docker-push / docker-run look for: `<runId><image-name>`. */
export const runScopedImage = (runId: string, name: string): string => `${runId}${name}`.toLowerCase();
