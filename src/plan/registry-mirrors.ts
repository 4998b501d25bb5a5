import { splitReference } from './image-map.ts';

/**
 * A registry mirror from the user config file (`registry-mirrors:`, README "Image map and
 * registry mirrors"): pulls from `registry` are tried at `mirror` first, with the mirror's own
 * credentials, and fall back to the registry itself with a message when the mirror cannot serve.
 */
export interface RegistryMirror {
  /** The registry it stands in for, in normal form: `docker.io`, `ghcr.io`, `registry.example.com:5000`. */
  registry: string;
  /** `host[:port][/path]` the engine pulls from, e.g. `mirror.example.com/hub`. */
  mirror: string;
  /** How werker asks the mirror whether it has an image before the engine pulls (http for loopback hosts unless written). */
  scheme: 'http' | 'https';
  /** Credentials: the password is read from the environment variable the file names (`password-env`). */
  auth?: { username: string; password: string };
  /** How long the mirror may take to answer, in ms. */
  timeoutMs: number;
  /** `file:line` of its entry, for messages. */
  origin: string;
}

/** The registry an image comes from, in normal form (`busybox` → `docker.io`). */
export function registryOf(image: string): string {
  return splitReference(image).name.split('/')[0]!;
}

/** The repository path inside its registry: `busybox` → `library/busybox`. */
export function pathInRegistry(image: string): string {
  const { name } = splitReference(image);
  return name.slice(name.indexOf('/') + 1);
}

/** The reference to pull from the mirror: `busybox` via `127.0.0.1:5001` → `127.0.0.1:5001/library/busybox:latest`. */
export function mirrorReference(image: string, mirror: RegistryMirror): string {
  const ref = splitReference(image);
  const version = ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`;
  return `${mirror.mirror.replace(/\/+$/, '')}/${pathInRegistry(image)}${version}`;
}

/** The mirrors for the image's registry, in the order the file lists them. */
export function mirrorsFor(image: string, mirrors: readonly RegistryMirror[] | undefined): RegistryMirror[] {
  if (!mirrors?.length) return [];
  const registry = registryOf(image);
  return mirrors.filter((m) => m.registry === registry);
}

/** Loopback hosts speak plain http to the engine by default; anything else https. */
export function defaultScheme(host: string): 'http' | 'https' {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name.startsWith('127.') || name === '::1' ? 'http' : 'https';
}
