/**
 * wercker's service link variables (docs/wercker-compat.md §5.3), e.g. for alias `postgis` exposing
 * 5432/tcp: POSTGIS_PORT_5432_TCP=tcp://IP:5432, …_ADDR, …_PORT, …_PROTO, POSTGIS_PORT (lowest
 * port), POSTGIS_NAME, and POSTGIS_ENV_<K> for each variable of the service container.
 */
export function linkVars(prefix: string, ip: string, exposed: string[], boxName: string, alias: string, env: string[]): [string, string][] {
  const out: [string, string][] = [];
  const ports = sortPorts(exposed);
  for (const p of ports) {
    const [port, proto] = p.split('/') as [string, string];
    const key = `${prefix}_PORT_${port}_${proto.toUpperCase()}`;
    out.push([key, `${proto}://${ip}:${port}`], [`${key}_ADDR`, ip], [`${key}_PORT`, port], [`${key}_PROTO`, proto]);
  }
  if (ports[0]) {
    const [port, proto] = ports[0].split('/') as [string, string];
    out.push([`${prefix}_PORT`, `${proto}://${ip}:${port}`]);
  }
  out.push([`${prefix}_NAME`, `/${boxName}/${alias.replace(/-/g, '_')}`]);
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq > 0) out.push([`${prefix}_ENV_${e.slice(0, eq)}`, e.slice(eq + 1)]);
  }
  return out;
}

/** The names only, for `werker plan` before anything runs. */
export function linkVarNames(prefix: string, exposed: string[], envNames: string[]): string[] {
  return linkVars(prefix, '', exposed, '', prefix, envNames.map((n) => `${n}=`)).map(([k]) => k);
}

function sortPorts(exposed: string[]): string[] {
  return [...new Set(exposed)].sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b));
}
