import type { Output } from '../../src/cli/output.ts';

/** An Output that keeps everything, for tests. */
export function bufferOutput(): Output & { out: string; err: string } {
  const o = {
    out: '', err: '', color: false,
    stdout(t: string) { o.out += t.endsWith('\n') ? t : `${t}\n`; },
    stderr(t: string) { o.err += t.endsWith('\n') ? t : `${t}\n`; },
    write(t: string) { o.out += t; },
  };
  return o;
}
