/**
 * Registry inference (docs/wercker-compat.md §2.4), shared by pulls (the box, services,
 * internal/docker-run) and pushes (internal/docker-push): a `registry` option names the registry
 * of a repository that names none; when both name a host, the repository's wins. Docker Hub's
 * own addresses add no prefix.
 */

const HUB = new Set(['registry.hub.docker.com', 'index.docker.io', 'docker.io', 'registry-1.docker.io', 'hub.docker.com']);

/** Docker Hub's address as the engine's credential store knows it. */
export const HUB_SERVER_ADDRESS = 'https://index.docker.io/v1/';

/** The first part of a reference is a host when it has a dot or a port, or is localhost. */
export function hostOf(ref: string): string | undefined {
  const slash = ref.indexOf('/');
  if (slash < 0) return undefined;
  const first = ref.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
}

/** `https://127.0.0.1:5000/v2/` → `127.0.0.1:5000`: wercker took the option as a URL, werker takes the host. */
export function registryHost(registry: string): string {
  return registry.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

/** `registry` names Docker Hub (or nothing): the repository stays where its name puts it. */
const isHub = (host: string | undefined): boolean => !host || HUB.has(host);

/**
 * The image a pull asks for and the server its credentials are for: a host-less image given with a
 * `registry` is pulled from that registry (`team/app` with `127.0.0.1:5000` →
 * `127.0.0.1:5000/team/app`), so the credentials go there and never to Docker Hub.
 */
export function inferPullImage(image: string, registry: string | undefined): { image: string; serverAddress: string } {
  const own = hostOf(image);
  if (own) return { image, serverAddress: own };
  const host = registry ? registryHost(registry) : undefined;
  if (isHub(host)) return { image, serverAddress: HUB_SERVER_ADDRESS };
  return { image: `${host}/${image}`, serverAddress: host! };
}
