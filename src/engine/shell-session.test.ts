import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../../test/fakes/fake-runtime.ts';
import type { AttachedProcess, OutputChunk } from '../runtime/runtime.ts';
import { ShellSession } from './shell-session.ts';

const sessions: ShellSession[] = [];
const runtimes: FakeRuntime[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  await Promise.all(runtimes.splice(0).map((r) => r.dispose()));
});

async function localSession(opts: ConstructorParameters<typeof ShellSession>[1] = {}) {
  const runtime = new FakeRuntime({ images: ['box'] });
  runtimes.push(runtime);
  const id = await runtime.createContainer({ name: 'box', image: 'box', labels: {}, openStdin: true });
  const attached = await runtime.attach(id);
  await runtime.startContainer(id);
  const session = new ShellSession(attached, opts);
  sessions.push(session);
  return { runtime, id, session };
}

function collect() {
  const lines: string[] = [];
  return { lines, onLine: (stream: 'stdout' | 'stderr', line: string) => lines.push(`${stream}:${line}`) };
}

/** An AttachedProcess whose output the test writes by hand, and whose stdin it can read. */
function scripted() {
  const output = new Readable({ objectMode: true, read() {} }) as Readable & AsyncIterable<OutputChunk>;
  const stdin = new PassThrough();
  let written = '';
  stdin.on('data', (b: Buffer) => (written += b.toString()));
  const proc: AttachedProcess = { stdin, output, close: () => output.push(null) };
  const uuid = () => /echo (\S+) \$\?/.exec(written)?.[1] ?? '';
  const send = (stream: OutputChunk['stream'], text: string) => output.push({ stream, data: Buffer.from(text) });
  return { proc, send, uuid, written: () => written };
}

describe('ShellSession on a local sh (FakeRuntime)', () => {
  it('runs a batch, returns the status of its last line, and streams both streams', async () => {
    const { session } = await localSession();
    const { lines, onLine } = collect();
    const result = await session.run(['echo out', 'echo err >&2', 'sh -c "exit 7"'], { onLine });
    expect(result).toEqual({ kind: 'exited', status: 7 });
    expect(lines).toContain('stdout:out');
    expect(lines).toContain('stderr:err');
    expect(lines.join('\n')).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
  });

  it('keeps exports, variables and the cwd across batches', async () => {
    const { session } = await localSession();
    await session.runHidden(['export GREETING="hi there"', 'PLAIN=1', 'cd /tmp']);
    const { lines, onLine } = collect();
    expect(await session.run(['echo "$GREETING/$PLAIN"', 'pwd'], { onLine })).toEqual({ kind: 'exited', status: 0 });
    expect(lines).toEqual(['stdout:hi there/1', 'stdout:/tmp']);
  });

  it('reports the stderr of the last command inside its batch (the marker waits for it)', async () => {
    const { session } = await localSession();
    for (let i = 0; i < 20; i++) {
      const { lines, onLine } = collect();
      await session.run([`echo "last words ${i}" >&2`], { onLine });
      expect(lines).toEqual([`stderr:last words ${i}`]);
    }
  });

  it('a failing command under set -e ends the shell: gone', async () => {
    const { session, runtime, id } = await localSession();
    expect(await session.run(['set -e', 'false', 'echo never'])).toEqual({ kind: 'gone' });
    expect(session.alive).toBe(false);
    expect(await session.run(['echo again'])).toEqual({ kind: 'gone' });
    expect(await runtime.waitContainer(id)).toBe(1);
  });

  it('exit 0 ends the shell too', async () => {
    const { session } = await localSession();
    const { lines, onLine } = collect();
    expect(await session.run(['echo bye', 'exit 0'], { onLine })).toEqual({ kind: 'gone' });
    expect(lines).toEqual(['stdout:bye']);
  });

  it('text printed without a newline before the sentinel is output', async () => {
    const { session } = await localSession();
    const { lines, onLine } = collect();
    expect(await session.run(["printf 'abc'"], { onLine })).toEqual({ kind: 'exited', status: 0 });
    expect(lines).toEqual(['stdout:abc']);
  });

  it('flushes a partial line after the flush delay so long-running output shows', async () => {
    const { session } = await localSession({ partialFlushMs: 50 });
    const seen: { line: string; at: number }[] = [];
    const start = Date.now();
    const result = await session.run(["printf 'working...'", 'sleep 0.5', 'echo done'], {
      onLine: (_s, line) => seen.push({ line, at: Date.now() - start }),
    });
    expect(result).toEqual({ kind: 'exited', status: 0 });
    expect(seen.map((s) => s.line)).toEqual(['working...', 'done']);
    expect(seen[0]!.at).toBeLessThan(400);
  });

  it('times out a batch (command timeout)', async () => {
    const { session } = await localSession();
    expect(await session.run(['sleep 5'], { timeoutMs: 100 })).toEqual({ kind: 'timeout' });
  });

  it('times out a silent batch (no-response), but output keeps it alive', async () => {
    const { session } = await localSession();
    expect(await session.run(['sleep 5'], { noResponseTimeoutMs: 100 })).toEqual({ kind: 'no-response' });
    const { session: s2 } = await localSession();
    const chatty = ['for i in 1 2 3 4 5 6; do echo tick; sleep 0.05; done'];
    expect(await s2.run(chatty, { noResponseTimeoutMs: 150 })).toEqual({ kind: 'exited', status: 0 });
  });

  it('a step is not silent while werker is the one behind: no-response waits for the consumers', async () => {
    let release = (): void => undefined;
    let behind: Promise<void> | undefined = new Promise<void>((r) => (release = r));
    const s = scripted();
    const session = new ShellSession(s.proc, { congested: () => behind });
    sessions.push(session);
    const result = session.run(['true'], { noResponseTimeoutMs: 100 });
    s.send('stdout', 'one line\n');
    // The consumers stay behind for three times the no-response timeout, then catch up.
    setTimeout(() => {
      behind = undefined;
      release();
      s.send('stdout', `${s.uuid()} 0\n`);
      s.send('stderr', `${s.uuid()}:\n`);
    }, 300);
    expect(await result).toEqual({ kind: 'exited', status: 0 });
  });

  it('cancels on abort, and at once for an aborted signal', async () => {
    const { session } = await localSession();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await session.run(['sleep 5'], { signal: ac.signal })).toEqual({ kind: 'cancelled' });
    expect(await session.run(['echo x'], { signal: ac.signal })).toEqual({ kind: 'cancelled' });
  });

  it('refuses a second batch while one runs', async () => {
    const { session } = await localSession();
    const first = session.run(['sleep 0.1']);
    await expect(session.run(['echo x'])).rejects.toThrow(/another batch/);
    expect(await first).toEqual({ kind: 'exited', status: 0 });
  });

  it('carries a large output burst intact', async () => {
    const { session } = await localSession();
    const lines: string[] = [];
    const result = await session.run(['i=0; while [ $i -lt 20000 ]; do echo "line $i"; i=$((i+1)); done'], { onLine: (_s, l) => lines.push(l) });
    expect(result).toEqual({ kind: 'exited', status: 0 });
    expect(lines).toHaveLength(20000);
    expect(lines[19999]).toBe('line 19999');
  });
});

describe('ShellSession protocol (scripted output)', () => {
  it('writes the lines, then the status echo and the stderr marker', async () => {
    const { proc, send, uuid, written } = scripted();
    const session = new ShellSession(proc);
    const done = session.run(['echo a', 'echo b']);
    await new Promise((r) => setImmediate(r));
    expect(written()).toBe(`echo a\necho b\necho ${uuid()} $?\nprintf '${uuid()}\\072\\n' >&2 || :\n`);
    send('stdout', `a\nb\n${uuid()} 0\n`);
    send('stderr', `${uuid()}:\n`);
    expect(await done).toEqual({ kind: 'exited', status: 0 });
  });

  it('finds a sentinel cut mid-uuid, preceded by printf output on its line', async () => {
    const { proc, send, uuid } = scripted();
    const session = new ShellSession(proc);
    const { lines, onLine } = collect();
    const done = session.run(["printf 'abc'"], { onLine });
    await new Promise((r) => setImmediate(r));
    const line = `abc${uuid()} 4\n`;
    send('stdout', line.slice(0, 12));
    send('stdout', line.slice(12));
    send('stderr', `${uuid()}:\n`);
    expect(await done).toEqual({ kind: 'exited', status: 4 });
    expect(lines).toEqual(['stdout:abc']);
  });

  it('waits for stderr that arrives after the status line', async () => {
    const { proc, send, uuid } = scripted();
    const session = new ShellSession(proc);
    const { lines, onLine } = collect();
    const done = session.run(['ls /nope'], { onLine });
    await new Promise((r) => setImmediate(r));
    send('stdout', `${uuid()} 2\n`);
    await new Promise((r) => setTimeout(r, 20));
    send('stderr', `ls: /nope: No such file or directory\n${uuid()}:\n`);
    expect(await done).toEqual({ kind: 'exited', status: 2 });
    expect(lines).toEqual(['stderr:ls: /nope: No such file or directory']);
  });

  it('ends after a grace period when the marker never comes (stderr redirected away)', async () => {
    const { proc, send, uuid } = scripted();
    const session = new ShellSession(proc, { stderrGraceMs: 30 });
    const done = session.run(['exec 2>/dev/null']);
    await new Promise((r) => setImmediate(r));
    send('stdout', `${uuid()} 0\n`);
    expect(await done).toEqual({ kind: 'exited', status: 0 });
  });

  it('is gone when the output ends first, after emitting the partial line', async () => {
    const { proc, send } = scripted();
    const session = new ShellSession(proc);
    const { lines, onLine } = collect();
    const done = session.run(['exit 3'], { onLine });
    send('stdout', 'partial');
    proc.output.push(null);
    expect(await done).toEqual({ kind: 'gone' });
    expect(lines).toEqual(['stdout:partial']);
  });
});
