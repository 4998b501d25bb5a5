import { existsSync, readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { DiagnosticBag, type PathPart } from '../config/diagnostics.ts';
import { ImageMapRuleError, parseRule, type ImageMapRule } from './image-map.ts';
import { defaultScheme, type RegistryMirror } from './registry-mirrors.ts';

/**
 * The machine-level image settings of the user's config file (the one step sources use,
 * `$XDG_CONFIG_HOME/werker/config.yml`; docs/wercker-compat.md §6.4, werker):
 *
 * ```yaml
 * image-map:
 *   - docker.io/library/*=mirror.example.com/hub/*
 *   - mdillon/postgis=werker-test/postgis:latest
 * registry-mirrors:
 *   docker.io: 127.0.0.1:5001                 # a mirror with no credentials (or a list, tried in order)
 *   ghcr.io:
 *     mirror: harbor.example.com/ghcr
 *     username: ci
 *     password-env: HARBOR_PASSWORD            # the password is read from this variable, never written here
 *     timeout: 10                              # seconds (default 10)
 * ```
 * Other keys (step-sources, github-base, …) belong to other readers and are left alone.
 */
export interface MachineSettings {
  file: string;
  text: string;
  rules: ImageMapRule[];
  mirrors: RegistryMirror[];
  diagnostics: DiagnosticBag;
}

const DEFAULT_MIRROR_TIMEOUT_S = 10;
const MIRROR_KEYS = new Set(['mirror', 'username', 'password-env', 'timeout']);

/** Reads the file (absent: nothing); every problem is a diagnostic with file:line:col. */
export function readMachineSettings(file: string, env: NodeJS.ProcessEnv = process.env): MachineSettings | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const bag = new DiagnosticBag(file);
  const at = (node: Node | null | undefined) => {
    const offset = node?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col, offset, end: node?.range?.[1] ?? offset };
  };
  const out: MachineSettings = { file, text, rules: [], mirrors: [], diagnostics: bag };
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    bag.error('yaml-syntax', { line: pos.line, col: pos.col, offset: e.pos[0], end: e.pos[1] }, [], e.message.split('\n')[0]!);
  }
  if (bag.hasErrors || doc.contents === null) return out;
  if (!isMap(doc.contents)) {
    bag.error('invalid-settings', at(doc.contents), [], 'the user config file is a mapping (image-map:, registry-mirrors:, step-sources:, …)');
    return out;
  }
  const map = doc.contents.get('image-map', true) as Node | undefined;
  if (map !== undefined) out.rules = readRules(map, file, at, bag);
  const mirrors = doc.contents.get('registry-mirrors', true) as Node | undefined;
  const hidden: Node[] = [];
  if (mirrors !== undefined) out.mirrors = readMirrors(mirrors, file, at, bag, env, hidden);
  // A password written inline is refused, and never shown back in the error's code frame.
  out.text = maskRanges(text, hidden.map((n) => n?.range).filter((r) => r !== undefined && r !== null));
  return out;
}

type At = (node: Node | null | undefined) => { line: number; col: number; offset: number; end: number };

function readRules(node: Node, file: string, at: At, bag: DiagnosticBag): ImageMapRule[] {
  if (isScalar(node) && node.value === null) return [];
  if (!isSeq(node)) {
    bag.error('invalid-image-map', at(node), ['image-map'], 'image-map is a list of FROM=TO rules', 'image-map:\n  - docker.io/library/*=mirror.example.com/hub/*');
    return [];
  }
  const rules: ImageMapRule[] = [];
  node.items.forEach((item, i) => {
    const where = at(item as Node);
    if (!isScalar(item) || typeof item.value !== 'string') {
      bag.error('invalid-image-map', where, ['image-map', i], 'each image-map entry is one FROM=TO string');
      return;
    }
    try {
      rules.push(parseRule(item.value, { kind: 'file', file, line: where.line, col: where.col }));
    } catch (err) {
      if (!(err instanceof ImageMapRuleError)) throw err;
      bag.error('invalid-image-map', where, ['image-map', i], `"${err.rule}": ${err.reason}`);
    }
  });
  return rules;
}

function readMirrors(node: Node, file: string, at: At, bag: DiagnosticBag, env: NodeJS.ProcessEnv, hidden: Node[]): RegistryMirror[] {
  if (isScalar(node) && node.value === null) return [];
  if (!isMap(node)) {
    bag.error('invalid-registry-mirrors', at(node), ['registry-mirrors'], 'registry-mirrors maps a registry to its mirror', 'registry-mirrors:\n  docker.io: mirror.example.com');
    return [];
  }
  const out: RegistryMirror[] = [];
  for (const pair of node.items) {
    const key = pair.key as Node;
    const registry = isScalar(key) ? String(key.value) : '';
    const path: PathPart[] = ['registry-mirrors', registry];
    // One mirror, or a list tried in order.
    const value = pair.value as Node | null;
    const entries: [Node | null, PathPart[], Node][] = isSeq(value) ? value.items.map((item, i) => [item as Node, [...path, i], item as Node]) : [[value, path, key]];
    for (const [node, where, line] of entries) {
      const mirror = readMirror(registry, node, where, `${file}:${at(line).line}`, at, bag, env, hidden);
      if (mirror) out.push(mirror);
    }
  }
  return out;
}

function readMirror(registry: string, value: Node | null, path: PathPart[], origin: string, at: At, bag: DiagnosticBag, env: NodeJS.ProcessEnv, hidden: Node[]): RegistryMirror | undefined {
  const fields = new Map<string, Node>();
  if (isScalar(value) && typeof value.value === 'string') fields.set('mirror', value);
  else if (isMap(value)) {
    for (const p of value.items) {
      const k = String((p.key as Node & { value?: unknown }).value);
      if (k === 'password') {
        hidden.push(p.value as Node);
        bag.error('inline-password', at(p.key as Node), [...path, k], 'a mirror\'s password is not written in the config file',
          'name an environment variable that holds it: password-env: MIRROR_PASSWORD');
      } else if (!MIRROR_KEYS.has(k)) bag.error('unknown-key', at(p.key as Node), [...path, k], `unknown key "${k}" (mirror, username, password-env, timeout)`);
      else fields.set(k, p.value as Node);
    }
  } else {
    bag.error('invalid-registry-mirrors', at(value), path, 'a mirror is a host[:port][/path], or a mapping with mirror:, username:, password-env:, timeout:');
    return undefined;
  }
  const text = (k: string) => {
    const n = fields.get(k);
    return isScalar(n) && n.value !== null ? String(n.value).trim() : undefined;
  };
  const hostText = text('mirror');
  if (!hostText) {
    bag.error('invalid-registry-mirrors', at(value), [...path, 'mirror'], 'the mirror has no address (mirror: host[:port][/path])');
    return undefined;
  }
  const scheme = /^(https?):\/\//.exec(hostText)?.[1] as 'http' | 'https' | undefined;
  const mirrorHost = hostText.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const timeout = fields.has('timeout') ? Number(text('timeout')) : DEFAULT_MIRROR_TIMEOUT_S;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    bag.error('invalid-registry-mirrors', at(fields.get('timeout')), [...path, 'timeout'], 'timeout is a number of seconds');
    return undefined;
  }
  const mirror: RegistryMirror = {
    registry: normalizeRegistry(registry), mirror: mirrorHost, scheme: scheme ?? defaultScheme(mirrorHost.split('/')[0]!), timeoutMs: timeout * 1000, origin,
  };
  const username = text('username');
  const passwordEnv = text('password-env');
  if (passwordEnv && !username) bag.error('invalid-registry-mirrors', at(fields.get('password-env')), [...path, 'password-env'], 'password-env needs a username');
  if (username) {
    const password = passwordEnv ? env[passwordEnv] : '';
    if (passwordEnv && password === undefined) {
      bag.warn('unset-password-env', at(fields.get('password-env')), [...path, 'password-env'], `${passwordEnv} is not set; the mirror is asked without a password`);
    }
    mirror.auth = { username, password: password ?? '' };
  }
  return mirror;
}

/** `index.docker.io` and `registry-1.docker.io` are Docker Hub, as `docker.io` is. */
export function normalizeRegistry(registry: string): string {
  const r = registry.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return r === 'index.docker.io' || r === 'registry-1.docker.io' ? 'docker.io' : r;
}

function maskRanges(text: string, ranges: readonly (readonly [number, number, number])[]): string {
  let out = text;
  for (const [start, end] of [...ranges].sort((a, b) => b[0] - a[0])) out = `${out.slice(0, start)}***${out.slice(end)}`;
  return out;
}
