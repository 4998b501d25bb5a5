import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunPlan } from '../plan/types.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { MAX_ARTIFACT_BYTES, storeArtifacts } from './artifacts.ts';

// docs/wercker-compat.md §4.10: the stored output is limited to 5000 MB. The limit is a parameter
// so this test can cross a small one instead of writing 5 GB.
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'werker-artifacts-'));
  dirs.push(d);
  return d;
};

/** A runtime whose box holds `output/big.bin` of `size` bytes; getArchive gives it as the engine does (top entry `output/`). */
function boxWithOutput(size: number): ContainerRuntime {
  const box = temp();
  mkdirSync(path.join(box, 'output'));
  writeFileSync(path.join(box, 'output', 'big.bin'), Buffer.alloc(size, 7));
  return {
    getArchive: async () => Readable.from(tar.pack(box, { entries: ['output'] }) as unknown as AsyncIterable<Buffer>),
  } as unknown as ContainerRuntime;
}

function plan(workingDir: string): RunPlan {
  return {
    workingDir, runId: 'artifacts01', kind: 'build', pipeline: 'build', env: [],
    paths: { output: '/pipeline/output', base: '/pipeline/source' },
  } as unknown as RunPlan;
}

describe('storeArtifacts size limit (§4.10)', () => {
  it('is 5000 MB', () => {
    expect(MAX_ARTIFACT_BYTES).toBe(5000 * 1024 * 1024);
  });

  it('stores an output under the limit', async () => {
    const wd = temp();
    const stored = await storeArtifacts(plan(wd), boxWithOutput(64 * 1024), 'box', 1024 * 1024);
    expect(stored.files).toBe(1);
    expect(readFileSync(path.join(wd, 'builds/artifacts01/output/big.bin')).length).toBe(64 * 1024);
  });

  it('fails with wercker\'s message and a hint when the output is over the limit; latest is not moved', async () => {
    const wd = temp();
    const err = await storeArtifacts(plan(wd), boxWithOutput(64 * 1024), 'box', 16 * 1024).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('Storing artifacts failed: Size exceeds maximum size of 5000MB');
    expect((err as { hint?: string }).hint).toMatch(/store less in \$WERCKER_OUTPUT_DIR/);
    expect((err as { exitCode?: number }).exitCode).toBe(1);
    expect(existsSync(path.join(wd, 'latest'))).toBe(false);
    // Nothing half-stored is left where a deploy would take it as the build's output.
    expect(existsSync(path.join(wd, 'builds/artifacts01/output'))).toBe(false);
    expect(existsSync(path.join(wd, 'builds/artifacts01/output.tar'))).toBe(false);
    expect(existsSync(path.join(wd, 'builds/artifacts01/output.partial'))).toBe(false);
  });
});
