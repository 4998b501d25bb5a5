/**
 * Image map rules, `FROM=TO` (docs/wercker-compat.md §6.4, werker): the same rules come from
 * `--image-map`, `WERKER_IMAGE_MAP` and the user's config file (`image-map:`), and each keeps
 * where it was written so `werker plan` can say which rule mapped an image.
 *
 * - `FROM=TO` with exact names: FROM without a tag matches every tag (and digest) of that
 *   repository, FROM with a tag that tag only; TO is the image to run, as written (`latest` when
 *   it names no tag), so one stand-in serves every tag (`mdillon/postgis=werker-test/postgis`).
 * - `PREFIX/*=OTHER/*`: every repository under PREFIX runs as the same path under OTHER, with its
 *   tag or digest kept (`docker.io/library/*=mirror.example.com/hub/*`).
 * Names compare in Docker's normal form: `busybox` is `docker.io/library/busybox`.
 */

/** Where a rule was written: a flag, the environment, or a line of the config file. */
export type RuleOrigin =
  | { kind: 'flag' }
  | { kind: 'env' }
  | { kind: 'file'; file: string; line: number; col: number };

export interface ImageMapRule {
  from: string;
  to: string;
  origin: RuleOrigin;
}

/** A malformed rule: the message names the rule and where it was written. */
export class ImageMapRuleError extends Error {
  constructor(readonly rule: string, readonly origin: RuleOrigin, readonly reason: string) {
    super(`image map rule "${rule}" (${describeOrigin(origin)}): ${reason}`);
  }
}

export const IMAGE_MAP_ENV = 'WERKER_IMAGE_MAP';

export function describeOrigin(origin: RuleOrigin): string {
  if (origin.kind === 'flag') return '--image-map';
  if (origin.kind === 'env') return IMAGE_MAP_ENV;
  return `${origin.file}:${origin.line}`;
}

/** Checks one `FROM=TO` text and returns the rule; throws ImageMapRuleError naming it. */
export function parseRule(text: string, origin: RuleOrigin): ImageMapRule {
  const rule = text.trim();
  const eq = rule.indexOf('=');
  if (eq < 0) throw new ImageMapRuleError(rule, origin, 'expected FROM=TO (e.g. mdillon/postgis=registry.example.com/postgis)');
  const from = rule.slice(0, eq).trim();
  const to = rule.slice(eq + 1).trim();
  if (!from || !to || to.includes('=')) throw new ImageMapRuleError(rule, origin, 'expected exactly one FROM and one TO around a single "="');
  const fromGlob = isPrefixRule(from);
  const toGlob = isPrefixRule(to);
  if (fromGlob !== toGlob) {
    throw new ImageMapRuleError(rule, origin, 'a repository prefix ends in "/*" on both sides (docker.io/library/*=mirror.example.com/hub/*), not on one only');
  }
  const stray = (s: string) => (fromGlob ? s.slice(0, -2) : s).includes('*');
  if (stray(from) || stray(to)) throw new ImageMapRuleError(rule, origin, '"*" may only end a repository prefix, as in docker.io/library/*');
  if (/\s/.test(from) || /\s/.test(to)) throw new ImageMapRuleError(rule, origin, 'an image name has no spaces');
  return { from, to, origin };
}

/** `WERKER_IMAGE_MAP`: rules separated by spaces, commas or newlines (image names hold none). */
export const splitRuleList = (text: string | undefined): string[] => (text ?? '').split(/[\s,]+/).filter(Boolean);

const isPrefixRule = (side: string): boolean => side.endsWith('/*');

/** A reference in parts: `name` is the normalised repository (`docker.io/library/busybox`). */
interface NamedRef {
  name: string;
  tag?: string;
  digest?: string;
}

/** Docker's normal form of a repository: registry host first, `library/` for official images. */
export function normalizeRepository(repository: string): string {
  const first = repository.split('/')[0]!;
  const hasHost = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost) return first === 'index.docker.io' ? `docker.io${repository.slice(first.length)}` : repository;
  return repository.includes('/') ? `docker.io/${repository}` : `docker.io/library/${repository}`;
}

export function splitReference(ref: string): NamedRef {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const out: NamedRef = { name: normalizeRepository(colon > slash ? rest.slice(0, colon) : rest) };
  if (colon > slash) out.tag = rest.slice(colon + 1);
  if (digest) out.digest = digest;
  return out;
}

const suffix = (r: { tag?: string | undefined; digest?: string | undefined }): string => `${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;

/** The image TO runs in place of `ref` under one rule, or undefined when the rule does not match. */
export function applyRule(ref: string, rule: ImageMapRule): string | undefined {
  const image = splitReference(ref);
  if (isPrefixRule(rule.from)) {
    const prefix = `${normalizeRepository(`${rule.from.slice(0, -2)}/x`).slice(0, -2)}/`;
    if (!image.name.startsWith(prefix)) return undefined;
    return `${rule.to.slice(0, -2)}/${image.name.slice(prefix.length)}${suffix(image)}`;
  }
  const from = splitReference(rule.from);
  if (from.name !== image.name) return undefined;
  const to = splitReference(rule.to);
  const toWritten = rule.to.slice(0, rule.to.length - suffix(to).length);
  const imageTag = image.tag ?? (image.digest ? undefined : 'latest');
  if (from.tag && from.tag !== imageTag) return undefined;
  if (from.digest && from.digest !== image.digest) return undefined;
  // TO names an image: one stand-in for every tag (`mdillon/postgis=werker-test/postgis`).
  return `${toWritten}${suffix(to.tag || to.digest ? to : { tag: 'latest' })}`;
}

export interface MappedImage {
  image: string;
  /** The rule that mapped it; absent when no rule matched. */
  rule?: ImageMapRule;
}

/** The first matching rule wins; rules come flags first, then the environment, then the file. */
export function resolveImage(ref: string, rules: readonly ImageMapRule[]): MappedImage {
  for (const rule of rules) {
    const image = applyRule(ref, rule);
    if (image !== undefined) return { image, rule };
  }
  return { image: ref };
}

