import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShellSession } from '../../src/engine/shell-session.ts';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { BOX_SHELL, BUSYBOX, DEBIAN, requireDocker, testLabel, type TestLabel } from '../helpers/docker.ts';

const docker = await requireDocker();

describe.skipIf(!docker)('ShellSession in a real box', () => {
  let rt: DockerRuntime;
  let label: TestLabel;
  let boxes = 0;

  beforeAll(() => {
    rt = docker!;
    label = testLabel(rt);
  });

  afterAll(async () => {
    if (!label) return;
    await label.cleanup();
    expect(await label.remaining()).toEqual({ containers: [], networks: [], volumes: [] });
  });

  /**
   * A box as the engine makes one (docs/wercker-compat.md §4.2): the shell is the main process,
   * stdin attached.
   */
  async function box(image: string): Promise<{ id: string; session: ShellSession }> {
    const id = await rt.createContainer({ name: label.name(`box${++boxes}`), image, cmd: BOX_SHELL, openStdin: true, labels: label.labels });
    const attached = await rt.attach(id);
    await rt.startContainer(id);
    return { id, session: new ShellSession(attached) };
  }

  /**
   * Whole lines from a sink that may get a line in pieces: on a loaded machine a pipe can stall
   * mid-line for longer than the partial flush (250 ms), and the piece shown early is `partial`.
   */
  function wholeLines(sink: (stream: 'stdout' | 'stderr', line: string) => void) {
    const pending = { stdout: '', stderr: '' };
    return (stream: 'stdout' | 'stderr', text: string, partial?: boolean) => {
      pending[stream] += text;
      if (partial) return;
      sink(stream, pending[stream]);
      pending[stream] = '';
    };
  }

  function collect() {
    const lines: string[] = [];
    return { lines, onLine: (stream: 'stdout' | 'stderr', line: string) => lines.push(`${stream}:${line}`) };
  }

  for (const [image, shell] of [
    [DEBIAN, 'bash'],
    [BUSYBOX, 'sh'],
  ] as const) {
    describe(`${image} (${shell})`, () => {
      let session: ShellSession;
      let id: string;

      beforeAll(async () => {
        ({ id, session } = await box(image));
      });

      afterAll(() => session?.close());

      it(`runs ${shell} as the session shell`, async () => {
        const { lines, onLine } = collect();
        expect(await session.run(['echo "bash=${BASH_VERSION:+yes}"'], { onLine })).toEqual({ kind: 'exited', status: 0 });
        expect(lines).toEqual([`stdout:bash=${shell === 'bash' ? 'yes' : ''}`]);
      });

      it('keeps exports and plain variables across batches', async () => {
        await session.runHidden(['export GREETING="hello box"', 'COUNT=41', 'COUNT=$((COUNT+1))']);
        const { lines, onLine } = collect();
        await session.run(['echo "$GREETING $COUNT"', 'sh -c \'echo "child sees: $GREETING/${COUNT:-unset}"\''], { onLine });
        expect(lines).toEqual(['stdout:hello box 42', 'stdout:child sees: hello box/unset']);
      });

      it('keeps the cwd across batches unless a batch resets it', async () => {
        await session.runHidden(['mkdir -p /tmp/work', 'cd /tmp/work']);
        const a = collect();
        await session.run(['pwd'], { onLine: a.onLine });
        await session.runHidden(['cd /']);
        const b = collect();
        await session.run(['pwd'], { onLine: b.onLine });
        expect([...a.lines, ...b.lines]).toEqual(['stdout:/tmp/work', 'stdout:/']);
      });

      it('delivers stderr inside its batch, including the last command’s', async () => {
        for (let i = 0; i < 10; i++) {
          const { lines, onLine } = collect();
          const r = await session.run([`echo "to out ${i}"`, `echo "to err ${i}" >&2`], { onLine });
          expect(r).toEqual({ kind: 'exited', status: 0 });
          expect(lines.sort()).toEqual([`stderr:to err ${i}`, `stdout:to out ${i}`]);
        }
      });

      it('returns the status of a failing batch’s last command', async () => {
        expect(await session.run(['true', 'sh -c "exit 5"'])).toEqual({ kind: 'exited', status: 5 });
        expect(await session.run(['false'])).toEqual({ kind: 'exited', status: 1 });
        expect(await session.run(['ls /definitely/not/here'], {})).toMatchObject({ kind: 'exited' });
      });

      it('shows printf output that has no newline, and is not confused by it', async () => {
        const { lines, onLine } = collect();
        expect(await session.run(["printf 'abc'"], { onLine })).toEqual({ kind: 'exited', status: 0 });
        expect(lines).toEqual(['stdout:abc']);
      });

      it('carries a 1 MB output burst complete', async () => {
        let count = 0;
        let bytes = 0;
        let bad = 0;
        const onLine = wholeLines((_s, line) => {
          count++;
          bytes += line.length + 1;
          if (line !== '0123456789abcdef0123456789abcde') bad++;
        });
        const r = await session.run(['yes 0123456789abcdef0123456789abcde | head -n 32768'], { onLine });
        expect(r).toEqual({ kind: 'exited', status: 0 });
        expect({ count, bytes, bad }).toEqual({ count: 32768, bytes: 1024 * 1024, bad: 0 });
      });

      it('takes a 1 MB batch on stdin that echoes back while it is still being written', async () => {
        const body = Array.from({ length: 16384 }, (_, i) => `line-${String(i).padStart(8, '0')}-${'z'.repeat(44)}`);
        let count = 0;
        let last = '';
        const r = await session.run(["cat <<'WERKER_EOF'", ...body, 'WERKER_EOF'], {
          onLine: wholeLines((_s, line) => {
            count++;
            last = line;
          }),
        });
        expect(r).toEqual({ kind: 'exited', status: 0 });
        expect(count).toBe(16384);
        expect(last).toBe(body.at(-1));
      });

      it('times out a batch and still runs the next one afterwards', async () => {
        expect(await session.run(['sleep 1'], { timeoutMs: 200 })).toEqual({ kind: 'timeout' });
        const { lines, onLine } = collect();
        expect(await session.run(['echo after'], { onLine })).toEqual({ kind: 'exited', status: 0 });
        expect(lines).toEqual(['stdout:after']);
      });

      it('reports a silent batch as no-response', async () => {
        expect(await session.run(['sleep 0.6'], { noResponseTimeoutMs: 200 })).toEqual({ kind: 'no-response' });
        expect(await session.run(['true'])).toEqual({ kind: 'exited', status: 0 });
      });

      it('is gone after `exit 0`, and the container exits 0', async () => {
        const { lines, onLine } = collect();
        expect(await session.run(['echo last', 'exit 0'], { onLine })).toEqual({ kind: 'gone' });
        expect(lines).toEqual(['stdout:last']);
        expect(await rt.waitContainer(id)).toBe(0);
      });
    });
  }

  it('a failure under set -e ends the shell: gone, and the container exit code is the status', async () => {
    const { id, session } = await box(BUSYBOX);
    expect(await session.run(['set -e', 'sh -c "exit 7"', 'echo never'])).toEqual({ kind: 'gone' });
    expect(await rt.waitContainer(id)).toBe(7);
    expect(await session.run(['echo x'])).toEqual({ kind: 'gone' });
  });

  it('a restarted box takes a fresh session; files persist, shell state does not (spec §4.8)', async () => {
    const { id, session } = await box(DEBIAN);
    await session.runHidden(['export KEPT=no', 'echo persisted > /tmp/file']);
    session.close();
    await rt.restartContainer(id, 1);
    const again = new ShellSession(await rt.attach(id));
    const { lines, onLine } = collect();
    expect(await again.run(['echo "${KEPT:-lost}"', 'cat /tmp/file'], { onLine })).toEqual({ kind: 'exited', status: 0 });
    expect(lines).toEqual(['stdout:lost', 'stdout:persisted']);
    again.close();
  });
});
