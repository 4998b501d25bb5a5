import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarFs from 'tar-fs';
import { pack } from 'tar-stream';
import { CancelledError, DockerApiError } from '../../src/errors.ts';
import type {
  BuildOptions,
  AttachedProcess,
  CommitOptions,
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  ExecResult,
  ImageInfo,
  Labelled,
  PullProgress,
  RegistryAuth,
  ListedImage,
} from '../../src/runtime/runtime.ts';
import { LocalProcess } from './fake-process.ts';

export interface FakeCall {
  method: string;
  args: unknown[];
}

export interface FakeContainer {
  id: string;
  spec: ContainerSpec;
  running: boolean;
  exitCode: number;
  process: LocalProcess | undefined;
}

type ExecOpts = { env?: string[]; user?: string; workingDir?: string; stdin?: string };

export interface FakeRuntimeOptions {
  /** Images present from the start (`name` means `name:latest`). */
  images?: string[];
  /** Image config to report per ref; anything missing gets empty defaults. */
  imageInfo?: Record<string, Partial<ImageInfo>>;
  /** Scripted exec results; return undefined to run the command on the host instead. */
  onExec?: (containerId: string, cmd: string[], opts: ExecOpts) => ExecResult | Promise<ExecResult> | undefined;
  /** The main process of every container; default `/bin/sh` (reads commands from stdin). */
  shell?: string[];
  /** Working directory of those processes and of exec'd commands; default process.cwd(). */
  cwd?: string;
  /**
   * A host dir that stands in for the containers' filesystems: container paths under it are
   * host paths. Binds whose container side lies under it become symlinks to their host side,
   * and archives copied to a path under it are unpacked there. Elsewhere both are ignored, so a
   * run must have its guest paths moved under it (test/fakes/guest-paths.ts) to use files.
   */
  hostRoot?: string;
}

/**
 * An in-memory ContainerRuntime for unit tests. Images, containers, networks and volumes are
 * records; every call is appended to `calls`. What it does NOT fake: a container's main process
 * and exec'd commands are real processes ON THE HOST (not isolated), so only give them commands
 * that are safe to run here. Archives are recorded and otherwise ignored (getArchive yields an
 * empty tar). Errors mirror the daemon's: 404 for missing objects, 409 for name clashes.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly host = 'unix:///var/run/docker.sock';
  readonly calls: FakeCall[] = [];
  readonly images = new Set<string>();
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Map<string, { id: string; name: string; labels: Record<string, string> }>();
  readonly volumes = new Map<string, { name: string; labels: Record<string, string> }>();
  readonly #opts: FakeRuntimeOptions;
  #nextId = 1;

  constructor(opts: FakeRuntimeOptions = {}) {
    this.#opts = opts;
    for (const ref of opts.images ?? []) this.images.add(normalizeRef(ref));
  }

  /** Kills every local process this fake started (call it in afterEach). */
  async dispose(): Promise<void> {
    await Promise.all([...this.containers.values()].map((c) => this.#stop(c)));
  }

  /** The recorded calls to one method, in order. */
  callsTo(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  async ping(): Promise<void> {
    this.#record('ping');
  }

  async imageExists(ref: string): Promise<boolean> {
    this.#record('imageExists', ref);
    return this.images.has(normalizeRef(ref));
  }

  async inspectImage(ref: string): Promise<ImageInfo> {
    this.#record('inspectImage', ref);
    this.#image(ref, 'inspect image');
    const defaults: ImageInfo = { id: `sha256:${ref}`, env: [], cmd: null, entrypoint: null, exposedPorts: [], workingDir: '', user: '', labels: {} };
    return { ...defaults, ...this.#opts.imageInfo?.[ref], ...this.#opts.imageInfo?.[normalizeRef(ref)] };
  }

  async pullImage(ref: string, opts: { auth?: RegistryAuth; onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}): Promise<void> {
    this.#record('pullImage', ref, opts.auth);
    if (opts.signal?.aborted) throw new CancelledError(`pull image ${ref}: cancelled`);
    opts.onProgress?.({ status: `Status: Downloaded newer image for ${normalizeRef(ref)}` });
    this.images.add(normalizeRef(ref));
  }

  async tagImage(ref: string, repo: string, tag: string): Promise<void> {
    this.#record('tagImage', ref, repo, tag);
    this.#image(ref, 'tag image');
    this.images.add(`${repo}:${tag}`);
  }

  async pushImage(repo: string, tag: string, opts: { auth?: RegistryAuth; onProgress?: (p: PullProgress) => void }): Promise<void> {
    this.#record('pushImage', repo, tag, opts.auth);
    this.#image(`${repo}:${tag}`, 'push image');
    opts.onProgress?.({ status: `${tag}: digest: sha256:fake size: 0` });
  }

  async removeImage(ref: string): Promise<void> {
    this.#record('removeImage', ref);
    this.images.delete(normalizeRef(ref));
  }

  async listImages(label: string): Promise<ListedImage[]> {
    this.#record('listImages', label);
    return [];
  }

  async createNetwork(name: string, labels: Record<string, string>): Promise<string> {
    this.#record('createNetwork', name, labels);
    if (this.networks.has(name)) throw new DockerApiError(409, `create network ${name}`, `network with name ${name} already exists`);
    const id = this.#id('net');
    this.networks.set(name, { id, name, labels });
    return id;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    this.#record('removeNetwork', idOrName);
    for (const [name, n] of this.networks) if (name === idOrName || n.id === idOrName) this.networks.delete(name);
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    this.#record('createContainer', spec);
    const op = `create container ${spec.name}`;
    this.#image(spec.image, op);
    if ([...this.containers.values()].some((c) => c.spec.name === spec.name)) {
      throw new DockerApiError(409, op, `Conflict. The container name "/${spec.name}" is already in use`);
    }
    const id = this.#id('ctr');
    this.containers.set(id, { id, spec, running: false, exitCode: 0, process: undefined });
    for (const bind of spec.binds ?? []) this.#link(bind);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.#record('startContainer', id);
    const c = this.#container(id, 'start container');
    if (!c.process) this.#spawn(c);
    c.running = true;
  }

  async attach(id: string): Promise<AttachedProcess> {
    this.#record('attach', id);
    const c = this.#container(id, 'attach to container');
    return (c.process ?? this.#spawn(c)).attach();
  }

  async inspectContainer(id: string): Promise<ContainerInfo> {
    this.#record('inspectContainer', id);
    const c = this.#container(id, 'inspect container');
    const published: Record<string, string> = {};
    for (const [port, list] of Object.entries(c.spec.portBindings ?? {})) if (list[0]) published[port] = list[0].hostPort;
    const ips: Record<string, string> = {};
    if (c.spec.network) ips[c.spec.network.name] = `172.30.0.${[...this.containers.keys()].indexOf(c.id) + 2}`;
    return {
      id: c.id, name: c.spec.name, running: c.running, exitCode: c.exitCode, ips, env: c.spec.env ?? [],
      exposedPorts: c.spec.exposedPorts ?? [], health: 'none', publishedPorts: published,
    };
  }

  async exec(id: string, cmd: string[], opts: ExecOpts = {}): Promise<ExecResult> {
    this.#record('exec', id, cmd, opts);
    const c = this.#container(id, 'exec in container');
    if (!c.running) throw new DockerApiError(409, 'exec in container', `Container ${id} is not running`);
    const scripted = await this.#opts.onExec?.(id, cmd, opts);
    if (scripted) return scripted;
    return runLocally(cmd, { env: this.#env([...(c.spec.env ?? []), ...(opts.env ?? [])]), cwd: this.#opts.cwd ?? process.cwd() }, opts.stdin);
  }

  async restartContainer(id: string, timeoutSec: number): Promise<void> {
    this.#record('restartContainer', id, timeoutSec);
    const c = this.#container(id, 'restart container');
    await this.#stop(c);
    this.#spawn(c);
    c.running = true;
  }

  async stopContainer(id: string, timeoutSec: number): Promise<void> {
    this.#record('stopContainer', id, timeoutSec);
    await this.#stop(this.#container(id, 'stop container'));
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    this.#record('killContainer', id, signal);
    const c = this.#container(id, 'kill container');
    c.process?.kill((signal as NodeJS.Signals | undefined) ?? 'SIGKILL');
    if (c.process) await c.process.exited;
  }

  async removeContainer(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    this.#record('removeContainer', id, opts);
    const c = this.#find(id);
    if (!c) return;
    if (c.running && !opts.force) throw new DockerApiError(409, `remove container ${id}`, 'You cannot remove a running container. Stop the container before attempting removal or force remove');
    await this.#stop(c);
    this.containers.delete(c.id);
  }

  async waitContainer(id: string): Promise<number> {
    this.#record('waitContainer', id);
    const c = this.#container(id, 'wait for container');
    if (c.running && c.process) await c.process.exited;
    return c.exitCode;
  }

  async containerLogs(id: string, opts: { tail?: number } = {}): Promise<string> {
    this.#record('containerLogs', id, opts);
    const log = this.#container(id, 'read logs of container').process?.log ?? '';
    if (opts.tail === undefined) return log;
    return log.split(/(?<=\n)/).slice(-opts.tail).join('');
  }

  async putArchive(id: string, containerPath: string, tar: Readable): Promise<void> {
    this.#record('putArchive', id, containerPath);
    this.#container(id, 'copy into container');
    if (this.#underRoot(containerPath)) {
      mkdirSync(containerPath, { recursive: true });
      await pipeline(tar, tarFs.extract(containerPath));
      return;
    }
    for await (const _ of tar); // drain, so whoever produces the tar is not left blocked
  }

  async getArchive(id: string, containerPath: string): Promise<Readable> {
    this.#record('getArchive', id, containerPath);
    this.#container(id, 'copy from container');
    const empty = pack();
    empty.finalize();
    return Readable.from(empty);
  }

  async loadImage(tar: Readable): Promise<string[]> {
    this.#record('loadImage');
    tar.resume();
    return [];
  }

  async login(auth: RegistryAuth): Promise<string> {
    this.#record('login', auth.serveraddress);
    return 'Login Succeeded';
  }

  async saveImage(ref: string): Promise<Readable> {
    this.#record('saveImage', ref);
    this.#image(ref, 'save image');
    return Readable.from([Buffer.alloc(1024)]);
  }

  async buildImage(context: Readable, opts: BuildOptions): Promise<string> {
    this.#record('buildImage', opts.tag);
    context.resume();
    this.images.add(opts.tag.includes(':') ? opts.tag : `${opts.tag}:latest`);
    return `sha256:${this.#id('img')}`;
  }

  async commitContainer(id: string, opts: CommitOptions): Promise<string> {
    this.#record('commitContainer', id, opts);
    this.#container(id, 'commit container');
    this.images.add(`${opts.repo}:${opts.tag}`);
    return `sha256:${this.#id('img')}`;
  }

  async listLabelled(label: string, value?: string): Promise<Labelled> {
    this.#record('listLabelled', label, value);
    const has = (labels: Record<string, string>) => label in labels && (value === undefined || labels[label] === value);
    return {
      containers: [...this.containers.values()].filter((c) => has(c.spec.labels)).map((c) => ({ id: c.id, name: c.spec.name, labels: c.spec.labels })),
      networks: [...this.networks.values()].filter((n) => has(n.labels)),
      volumes: [...this.volumes.values()].filter((v) => has(v.labels)),
    };
  }

  async removeVolume(name: string): Promise<void> {
    this.#record('removeVolume', name);
    this.volumes.delete(name);
  }

  #underRoot(containerPath: string): boolean {
    const root = this.#opts.hostRoot;
    return root !== undefined && path.resolve(containerPath).startsWith(`${path.resolve(root)}${path.sep}`);
  }

  /** `host:container[:mode]` under hostRoot: the container side becomes a symlink to the host side (modes are not enforced). */
  #link(bind: string): void {
    const [host, container] = bind.split(':');
    if (!host || !container || !this.#underRoot(container)) return;
    mkdirSync(path.dirname(container), { recursive: true });
    rmSync(container, { recursive: true, force: true });
    symlinkSync(host, container);
  }

  #record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  #id(prefix: string): string {
    return `${prefix}${(this.#nextId++).toString(16).padStart(12, '0')}`;
  }

  #image(ref: string, op: string): void {
    if (!this.images.has(normalizeRef(ref))) throw new DockerApiError(404, op, `No such image: ${normalizeRef(ref)}`);
  }

  #find(idOrName: string): FakeContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.spec.name === idOrName);
  }

  #container(idOrName: string, op: string): FakeContainer {
    const c = this.#find(idOrName);
    if (!c) throw new DockerApiError(404, `${op} ${idOrName}`, `No such container: ${idOrName}`);
    return c;
  }

  #env(list: string[]): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const kv of list) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    return env;
  }

  #spawn(c: FakeContainer): LocalProcess {
    const proc = new LocalProcess(this.#opts.shell ?? ['/bin/sh'], { env: this.#env(c.spec.env ?? []), cwd: this.#opts.cwd ?? process.cwd() });
    c.process = proc;
    void proc.exited.then((code) => {
      if (c.process !== proc) return;
      c.running = false;
      c.exitCode = code;
    });
    return proc;
  }

  async #stop(c: FakeContainer): Promise<void> {
    const proc = c.process;
    c.running = false;
    if (!proc) return;
    proc.kill('SIGKILL');
    c.exitCode = await proc.exited;
  }
}

function normalizeRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? ref : `${ref}:latest`;
}

function runLocally(cmd: string[], opts: { env: NodeJS.ProcessEnv; cwd: string }, stdin?: string): Promise<ExecResult> {
  const [file = 'true', ...args] = cmd;
  return new Promise((resolve) => {
    const child = execFile(file, args, { ...opts, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      resolve({ exitCode: code, stdout, stderr });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(stdin ?? '');
  });
}
