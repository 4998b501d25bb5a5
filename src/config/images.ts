import type { DiagnosticBag, PathPart } from './diagnostics.ts';
import { ImageObjectInput, type ImageSpec } from './schema.ts';
import { lenientEntries } from './lenient.ts';
import { scalarText } from './scalars.ts';
import type { YNode } from './yaml-tree.ts';

const AUTH_KEYS = new Set(Object.keys(ImageObjectInput.shape).filter((k) => k === 'username' || k === 'password' || k === 'registry' || k.startsWith('aws-') || k.startsWith('azure-')));

/**
 * A box or service: a string is the image id; a mapping is read leniently (spec §2.4).
 * Returns undefined (with a warning) when the value is not usable at all.
 */
export function normalizeImage(node: YNode, path: PathPart[], bag: DiagnosticBag, what: 'box' | 'service'): ImageSpec | undefined {
  const at = { line: node.span.line, col: node.span.col };
  if (node.kind === 'scalar') {
    const id = scalarText(node) ?? '';
    if (id.trim() === '') {
      bag.warn('empty-image', node.span, path, `the ${what} is empty; wercker treated it as missing`);
      return undefined;
    }
    return checkId({ id: id.trim(), env: {}, ports: [], auth: {}, at }, node, path, bag, what);
  }
  if (node.kind === 'seq') {
    bag.warn('ignored-value', node.span, path, `a ${what} is a string or a mapping, not a list; wercker ignored it and so does werker`);
    return undefined;
  }
  const fields = lenientEntries(node, ImageObjectInput.shape, path, bag, `a ${what}`);
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
    } else if (AUTH_KEYS.has(key)) {
      spec.auth[key] = scalarText(value) ?? '';
    } else {
      const text = scalarText(value);
      if (text !== undefined && (key === 'tag' || key === 'name' || key === 'cmd' || key === 'entrypoint' || key === 'volumes' || key === 'url')) {
        spec[key] = text;
      }
    }
  }
  return checkId(spec, idEntry!.value, [...path, 'id'], bag, what);
}

function checkId(spec: ImageSpec, node: YNode, path: PathPart[], bag: DiagnosticBag, what: string): ImageSpec | undefined {
  if (spec.id.includes('@')) {
    bag.error('invalid-image', node.span, path, `Invalid ${what} name, '@' is not allowed in docker repositories`,
      'name the image by repository and tag, e.g. "node:20"');
    return undefined;
  }
  return spec;
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
