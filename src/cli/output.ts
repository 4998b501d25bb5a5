/** Where commands write; the CLI passes the process streams, tests pass buffers. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  color: boolean;
}

export function processOutput(color: boolean): Output {
  return {
    stdout: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    stderr: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    color,
  };
}

/** An Output that keeps everything, for tests. */
export function bufferOutput(): Output & { out: string; err: string } {
  const o = {
    out: '', err: '', color: false,
    stdout(t: string) { o.out += t.endsWith('\n') ? t : `${t}\n`; },
    stderr(t: string) { o.err += t.endsWith('\n') ? t : `${t}\n`; },
  };
  return o;
}
