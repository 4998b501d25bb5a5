import { splitReference } from '../plan/image-map.ts';
import { parseImageRef } from '../plan/image-ref.ts';
import { mirrorReference, mirrorsFor, pathInRegistry, registryOf, type RegistryMirror } from '../plan/registry-mirrors.ts';
import { probeImage, type ProbeResult } from '../runtime/registry-probe.ts';
import type { ContainerRuntime, PullProgress, RegistryAuth } from '../runtime/runtime.ts';

export interface PullRequest {
  auth?: RegistryAuth;
  mirrors?: readonly RegistryMirror[];
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  /** Where each mirror decision is said: info when the mirror served or lacks the image, warn when it failed. */
  say: (level: 'info' | 'warn', text: string) => void;
}

/**
 * Pulls an image through the registry mirrors of its registry (docs/wercker-compat.md §2.4, a
 * deliberate difference: wercker pulled from the registry the name gives), in the order the
 * config file lists them, then from the registry itself. A mirror that serves it gives the image
 * the name the run asked for; one that lacks it (404) or fails (401, 5xx, no answer) is passed
 * over with a message naming it and its answer, so a run never pulls from a place the user did
 * not name, nor silently.
 */
export async function pullImageVia(runtime: ContainerRuntime, image: string, req: PullRequest): Promise<void> {
  // A digest cannot become a tag on the engine, so an image pinned by digest goes to its registry.
  const mirrors = image.includes('@') ? [] : mirrorsFor(image, req.mirrors);
  const registry = registryOf(image);
  for (const mirror of mirrors) {
    const where = `registry mirror ${mirror.mirror} (${mirror.origin})`;
    const probe = await probeImage(probeTarget(mirror, image), req.signal);
    if (probe.kind !== 'found') {
      req.say(probe.kind === 'status' && probe.status === 404 ? 'info' : 'warn', `${where} ${probeText(probe)} for ${image}; trying ${nextPlace(mirrors, mirror, registry)}`);
      continue;
    }
    const ref = mirrorReference(image, mirror);
    try {
      await runtime.pullImage(ref, pullOptions(req, mirrorAuth(mirror)));
    } catch (err) {
      req.say('warn', `${where} has ${image} but the engine could not pull it (${(err as Error).message}); trying ${nextPlace(mirrors, mirror, registry)}`);
      continue;
    }
    const { repository, tag } = parseImageRef(image);
    await runtime.tagImage(ref, repository, tag);
    // The mirror's name for it is dropped: the run (and later runs) know it by the name it asked for.
    if (ref !== `${repository}:${tag}`) await runtime.removeImage(ref).catch(() => undefined);
    req.say('info', `pulled ${image} from ${where}`);
    return;
  }
  await runtime.pullImage(image, pullOptions(req, req.auth));
}

function probeTarget(mirror: RegistryMirror, image: string) {
  const [host, ...prefix] = mirror.mirror.split('/');
  const parsed = splitReference(image);
  return {
    scheme: mirror.scheme, host: host!,
    repository: [...prefix, pathInRegistry(image)].filter(Boolean).join('/'),
    reference: parsed.digest ?? parsed.tag ?? 'latest',
    ...(mirror.auth ? { auth: mirror.auth } : {}),
    timeoutMs: mirror.timeoutMs,
  };
}

function probeText(p: Exclude<ProbeResult, { kind: 'found' }>): string {
  if (p.kind === 'timeout') return `did not answer within ${p.ms / 1000} s`;
  if (p.kind === 'unreachable') return `could not be reached (${p.message})`;
  if (p.status === 404) return 'has no image (404)';
  if (p.status === 401 || p.status === 403) return `refused the credentials (${p.status}; check username and password-env)`;
  return `answered ${p.status}`;
}

function nextPlace(mirrors: readonly RegistryMirror[], current: RegistryMirror, registry: string): string {
  const next = mirrors[mirrors.indexOf(current) + 1];
  return next ? `the next mirror, ${next.mirror}` : `${registry} itself`;
}

const mirrorAuth = (m: RegistryMirror): RegistryAuth | undefined =>
  m.auth ? { username: m.auth.username, password: m.auth.password, serveraddress: m.mirror.split('/')[0]! } : undefined;

function pullOptions(req: PullRequest, auth: RegistryAuth | undefined) {
  return { ...(auth ? { auth } : {}), ...(req.onProgress ? { onProgress: req.onProgress } : {}), ...(req.signal ? { signal: req.signal } : {}) };
}
