import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { RuntimeUnavailableError } from '../../src/errors.ts';
import { connectDocker, type DockerRuntime } from '../../src/runtime/docker/client.ts';
import type { Labelled } from '../../src/runtime/runtime.ts';

export const BUSYBOX = 'werker-test/busybox:latest';
export const DEBIAN = 'werker-test/debian:bookworm';
/** The box's default main process (docs/wercker-compat.md §4.4): bash if the image has it, else sh. */
export const BOX_SHELL = ['/bin/sh', '-c', 'if [ -e /bin/bash ]; then /bin/bash; else /bin/sh; fi'];

/**
 * Connects to the engine the tests should use. Without one the suite skips, unless
 * WERKER_REQUIRE_DOCKER=1 (CI with Docker) where a missing engine must fail the run instead.
 */
export async function requireDocker(): Promise<DockerRuntime | undefined> {
  try {
    return await connectDocker({});
  } catch (err) {
    if (process.env.WERKER_REQUIRE_DOCKER === '1') throw err;
    if (err instanceof RuntimeUnavailableError) return undefined;
    throw err;
  }
}

export interface TestLabel {
  key: 'werker.test';
  value: string;
  /** `{ 'werker.test': value }`, to put on everything a test creates. */
  labels: Record<string, string>;
  /** A unique name for an object, prefixed so leftovers are recognisable. */
  name(what: string): string;
  /** Removes every container, network and volume carrying the label. */
  cleanup(): Promise<void>;
  /** What still carries the label. */
  remaining(): Promise<Labelled>;
}

/** A fresh `werker.test=<id>` label for one test file and the means to clean up after it. */
export function testLabel(runtime: DockerRuntime): TestLabel {
  const value = randomBytes(6).toString('hex');
  return {
    key: 'werker.test',
    value,
    labels: { 'werker.test': value },
    name: (what) => `werker-test-${value}-${what}`,
    async cleanup() {
      const found = await runtime.listLabelled('werker.test', value);
      await Promise.all(found.containers.map((c) => runtime.removeContainer(c.id, { force: true, volumes: true })));
      await Promise.all(found.networks.map((n) => runtime.removeNetwork(n.id)));
      await Promise.all(found.volumes.map((v) => runtime.removeVolume(v.name)));
    },
    remaining: () => runtime.listLabelled('werker.test', value),
  };
}

/** The names of the containers, networks and volumes a run left (its `werker.run` label); none after a clean end. */
export async function runLeftovers(runtime: DockerRuntime, runId: string): Promise<string[]> {
  const found = await runtime.listLabelled('werker.run', runId);
  return [...found.containers.map((c) => c.name), ...found.networks.map((n) => n.name), ...found.volumes.map((v) => v.name)];
}

/** Runs a container to its end and removes it, whatever happened: its exit code and output. */
export async function runOnce(runtime: DockerRuntime, options: Parameters<DockerRuntime['createContainer']>[0]): Promise<{ code: number; logs: string }> {
  const id = await runtime.createContainer(options);
  try {
    await runtime.startContainer(id);
    const code = await runtime.waitContainer(id);
    return { code, logs: await runtime.containerLogs(id) };
  } finally {
    await runtime.removeContainer(id, { force: true });
  }
}

/**
 * The ids of the containers (any state) whose command mentions `text`: what the classic
 * builder leaves with `--no-remove` (its intermediate containers carry no label of werker's).
 */
export function containersMentioning(text: string): string[] {
  return dockerCli(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}'])
    .split('\n').filter((l) => l.includes(text)).map((l) => l.split(' ')[0]!);
}

/** The docker CLI's output (its stderr kept off the test's); `quiet`: '' when it fails, for cleanup of what may be gone. */
export function dockerCli(args: string[], quiet = false): string {
  try {
    return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if (quiet) return '';
    throw err;
  }
}
