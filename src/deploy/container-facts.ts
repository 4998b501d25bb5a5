import type { RemoteCommand } from './commands.ts';

/** A TCP socket the container listens on, read from its /proc/net/tcp{,6}. */
export interface Listener {
  address: string;
  port: number;
}

/** How a release container is doing: what a failed probe's message adds about it. */
export interface ContainerFacts {
  status: string;
  exitCode?: number;
  oomKilled: boolean;
  restarts: number;
}

/**
 * The container's listening sockets without `ss` or `netstat` in the image: its own
 * /proc/net/tcp and tcp6 (the container's network namespace), which any image with `cat` has.
 */
export function listenersCommand(docker: string[], name: string): RemoteCommand {
  return { argv: [...docker, 'exec', name, 'cat', '/proc/net/tcp', '/proc/net/tcp6'] };
}

export function factsCommand(docker: string[], name: string): RemoteCommand {
  return { argv: [...docker, 'inspect', '--type', 'container', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.RestartCount}}', name] };
}

/** Docker's embedded DNS server on a user-defined network listens in every container: not the app's. */
const DOCKER_DNS = '127.0.0.11';

/**
 * State 0A is LISTEN; the local address is hex `ADDR:PORT` (IPv4 in host byte order, IPv6 as
 * four such words). Docker's DNS listener is left out.
 */
export function parseListeners(procNetTcp: string): Listener[] {
  const seen = new Map<string, Listener>();
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A' || !/^[0-9A-F]+:[0-9A-F]{4}$/i.test(f[1]!)) continue;
    const [hex, portHex] = f[1]!.split(':') as [string, string];
    const l = { address: hex.length === 8 ? ipv4(hex) : ipv6(hex), port: parseInt(portHex, 16) };
    if (l.address !== DOCKER_DNS) seen.set(`${l.address}:${l.port}`, l);
  }
  return [...seen.values()].sort((a, b) => a.port - b.port);
}

const ipv4 = (hex: string): string => [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');

/** Only the cases that matter for "can the release port reach it": any, loopback, or some address. */
function ipv6(hex: string): string {
  if (/^0+$/.test(hex)) return '[::]';
  if (hex === '00000000000000000000000001000000') return '[::1]';
  return `[${hex.toLowerCase()}]`;
}

export function parseFacts(out: string | undefined): ContainerFacts | undefined {
  if (!out) return undefined;
  const [status = '?', exit = '', oom = '', restarts = '0'] = out.trim().split(/\s+/);
  return { status, ...(/^\d+$/.test(exit) ? { exitCode: Number(exit) } : {}), oomKilled: oom === 'true', restarts: Number(restarts) || 0 };
}

/** `running`, `exited with 137, killed for lack of memory (OOM), restarted 3 times`. */
export function describeFacts(f: ContainerFacts): string {
  const parts = [f.status === 'running' ? 'running' : `${f.status}${f.exitCode !== undefined ? ` with exit code ${f.exitCode}` : ''}`];
  if (f.oomKilled) parts.push('killed for lack of memory (OOM)');
  if (f.restarts) parts.push(`restarted ${f.restarts} time${f.restarts === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/** The connection-refused hint: which port is asked, which ones the container listens on. */
export function refusedHint(appPort: number, listeners: Listener[] | undefined): string {
  if (!listeners) return `nothing listens on app-port ${appPort} in the container (its sockets could not be read: the image has no cat?)`;
  if (!listeners.length) return `nothing listens on app-port ${appPort}: the container listens on no TCP port yet (still starting, or the app failed; see its log)`;
  const on = listeners.map((l) => `${l.address}:${l.port}`).join(', ');
  const atPort = listeners.filter((l) => l.port === appPort);
  if (atPort.length && atPort.every((l) => l.address === '127.0.0.1' || l.address === '[::1]')) {
    return `the app listens on ${on}: only on loopback inside the container, which the release port cannot reach; make it listen on 0.0.0.0:${appPort}`;
  }
  if (atPort.length) return `the container listens on ${on}, app-port ${appPort} included; the app may have reset the connection (see its log)`;
  return `nothing listens on app-port ${appPort}; the container listens on ${on}: set app-port to the app's port, or make the app listen on ${appPort}`;
}
