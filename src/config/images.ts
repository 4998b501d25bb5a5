import type { DiagnosticBag, PathPart } from './diagnostics.ts';
import { IMAGE_FIELD_CHECKS } from './field-checks.ts';
import type { DeferredProblem, ImageSpec, PipelineSpec } from './schema.ts';
import { lenientEntries } from './lenient.ts';
import { scalarText } from './scalars.ts';
import type { YNode } from './yaml-tree.ts';

/** The image keys that only log in to the registry (the keys reaching it are already known image fields). */
const isAuthKey = (k: string): boolean => k === 'username' || k === 'password' || k === 'registry' || k.startsWith('aws-') || k.startsWith('azure-');

/**
 * A box or service: a string is the image id; a mapping is read leniently (docs/wercker-compat.md
 * §2.4). Returns undefined (with a warning) when the value is not usable at all.
 */
export function normalizeImage(node: YNode, path: PathPart[], bag: DiagnosticBag, what: 'box' | 'service'): ImageSpec | undefined {
  const at = { line: node.span.line, col: node.span.col };
  if (node.kind === 'scalar') {
    const id = scalarText(node) ?? '';
    if (id.trim() === '') {
      bag.warn('empty-image', node.span, path, `the ${what} is empty; wercker treated it as missing`);
      return undefined;
    }
    return { id: id.trim(), env: {}, ports: [], auth: {}, at };
  }
  if (node.kind === 'seq') {
    bag.warn('ignored-value', node.span, path, `a ${what} is a string or a mapping, not a list; wercker ignored it and so does werker`);
    return undefined;
  }
  const fields = lenientEntries(node, IMAGE_FIELD_CHECKS, path, bag, `a ${what}`);
  const idEntry = fields.get('id');
  const id = idEntry ? scalarText(idEntry.value)?.trim() : undefined;
  if (!id) {
    bag.warn('missing-image-id', node.span, [...path, 'id'], `the ${what} has no "id" (the image to run); wercker treated it as missing`);
    return undefined;
  }
  const spec: ImageSpec = { id, env: {}, ports: [], auth: {}, at };
  for (const [key, entry] of fields) {
    const value = entry.value;
    if (key === 'id') continue;
    if (key === 'env' && value.kind === 'map') {
      for (const e of value.entries) spec.env[e.key.toUpperCase()] = scalarText(e.value) ?? '';
    } else if (key === 'ports' && value.kind === 'seq') {
      spec.ports = value.items.map((p) => scalarText(p) ?? '');
    } else if (key === 'wait' && value.kind === 'map') {
      spec.wait = Object.fromEntries(value.entries.map((e) => [e.key, scalarText(e.value) ?? '']));
    } else if (isAuthKey(key)) {
      spec.auth[key] = scalarText(value) ?? '';
    } else {
      const text = scalarText(value);
      if (text !== undefined && (key === 'tag' || key === 'name' || key === 'cmd' || key === 'entrypoint' || key === 'volumes' || key === 'url')) {
        spec[key] = text;
      }
    }
  }
  return spec;
}

/**
 * wercker refused an image id with `@` (a wercker-classic box such as `owner/box@1.0.0`), but
 * only when it built the box of the pipeline being run (docs/wercker-compat.md §2.4): a file
 * whose pipelines all bring their own box ran fine. So the check is per pipeline (an error for
 * the one run, a warning otherwise), plus a warning for a file-level image no pipeline uses.
 */
const INVALID_IMAGE = {
  code: 'invalid-image',
  hint: '"owner/name@version" is a wercker-classic box; name a Docker image by repository and tag, e.g. "node:20"',
};
const invalidImageMessage = (what: string) => `Invalid ${what} name, '@' is not allowed in docker repositories`;

/** The images a pipeline would use (its box and services, else the file's) that wercker refused. */
export function imageProblems(config: { box?: ImageSpec; services: ImageSpec[] }, pipeline: PipelineSpec): DeferredProblem[] {
  const used: [ImageSpec, string, string][] = [];
  const box = pipeline.box ?? config.box;
  if (box) used.push([box, pipeline.box ? `${pipeline.name}.box` : 'box', 'box']);
  const services = pipeline.services ?? config.services;
  services.forEach((s, i) => used.push([s, pipeline.services ? `${pipeline.name}.services.${i}` : `services.${i}`, 'service']));
  return used.filter(([image]) => image.id.includes('@')).map(([image, path, what]) => ({
    code: INVALID_IMAGE.code, path, at: image.at, hint: INVALID_IMAGE.hint,
    message: `${invalidImageMessage(what)} (pipeline ${pipeline.name} uses "${image.id}")`,
  }));
}

/** File-level images with `@` that no pipeline uses: harmless in wercker, worth a warning. */
export function unusedImageWarnings(config: { box?: ImageSpec; services: ImageSpec[]; pipelines: Record<string, PipelineSpec> }, bag: DiagnosticBag): void {
  const pipelines = Object.values(config.pipelines);
  const warn = (image: ImageSpec, path: PathPart[], what: string) => bag.warn(INVALID_IMAGE.code, { ...image.at, offset: 0, end: 0 }, path,
    `${invalidImageMessage(what)}; no pipeline uses this ${what} (each has its own), so wercker never refused it`, INVALID_IMAGE.hint);
  if (config.box?.id.includes('@') && pipelines.every((p) => p.box)) warn(config.box, ['box'], 'box');
  if (pipelines.every((p) => p.services)) {
    config.services.forEach((s, i) => s.id.includes('@') && warn(s, ['services', i], 'service'));
  }
}

/** A services list: null is an empty list; unusable items are left out with a warning. */
export function normalizeServices(node: YNode, path: PathPart[], bag: DiagnosticBag): ImageSpec[] | undefined {
  if (node.kind === 'scalar' && node.value === null) return [];
  if (node.kind !== 'seq') {
    bag.warn('ignored-value', node.span, path, 'services must be a list; wercker ignored this value and so does werker');
    return undefined;
  }
  const out: ImageSpec[] = [];
  node.items.forEach((item, i) => {
    const svc = normalizeImage(item, [...path, i], bag, 'service');
    if (svc) out.push(svc);
  });
  return out;
}
