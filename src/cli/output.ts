/** Where commands write; the CLI passes the process streams, tests pass buffers (test/fakes/buffer-output.ts). */
export interface Output {
  /** A message: ends with a line break (one is added when missing). */
  stdout(text: string): void;
  stderr(text: string): void;
  /** Text as it is, for the reporters, which end their own lines (a step may leave one open). */
  write(text: string): void;
  color: boolean;
}

export function processOutput(color: boolean): Output {
  return {
    stdout: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    stderr: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    write: (t) => process.stdout.write(t),
    color,
  };
}
