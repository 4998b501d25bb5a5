import type { Readable, Writable } from 'node:stream';

/**
 * The engine's only view of a container engine. The Docker implementation lives in
 * runtime/docker/; unit tests use test/fakes/fake-runtime.ts. Every object werker creates carries
 * the labels given, so a crashed run's leftovers can be found and removed.
 */
export interface ContainerRuntime {
  /** Resolves when the engine answers; throws RuntimeUnavailableError otherwise. */
  ping(): Promise<void>;
  /** The engine's address, as steps inside a `docker: true` box should use it. */
  readonly host: string;

  imageExists(ref: string): Promise<boolean>;
  inspectImage(ref: string): Promise<ImageInfo>;
  pullImage(ref: string, opts?: { auth?: RegistryAuth; onProgress?: (p: PullProgress) => void; signal?: AbortSignal }): Promise<void>;
  tagImage(ref: string, repo: string, tag: string): Promise<void>;
  pushImage(repo: string, tag: string, opts: { auth?: RegistryAuth; onProgress?: (p: PullProgress) => void }): Promise<void>;
  /** The engine logs in at `auth.serveraddress` with the credentials (`docker login`); its status line, or it throws. */
  login(auth: RegistryAuth): Promise<string>;
  removeImage(ref: string): Promise<void>;
  /** Images carrying `label` (werker's snapshots), newest first. */
  listImages(label: string): Promise<ListedImage[]>;
  /** Loads images from a `docker save` style tar (manifest.json, config, layers); resolves with the output lines. */
  loadImage(tar: Readable): Promise<string[]>;
  /** The image as `docker save` writes it: a tar that `docker load` reads back. */
  saveImage(ref: string): Promise<Readable>;
  /** Builds an image from a tar of the context; resolves with the image id. */
  buildImage(context: Readable, opts: BuildOptions): Promise<string>;

  createNetwork(name: string, labels: Record<string, string>): Promise<string>;
  removeNetwork(idOrName: string): Promise<void>;

  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Attaches stdin + stdout/stderr of the main process (Tty=false, demultiplexed). Call before start. */
  attach(id: string): Promise<AttachedProcess>;
  inspectContainer(id: string): Promise<ContainerInfo>;
  /** Runs a command to completion and returns its output (for helpers, not for steps). */
  exec(id: string, cmd: string[], opts?: { env?: string[]; user?: string; workingDir?: string; stdin?: string }): Promise<ExecResult>;
  /**
   * Runs a command with a terminal (Tty=true) wired to `terminal` until it exits; resolves with
   * its exit code. Only runtimes that can attach a terminal have it (not the unit-test fake).
   */
  execInteractive?(id: string, cmd: string[], terminal: TerminalStreams, opts?: { env?: string[]; workingDir?: string; input?: string }): Promise<number>;
  restartContainer(id: string, timeoutSec: number): Promise<void>;
  stopContainer(id: string, timeoutSec: number): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  removeContainer(id: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void>;
  /** Waits for the container to exit; resolves with its exit code. */
  waitContainer(id: string): Promise<number>;
  containerLogs(id: string, opts?: { tail?: number }): Promise<string>;

  putArchive(id: string, containerPath: string, tar: Readable): Promise<void>;
  getArchive(id: string, containerPath: string): Promise<Readable>;
  commitContainer(id: string, opts: CommitOptions): Promise<string>;

  /** Everything carrying `label=value` (or just `label`), for cleanup. */
  listLabelled(label: string, value?: string): Promise<Labelled>;
  removeVolume(name: string): Promise<void>;
}

export interface BuildOptions {
  tag: string;
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  extraHosts?: string[];
  noCache?: boolean;
  quiet?: boolean;
  networkMode?: string;
  pull?: boolean;
  /** Keep the intermediate containers of every build step (werker's `--no-remove`), not only a failed one's. */
  keepIntermediate?: boolean;
  /** Squash the new layers into one (the engine refuses it without experimental mode). */
  squash?: boolean;
  /** registry host → credentials, for FROM images in private registries. */
  registryConfig?: Record<string, { username: string; password: string }>;
  /** Each line the build prints. */
  onOutput?: (line: string) => void;
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
  email?: string;
}

export interface PullProgress {
  id?: string;
  status: string;
  current?: number;
  total?: number;
}

export interface ImageInfo {
  id: string;
  env: string[];
  cmd: string[] | null;
  entrypoint: string[] | null;
  /** e.g. ["5432/tcp"] */
  exposedPorts: string[];
  workingDir: string;
  user: string;
  healthcheck?: { test: string[]; intervalNs?: number; timeoutNs?: number; retries?: number };
  labels: Record<string, string>;
}

export interface ContainerSpec {
  name: string;
  image: string;
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  labels: Record<string, string>;
  workingDir?: string;
  user?: string;
  /** Keep stdin open and attachable (the box's shell reads its commands from it). */
  openStdin?: boolean;
  tty?: boolean;
  /** Network to join at creation, with aliases on it. */
  network?: { name: string; aliases: string[] };
  binds?: string[];
  /** container port ("8000/tcp") → host bindings */
  portBindings?: Record<string, { hostIp?: string; hostPort: string }[]>;
  exposedPorts?: string[];
  privileged?: boolean;
  memoryBytes?: number;
  /** Memory plus swap (Docker's MemorySwap; -1: unlimited swap). */
  memorySwapBytes?: number;
  dns?: string[];
  restartPolicy?: { name: 'no' | 'always' | 'unless-stopped' | 'on-failure'; maximumRetryCount?: number };
  volumes?: string[];
  extraHosts?: string[];
  /** Docker's logging driver for the container (the daemon's default when unset); `none` keeps no log. */
  logDriver?: string;
}

export interface ContainerInfo {
  id: string;
  name: string;
  running: boolean;
  exitCode: number;
  /** network name → IP address */
  ips: Record<string, string>;
  env: string[];
  exposedPorts: string[];
  health?: 'starting' | 'healthy' | 'unhealthy' | 'none';
  /** "8000/tcp" → host port */
  publishedPorts: Record<string, string>;
}

export interface AttachedProcess {
  stdin: Writable;
  /** stdout and stderr, demultiplexed, in arrival order. Ends when the process's streams close. */
  output: Readable & AsyncIterable<OutputChunk>;
  close(): void;
}

export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export interface ListedImage {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  /** Seconds since the epoch. */
  created: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CommitOptions {
  repo: string;
  tag: string;
  message?: string;
  author?: string;
  /** Dockerfile-style config changes merged over the container's config. */
  config?: {
    Cmd?: string[];
    Entrypoint?: string[];
    Env?: string[];
    ExposedPorts?: Record<string, object>;
    WorkingDir?: string;
    User?: string;
    Labels?: Record<string, string>;
    Volumes?: Record<string, object>;
    StopSignal?: string;
  };
}

export interface Labelled {
  containers: { id: string; name: string; labels: Record<string, string> }[];
  networks: { id: string; name: string; labels: Record<string, string> }[];
  volumes: { name: string; labels: Record<string, string> }[];
}

/** The user's terminal, for an interactive exec: raw input, output, size and its changes. */
export interface TerminalStreams {
  input: Readable;
  output: Writable;
  size(): { rows: number; cols: number };
  /** Calls `listener` on each resize; returns the unsubscribe function. */
  onResize(listener: () => void): () => void;
  /** Raw mode on (keys go to the container, Ctrl-C included) or back off. */
  setRaw(raw: boolean): void;
}
