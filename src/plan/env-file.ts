/**
 * The ENVIRONMENT file (docs/wercker-compat.md §3.1): one KEY=VALUE per line, split at the first
 * `=`; lines that start with `#` or have no `=` are skipped; the key is not trimmed; the value is
 * trimmed, and matching surrounding quotes are removed (then `\"` → `"` and `\n` → newline). No
 * expansion.
 */
export function parseEnvFile(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1).replace(/\\"/g, '"').replace(/\\n/g, '\n');
    }
    out.push([key, value]);
  }
  return out;
}

const PROXY_VARS = ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

/**
 * The host side of the environment: the process env plus the env file, where a non-empty host
 * value wins, and each set proxy variable mirrored as X_<name>.
 */
export function hostEnvironment(processEnv: Record<string, string | undefined>, fileEntries: [string, string][]): Map<string, string> {
  const env = new Map<string, string>();
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) env.set(k, v);
  for (const [k, v] of fileEntries) if (!env.get(k)) env.set(k, v);
  for (const name of PROXY_VARS) {
    const v = env.get(name);
    if (v && !env.has(`X_${name}`)) env.set(`X_${name}`, v);
  }
  return env;
}
