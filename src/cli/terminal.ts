import type { TerminalStreams } from '../runtime/runtime.ts';

/** The process's terminal for interactive steps, or undefined when stdin or stdout is not a TTY. */
export function processTerminal(): TerminalStreams | undefined {
  const { stdin, stdout } = process;
  if (!stdin.isTTY || !stdout.isTTY) return undefined;
  return {
    input: stdin,
    output: stdout,
    size: () => ({ rows: stdout.rows, cols: stdout.columns }),
    onResize(listener) {
      stdout.on('resize', listener);
      return () => stdout.off('resize', listener);
    },
    setRaw: (raw) => stdin.setRawMode(raw),
  };
}
