import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { docker } from './shell.ts';

/** What the numbers were measured on; ratios travel between machines, absolute times do not. */
export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  kernel: string;
  os: string;
  docker: string;
  node: string;
}

export async function describeMachine(): Promise<Machine> {
  const cpus = os.cpus();
  const release = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(release)?.[1];
  const engine = await docker(['info', '--format', '{{.ServerVersion}} (storage {{.Driver}})']).catch(() => 'unknown');
  const client = await docker(['version', '--format', '{{.Client.Version}}']).catch(() => 'unknown');
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    os: pretty ?? os.platform(),
    docker: `Engine ${engine}, CLI ${client}`,
    node: process.version,
  };
}

export function machineLines(m: Machine): string[] {
  return [
    `- CPU: ${m.cpu}, ${m.cores} cores`,
    `- memory: ${m.memory}`,
    `- OS: ${m.os}, kernel ${m.kernel}`,
    `- Docker: ${m.docker}`,
    `- Node: ${m.node}`,
  ];
}
