import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { cliCommand, fixture, runCli, spawnCli } from '../helpers/cli.ts';
import { requireDocker, runLeftovers } from '../helpers/docker.ts';

// werker dev on the real engine, as a user runs it: the CLI in a child process, the page fetched
// through the published port on 127.0.0.1. Every wait is a bounded poll (count and time).
const docker: DockerRuntime | undefined = await requireDocker();
const temps: string[] = [];
const tempDir = (what: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), `werker-dev-${what}-`));
  temps.push(dir);
  return dir;
};
const images: string[] = [];
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
  for (const i of images) execFileSync('docker', ['rmi', '-f', i], { stdio: 'ignore' });
});

const leftovers = (runId: string): Promise<string[]> => runLeftovers(docker!, runId);

/** A port nothing listens on now (the kernel's pick), on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `probe` every 100 ms until it returns a value, at most `limitMs`. */
async function pollFor<T>(what: string, limitMs: number, probe: () => Promise<T | undefined>): Promise<{ value: T; ms: number; tries: number }> {
  const started = Date.now();
  for (let tries = 1; tries <= limitMs / 100; tries++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return { value, ms: Date.now() - started, tries };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${limitMs} ms`);
}

const page = async (port: number) => {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
  return res.text();
};
const count = (text: string, needle: string) => text.split(needle).length - 1;

describe.skipIf(!docker)('werker dev on a Docker engine', () => {
  it('serves examples/web on the published port, serves an edit after one reload, and leaves nothing after Ctrl-C', async () => {
    const project = tempDir('web');
    cpSync(path.join(repoRoot, 'examples/web'), project, { recursive: true });
    const port = await freePort();
    const runId = `itdevweb${Date.now().toString(36)}`;
    // The working dir inside the project: werker's own log writes there must not trigger reloads.
    const { child, done } = spawnCli(['dev', project, '--publish', `${port}:8000`, '--working-dir', path.join(project, 'wd'), '--run-id', runId]);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const first = await pollFor('the first page', 120_000, async () => ((await page(port)).includes('Hello from werker dev') ? true : undefined));
      // Published on loopback only (werker's default), as container port 8000.
      const bindings = JSON.parse(execFileSync('docker', ['inspect', '--format', '{{json .HostConfig.PortBindings}}', `wercker-pipeline-${runId}`], { encoding: 'utf8' }));
      expect(bindings).toEqual({ '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });

      // A burst of saves (an editor writing, renaming, writing again) gives one restart.
      const file = path.join(project, 'page.js');
      const original = readFileSync(file, 'utf8');
      for (let i = 1; i <= 5; i++) writeFileSync(file, original.replace('Hello from werker dev', `Edited ${i}`));
      const edited = await pollFor('the edited page', 30_000, async () => ((await page(port)).includes('Edited 5') ? true : undefined));
      await new Promise((r) => setTimeout(r, 1000)); // room for a second restart, which must not come
      expect(count(out, '--> Reloading: page.js changed')).toBe(1);
      expect(count(out, 'listening on port 8000')).toBe(2);
      console.info(`dev: first page after ${first.ms} ms (${first.tries} tries); edit served ${edited.ms} ms after the last save (${edited.tries} tries)`);
    } finally {
      child.kill('SIGINT');
    }
    const r = await done;
    // Ctrl-C ends a dev session normally: the watch passes, exit 0 (README, exit codes).
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Step passed: watch[\s\S]*Pipeline finished/);
    expect(await leftovers(runId)).toEqual([]);
  });

  it('restarts the code without touching an earlier step\'s background job; Ctrl-C passes the watch and runs the after-steps; no terminal skips the shell', async () => {
    const project = tempDir('session');
    cpSync(fixture('dev-session'), project, { recursive: true });
    const runId = `itdevses${Date.now().toString(36)}`;
    const { child, done } = spawnCli(['dev', project, '--working-dir', tempDir('wd'), '--run-id', runId]);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await pollFor('the watch to start', 120_000, async () => (out.includes('started in') ? true : undefined));
      writeFileSync(path.join(project, 'trigger.txt'), 'x');
      await pollFor('the restart', 30_000, async () => (count(out, 'started in') === 2 ? true : undefined));
    } finally {
      child.kill('SIGINT');
    }
    const r = await done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('internal/shell needs a terminal');
    expect(r.stdout).not.toContain('never typed');
    expect(r.stdout).toContain('--> Reloading: trigger.txt changed');
    // The first run was stopped (SIGINT) for the restart, not left to end by itself.
    expect(r.stdout).not.toContain('code exited');
    expect(count(r.stdout, 'background job alive')).toBe(2);
    expect(count(r.stdout, 'started in /pipeline/source')).toBe(2);
    expect(r.stdout).toMatch(/Step passed: watch[\s\S]*Running after-step: after the session\nafter-step ran: passed[\s\S]*Pipeline finished/);
    expect(await leftovers(runId)).toEqual([]);
  });

  it('removes everything at once on a second Ctrl-C, with exit 130', async () => {
    const runId = `itdevtwice${Date.now().toString(36)}`;
    const { child, done } = spawnCli(['dev', fixture('dev-session'), '--working-dir', tempDir('wd'), '--run-id', runId]);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await pollFor('the watch to start', 120_000, async () => (out.includes('started in') ? true : undefined));
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
    }
    const r = await done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stderr).toContain('stopping now: removing the run\'s containers');
    expect(await leftovers(runId)).toEqual([]);
  });

  it.skipIf(!hasTmux)('opens internal/shell on a terminal, with the earlier exports and code typed first, and goes on after exit', async () => {
    const session = `werker-dev-test-${process.pid}`;
    const cli = [process.execPath, ...cliCommand(), 'dev', fixture('dev-shell'), '--working-dir', tempDir('wd')].map((w) => `'${w}'`).join(' ');
    const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '150', '-y', '50', '-c', repoRoot, `${cli}; echo "EXIT=$?"; sleep 120`]);
    try {
      await pollFor('the shell', 60_000, async () => (screen().includes('typed for you in /pipeline/source') ? true : undefined));
      execFileSync('tmux', ['send-keys', '-t', session, 'echo "tty-$((6 * 7)) $FROM_STEP"', 'Enter']);
      await pollFor('the typed command', 10_000, async () => (screen().includes('tty-42 exported-21') ? true : undefined));
      execFileSync('tmux', ['send-keys', '-t', session, 'exit', 'Enter']);
      const end = await pollFor('the end of the run', 30_000, async () => (/EXIT=\d+/.test(screen()) ? screen() : undefined));
      expect(end.value).toMatch(/the shell exited with status 0\nStep passed: shell[\s\S]*shell step done[\s\S]*Pipeline finished[\s\S]*EXIT=0/);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
  });

  it('says which port is taken and what to do, with exit 2, before starting anything', async () => {
    const port = await freePort();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const runId = `itdevport${Date.now().toString(36)}`;
      const r = await runCli(['dev', path.join(repoRoot, 'examples/web'), '--publish', `${port}:8000`, '--working-dir', tempDir('wd'), '--run-id', runId]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain(`host port ${port} is already in use on 127.0.0.1`);
      expect(r.stderr).toMatch(/hint: stop what listens there .* or publish on another host port/);
      expect(await leftovers(runId)).toEqual([]);
    } finally {
      holder.close();
    }
  });

  it('rejects a --publish value that is no port, with exit 2', async () => {
    const r = await runCli(['dev', path.join(repoRoot, 'examples/web'), '--publish', 'web', '--working-dir', tempDir('wd')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--publish takes PORT, HOST_PORT:PORT or IP:HOST_PORT:PORT, not "web"');
  });

  it('says the box has no shell: an image without /bin/sh, a cmd that exits, a cmd that echoes', async () => {
    // An image from scratch holding one static file: nothing to run at all.
    const dir = tempDir('noshell');
    writeFileSync(path.join(dir, 'hello.txt'), 'hello\n');
    const image = `werker-test-noshell:${path.basename(dir).toLowerCase().replace(/[^a-z0-9]/g, '')}`;
    execFileSync('sh', ['-c', `tar -C '${dir}' -c hello.txt | docker import - '${image}'`], { stdio: 'ignore' });
    images.push(image);
    const cases: [string, string, RegExp][] = [
      ['scratch', `box: ${image}`, new RegExp(`the box ${image} has no shell: /bin/sh not found in the image`)],
      ['exits', 'box:\n  id: werker-test/busybox\n  cmd: "true"', /the box's main process \(true\) exited with exit code 0 before it ran a command: the box has no shell/],
      ['echoes', 'box:\n  id: werker-test/busybox\n  cmd: cat', /the box's main process \(cat\) prints the commands werker sends instead of running them: it is not a shell/],
    ];
    for (const [name, box, message] of cases) {
      const project = tempDir(name);
      writeFileSync(path.join(project, 'wercker.yml'), `${box}\ndev:\n  steps:\n    - script:\n        name: never\n        code: echo NOT REACHED\n`);
      const runId = `itdevnosh${name}${Date.now().toString(36)}`;
      const started = Date.now();
      const r = await runCli(['dev', project, '--working-dir', tempDir('wd'), '--pull', 'never', '--run-id', runId]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      // The run had begun, so the error comes as its last event, on stdout.
      expect(r.stdout).toMatch(message);
      expect(r.stdout).toContain('hint: the box\'s main process must be a POSIX shell');
      expect(r.stdout).not.toContain('NOT REACHED');
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await leftovers(runId)).toEqual([]);
    }
  });
});
