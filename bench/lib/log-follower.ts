import { spawn } from 'node:child_process';
import { LineSplitter } from '../../src/util/lines.ts';

export interface LogLine {
  /** Epoch ms (with the sub-ms part) at which dockerd received the line. */
  ms: number;
  text: string;
}

/**
 * Follows a container's logs with dockerd's own timestamps (`docker logs -f -t`), from its first
 * line, until the container is removed. dockerd stamps each line as it reads it from the
 * process, so the stamps are a clock independent of werker's.
 */
export function followLogs(containerId: string): { done: () => Promise<LogLine[]> } {
  const child = spawn('docker', ['logs', '-f', '-t', containerId], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const take = (splitter: LineSplitter) => (chunk: Buffer) => {
    for (const line of splitter.push(chunk)) {
      const parsed = parseStamped(line);
      if (parsed) lines.push(parsed);
    }
  };
  child.stdout.on('data', take(new LineSplitter()));
  child.stderr.on('data', take(new LineSplitter()));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    // The container's removal ends `logs -f`; the timer only guards against a follower that hangs.
    async done() {
      const timer = setTimeout(() => child.kill(), 3000);
      await closed;
      clearTimeout(timer);
      return lines.sort((a, b) => a.ms - b.ms);
    },
  };
}

/** `2026-11-24T19:59:36.302812220Z text` → its time in ms and the text. */
export function parseStamped(line: string): LogLine | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z (.*)$/.exec(line);
  if (!m) return undefined;
  return { ms: Date.parse(`${m[1]}Z`) + Number(`0.${m[2] ?? '0'}`) * 1000, text: m[3]! };
}
