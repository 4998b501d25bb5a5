import type { ShellSession } from '../shell-session.ts';

/**
 * Reads the live environment of the pipeline's shell (docs/wercker-compat.md §6 "sync"): `env -0`
 * where the `env` supports it (values may hold newlines), else plain `env` split on lines.
 */
export async function readShellEnv(session: ShellSession): Promise<Map<string, string>> {
  const lines: string[] = [];
  const result = await session.run(['env -0 2>/dev/null || env'], { onLine: (stream, line) => stream === 'stdout' && lines.push(line) });
  const env = new Map<string, string>();
  if (result.kind !== 'exited') return env;
  const text = lines.join('\n');
  const entries = text.includes('\0') ? text.split('\0') : text.split('\n');
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq).replace(/^\n/, ''), entry.slice(eq + 1));
  }
  return env;
}
