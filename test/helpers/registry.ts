/** The local registry scripts/setup-registry.sh starts (test-only credentials). */
export const REGISTRY = {
  host: '127.0.0.1:5000',
  username: 'werker',
  password: 'werker-test-registry',
} as const;

/** Removes tags of a repository from the local registry (by the digest each points at), so test runs leave nothing behind. */
export async function deleteRegistryTags(repo: string, tags: string[]): Promise<void> {
  const auth = `Basic ${Buffer.from(`${REGISTRY.username}:${REGISTRY.password}`).toString('base64')}`;
  for (const tag of tags) {
    const head = await fetch(`http://${REGISTRY.host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { authorization: auth, accept: 'application/vnd.docker.distribution.manifest.v2+json' } }).catch(() => undefined);
    const digest = head?.headers.get('docker-content-digest');
    if (digest) await fetch(`http://${REGISTRY.host}/v2/${repo}/manifests/${digest}`, { method: 'DELETE', headers: { authorization: auth } }).catch(() => undefined);
  }
}
