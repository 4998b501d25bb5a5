import { validateConfig, type ValidateResult } from '../config/validate.ts';
import { configLimits, type ServerLimits } from './limits.ts';
import type { RepoMirrors } from './repos.ts';

/** How many (application, commit) readings are kept: page views and workflow steps read the same ones. */
const CACHE_SIZE = 64;

/**
 * The wercker.yml of an application at a commit, as the server reads it: from the mirror,
 * refused unread when larger than the limit, parsed within the node and time limits (a
 * hostile file costs at most `configMs` once), and remembered per commit (a commit's file never
 * changes), so an alias bomb can't stall the server on every page view.
 */
export class ServerConfigReader {
  readonly #cache = new Map<string, ValidateResult | undefined>();

  constructor(readonly mirrors: RepoMirrors, readonly limits: ServerLimits) {}

  /** Undefined: the commit has no wercker.yml. */
  async read(appId: number, commit: string): Promise<ValidateResult | undefined> {
    const key = `${appId}:${commit}`;
    if (this.#cache.has(key)) return this.#cache.get(key);
    const result = await this.#readNow(appId, commit);
    this.#cache.set(key, result);
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    return result;
  }

  /** Forgets an application's readings (it was deleted; its ids may come back). */
  forget(appId: number): void {
    for (const key of this.#cache.keys()) if (key.startsWith(`${appId}:`)) this.#cache.delete(key);
  }

  async #readNow(appId: number, commit: string): Promise<ValidateResult | undefined> {
    const size = await this.mirrors.fileSize(appId, commit, 'wercker.yml');
    if (size === undefined) return undefined;
    const limits = configLimits(this.limits);
    if (size > limits.maxBytes) return tooLarge(size, limits.maxBytes);
    const text = await this.mirrors.readFile(appId, commit, 'wercker.yml');
    return text === undefined ? undefined : validateConfig('wercker.yml', text, [], limits);
  }
}

function tooLarge(size: number, max: number): ValidateResult {
  return { diagnostics: [{ severity: 'error', code: 'too-large', file: 'wercker.yml', line: 0, col: 0, path: '', message: `the file is ${size} bytes; werker reads at most ${max} here`, hint: 'make it smaller (a wercker.yml is rarely over a few KB)' }] };
}
