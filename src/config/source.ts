import { readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import type { Diagnostic } from './diagnostics.ts';

/** The names wercker looked for, in its order. */
export const CONFIG_NAMES = ['ewok.yml', 'wercker.yml', '.wercker.yml'] as const;
export const MAX_CONFIG_BYTES = 10 * 1024 * 1024;

export interface ConfigSource {
  /** The path as given or found, for messages. */
  file: string;
  /** Decoded text with CRLF turned into LF (positions refer to this text). */
  text: string;
  /** Problems with the file itself (CRLF, BOM); errors here stop the load. */
  diagnostics: Diagnostic[];
}

/** The file cannot be read as a wercker.yml at all: one file-level diagnostic, exit 2. */
function unreadable(file: string, code: string, message: string, hint: string): ConfigError {
  return new ConfigError([{ severity: 'error', code, file, line: 0, col: 0, path: '', message, hint }]);
}

/**
 * stat that gives undefined for any failure. Synchronous on purpose, as is the read below: a
 * config read is a few small local files, and each promise-based fs call is a round trip through
 * libuv's thread pool that a loaded machine delays (measured in docs/performance.md, P8).
 */
function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** Finds the config in a project dir, or takes an explicit file path. */
export async function locateConfig(target: string, explicitFile?: string): Promise<string> {
  if (explicitFile) return explicitFile;
  const info = statOrUndefined(target);
  if (!info) throw unreadable(target, 'not-found', 'no such file or directory', 'give the path of a project directory or of its wercker.yml');
  if (info.isFile()) return target;
  for (const name of CONFIG_NAMES) {
    const candidate = path.join(target, name);
    const s = statOrUndefined(candidate);
    if (s) return candidate;
  }
  throw unreadable(target, 'not-found', 'No wercker.yml found', `create ${path.join(target, 'wercker.yml')} or pass --wercker-yml FILE`);
}

/** Reads and decodes a config file; every way it can be unreadable becomes a ConfigError. */
export async function readConfigSource(file: string): Promise<ConfigSource> {
  const info = statOrUndefined(file);
  if (!info) throw unreadable(file, 'not-found', 'no such file', 'check the path, or run werker in the project directory');
  if (info.isDirectory()) throw unreadable(file, 'is-directory', 'is a directory, not a wercker.yml', `pass the directory as the project path, or a file inside it`);
  if (info.size > MAX_CONFIG_BYTES) {
    throw unreadable(file, 'too-large', `is ${(info.size / 1024 / 1024).toFixed(1)} MB; a wercker.yml may be at most 10 MB`, 'is this the right file?');
  }
  const bytes = readFileSync(file);
  return decodeConfig(file, bytes);
}

export function decodeConfig(file: string, bytes: Uint8Array): ConfigSource {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw unreadable(file, 'not-utf8', `is not UTF-8 text (invalid byte at offset ${at})`, 'save the file as UTF-8');
  }
  const diagnostics: Diagnostic[] = [];
  if (text.includes('\r\n')) {
    const line = text.slice(0, text.indexOf('\r\n')).split('\n').length;
    diagnostics.push({
      severity: 'warning', code: 'crlf', file, line, col: 1, path: '',
      message: 'the file has Windows (CRLF) line endings; werker reads them as LF so scripts do not get a stray \\r',
      hint: 'convert the file to LF line endings',
    });
    text = text.replace(/\r\n/g, '\n');
  }
  if (text.trim() === '') throw unreadable(file, 'empty', 'Your wercker.yml is empty.', 'add a box and a pipeline, e.g. "box: node" and "build: {steps: [npm-test]}"');
  return { file, text, diagnostics };
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  // One streaming decoder fed a byte at a time throws at the first bad sequence: O(n).
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length; i++) {
    try {
      decoder.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  return bytes.length;
}
