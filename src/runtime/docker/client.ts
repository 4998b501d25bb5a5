import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { RuntimeUnavailableError } from '../../errors.ts';
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
  TerminalStreams,
  ListedImage,
} from '../runtime.ts';
import { dockerEnv, findDockerAddress, type DockerTlsFlags } from './address.ts';
import { toCreateOptions } from './container-options.ts';
import { demuxBuffer, demuxToChunks } from './demux.ts';
import { runExec, type ExecOptions } from './exec.ts';
import { runInteractiveExec } from './exec-tty.ts';
import { ACTIVE_ENDPOINTS, statusOf, toDockerApiError } from './map-error.ts';
import { followBuild, followProgress } from './progress.ts';
import { toContainerInfo, toImageInfo } from './to-info.ts';

const START_HINT =
  'start one (e.g. `sudo dockerd &`, or `bash scripts/setup-docker.sh` in this repository) or point --docker-host / DOCKER_HOST at one';
const CONNECT_TIMEOUT_MS = 10_000;
/** Tries at removing a network that still counts endpoints (see removeNetwork). */
const NETWORK_REMOVE_ATTEMPTS = 4;

/** ContainerRuntime over dockerode. Every dockerode error is mapped here, once, to a WerkerError. */
export class DockerRuntime implements ContainerRuntime {
  constructor(
    readonly docker: Docker,
    readonly host: string,
  ) {}

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (err) {
      throw new RuntimeUnavailableError(`no Docker engine answers at ${this.host}`, { cause: err, hint: START_HINT });
    }
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw toDockerApiError(err, `inspect image ${ref}`);
    }
  }

  async inspectImage(ref: string): Promise<ImageInfo> {
    return toImageInfo(await call(`inspect image ${ref}`, () => this.docker.getImage(ref).inspect()));
  }

  async pullImage(ref: string, opts: { auth?: RegistryAuth; onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}): Promise<void> {
    const op = `pull image ${ref}`;
    const pullOpts: Record<string, unknown> = {};
    if (opts.auth) pullOpts.authconfig = opts.auth;
    if (opts.signal) pullOpts.abortSignal = opts.signal;
    const stream = await call(op, () => this.docker.pull(ref, pullOpts) as Promise<NodeJS.ReadableStream>);
    await followProgress(this.docker.modem, stream, op, opts.onProgress, opts.signal);
  }

  async tagImage(ref: string, repo: string, tag: string): Promise<void> {
    await call(`tag image ${ref} as ${repo}:${tag}`, () => this.docker.getImage(ref).tag({ repo, tag }));
  }

  async pushImage(repo: string, tag: string, opts: { auth?: RegistryAuth; onProgress?: (p: PullProgress) => void }): Promise<void> {
    const op = `push image ${repo}:${tag}`;
    // Always send X-Registry-Auth (dockerode's authconfig), if only `{}`: the daemon rejects a
    // push without it, and credentials must never go on a command line or in the URL.
    const authconfig = opts.auth ?? {};
    const stream = await call(op, () => this.docker.getImage(repo).push({ tag, authconfig }) as Promise<NodeJS.ReadableStream>);
    await followProgress(this.docker.modem, stream, op, opts.onProgress);
  }

  async login(auth: RegistryAuth): Promise<string> {
    const res = await call(`log in at ${auth.serveraddress ?? 'Docker Hub'}`, () => this.docker.checkAuth(auth) as Promise<{ Status?: string }>);
    return res.Status ?? 'Login Succeeded';
  }

  async buildImage(context: Readable, opts: BuildOptions): Promise<string> {
    const op = `build image ${opts.tag}`;
    const remove = !opts.keepIntermediate;
    const query: Record<string, unknown> = { t: opts.tag, dockerfile: opts.dockerfile ?? 'Dockerfile', rm: remove, forcerm: remove };
    if (opts.buildArgs) query.buildargs = opts.buildArgs;
    if (opts.labels) query.labels = opts.labels;
    // One `extrahosts` query value per entry, as the daemon reads them (a comma-joined value is
    // taken as one host with an invalid address, docs/wercker-compat.md §6.3).
    if (opts.extraHosts?.length) query.extrahosts = opts.extraHosts;
    if (opts.noCache) query.nocache = true;
    if (opts.quiet) query.q = true;
    if (opts.networkMode) query.networkmode = opts.networkMode;
    if (opts.pull) query.pull = true;
    if (opts.squash) query.squash = true;
    if (opts.registryConfig) query.registryconfig = opts.registryConfig;
    const stream = await call(op, () => this.docker.buildImage(context as unknown as NodeJS.ReadableStream, query) as Promise<NodeJS.ReadableStream>);
    return followBuild(this.docker.modem, stream, op, opts.onOutput);
  }

  async loadImage(tar: Readable): Promise<string[]> {
    const op = 'load image';
    const lines: string[] = [];
    const stream = await call(op, () => this.docker.loadImage(tar as unknown as NodeJS.ReadableStream, { quiet: false }) as Promise<NodeJS.ReadableStream>);
    await followBuild(this.docker.modem, stream, op, (line) => lines.push(line));
    return lines;
  }

  async saveImage(ref: string): Promise<Readable> {
    return call(`save image ${ref}`, () => this.docker.getImage(ref).get() as Promise<Readable>);
  }

  /** Removing an image that is already gone succeeds, like the other removals (cleanup is retried). */
  async removeImage(ref: string): Promise<void> {
    await callIgnoring([404], `remove image ${ref}`, () => this.docker.getImage(ref).remove());
  }

  async listImages(label: string): Promise<ListedImage[]> {
    const found = await call(`list images labelled ${label}`, () => this.docker.listImages({ filters: { label: [label] } }));
    return found
      .map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), labels: i.Labels ?? {}, created: i.Created }))
      .sort((a, b) => b.created - a.created);
  }

  async createNetwork(name: string, labels: Record<string, string>): Promise<string> {
    const res = await call(`create network ${name}`, () =>
      this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: labels,
        // As wercker's per-run network (docs/wercker-compat.md §4.2): containers talk to each
        // other, MTU 1500.
        Options: { 'com.docker.network.bridge.enable_icc': 'true', 'com.docker.network.driver.mtu': '1500' },
      }),
    );
    return res.id;
  }

  /**
   * A network whose containers were just removed can still count their endpoints for a moment
   * on a busy engine ("has active endpoints"): those are disconnected by force and the
   * removal tried again, so a run's cleanup does not leave its network behind.
   */
  async removeNetwork(idOrName: string): Promise<void> {
    const op = `remove network ${idOrName}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.docker.getNetwork(idOrName).remove();
        return;
      } catch (err) {
        if (statusOf(err) === 404) return;
        if (!ACTIVE_ENDPOINTS.test(String((err as Error).message)) || attempt === NETWORK_REMOVE_ATTEMPTS) throw toDockerApiError(err, op);
      }
      await this.disconnectAll(idOrName);
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }

  private async disconnectAll(network: string): Promise<void> {
    const info = await this.docker.getNetwork(network).inspect().catch(() => undefined) as { Containers?: Record<string, unknown> } | undefined;
    await Promise.all(Object.keys(info?.Containers ?? {}).map((container) =>
      this.docker.getNetwork(network).disconnect({ Container: container, Force: true }).catch(() => undefined)));
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const container = await call(`create container ${spec.name}`, () => this.docker.createContainer(toCreateOptions(spec)));
    return container.id;
  }

  /** Starting a running container is not an error (the daemon answers 304). */
  async startContainer(id: string): Promise<void> {
    await callIgnoring([304], `start container ${id}`, () => this.docker.getContainer(id).start());
  }

  async attach(id: string): Promise<AttachedProcess> {
    // dockerode also sends these options as a small JSON body, written together with the
    // headers; the daemon does not read an attach body and drops what was buffered with the
    // request when it hijacks the connection, so it never reaches the shell (checked against
    // 20.10). Sending no body instead would leave the headers unsent: the request stays open.
    const options: Docker.ContainerAttachOptions = { hijack: true, stdin: true, stream: true, stdout: true, stderr: true };
    const socket = await call(`attach to container ${id}`, () => this.docker.getContainer(id).attach(options));
    const duplex = socket as NodeJS.ReadWriteStream & { destroy(): void };
    // Writes after the container is gone fail with EPIPE; the output stream ending reports that.
    duplex.on('error', () => {});
    return { stdin: socket as unknown as AttachedProcess['stdin'], output: demuxToChunks(this.docker.modem, socket), close: () => duplex.destroy() };
  }

  async inspectContainer(id: string): Promise<ContainerInfo> {
    return toContainerInfo(await call(`inspect container ${id}`, () => this.docker.getContainer(id).inspect()));
  }

  exec(id: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult> {
    return call(`exec ${JSON.stringify(cmd[0] ?? '')} in container ${id}`, () => runExec(this.docker, id, cmd, opts));
  }

  execInteractive(id: string, cmd: string[], terminal: TerminalStreams, opts?: { env?: string[]; workingDir?: string; input?: string }): Promise<number> {
    return call(`exec ${JSON.stringify(cmd[0] ?? '')} with a terminal in container ${id}`, () => runInteractiveExec(this.docker, id, cmd, terminal, opts));
  }

  async restartContainer(id: string, timeoutSec: number): Promise<void> {
    await call(`restart container ${id}`, () => this.docker.getContainer(id).restart({ t: timeoutSec }));
  }

  /** Stopping a stopped container is not an error (304). */
  async stopContainer(id: string, timeoutSec: number): Promise<void> {
    await callIgnoring([304], `stop container ${id}`, () => this.docker.getContainer(id).stop({ t: timeoutSec }));
  }

  /** Killing a container that is not running is not an error: it is already where kill would put it. */
  async killContainer(id: string, signal?: string): Promise<void> {
    const op = `kill container ${id}`;
    try {
      await this.docker.getContainer(id).kill(signal ? { signal } : {});
    } catch (err) {
      const mapped = toDockerApiError(err, op);
      if (statusOf(err) === 409 && /is not running/i.test(mapped.message)) return;
      throw mapped;
    }
  }

  /** Idempotent: a missing container, or one already being removed, counts as removed. */
  async removeContainer(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const op = `remove container ${id}`;
    try {
      await this.docker.getContainer(id).remove({ force: opts.force ?? false, v: opts.volumes ?? false });
    } catch (err) {
      const mapped = toDockerApiError(err, op);
      if (statusOf(err) === 404) return;
      if (statusOf(err) === 409 && /already in progress/i.test(mapped.message)) return;
      throw mapped;
    }
  }

  async waitContainer(id: string): Promise<number> {
    const res = await call(`wait for container ${id}`, () => this.docker.getContainer(id).wait() as Promise<{ StatusCode: number }>);
    return res.StatusCode;
  }

  async containerLogs(id: string, opts: { tail?: number } = {}): Promise<string> {
    const op = `read logs of container ${id}`;
    const logOpts = { stdout: true, stderr: true, follow: false as const, ...(opts.tail !== undefined ? { tail: opts.tail } : {}) };
    const buf = await call(op, () => this.docker.getContainer(id).logs(logOpts));
    const { stdout, stderr } = demuxBuffer(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    return stdout + stderr;
  }

  async putArchive(id: string, containerPath: string, tar: Readable): Promise<void> {
    await call(`copy into container ${id}:${containerPath}`, () => this.docker.getContainer(id).putArchive(tar, { path: containerPath }));
  }

  async getArchive(id: string, containerPath: string): Promise<Readable> {
    return call(`copy from container ${id}:${containerPath}`, () => this.docker.getContainer(id).getArchive({ path: containerPath }) as Promise<Readable>);
  }

  async commitContainer(id: string, opts: CommitOptions): Promise<string> {
    // Not paused: pausing freezes the container's cgroup, and a `docker exec` starting at that
    // moment (a terminal opened on a held box) can leave it frozen for good, every later call on
    // the container hanging. werker commits boxes between steps; a background job of a step
    // may still write, and its file is then taken as it is at that moment.
    const query: Record<string, string> = { container: id, repo: opts.repo, tag: opts.tag, pause: 'false' };
    if (opts.message) query.comment = opts.message;
    if (opts.author) query.author = opts.author;
    // The daemon merges this body over the container's own config (the Dockerfile-style changes).
    const res = await call(`commit container ${id} as ${opts.repo}:${opts.tag}`, () =>
      this.docker.getContainer(id).commit({ _query: query, _body: opts.config ?? {} }) as Promise<{ Id: string }>,
    );
    return res.Id;
  }

  async listLabelled(label: string, value?: string): Promise<Labelled> {
    const filters = { label: [value === undefined ? label : `${label}=${value}`] };
    const op = `list objects labelled ${filters.label[0]}`;
    const [containers, networks, volumes] = await Promise.all([
      call(op, () => this.docker.listContainers({ all: true, filters })),
      call(op, () => this.docker.listNetworks({ filters })),
      call(op, () => this.docker.listVolumes({ filters })),
    ]);
    return {
      containers: containers.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), labels: c.Labels ?? {} })),
      networks: networks.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} })),
      volumes: (volumes.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} })),
    };
  }

  async removeVolume(name: string): Promise<void> {
    await callIgnoring([404], `remove volume ${name}`, () => this.docker.getVolume(name).remove());
  }
}

/**
 * Connects to the engine at --docker-host / DOCKER_HOST / the default socket / wercker's fallbacks
 * (address.ts; --docker-tls-verify and --docker-cert-path read as their variables) and pins the API
 * version the daemon reports: dockerode otherwise sends unversioned paths, which a daemon serves
 * at its newest version, and we want requests and answers to match what this daemon speaks.
 */
export async function connectDocker(opts: { host?: string } & DockerTlsFlags = {}): Promise<DockerRuntime> {
  const { address, tried } = await findDockerAddress(opts.host, dockerEnv(opts));
  if (!address) throw new RuntimeUnavailableError(`no Docker engine answers at ${tried.join(', ')}`, { hint: START_HINT });
  let apiVersion: string;
  try {
    // dockerode accepts an abortSignal here though its types omit it; without one a tcp://
    // address that drops packets would hang for minutes.
    const probe = new Docker(address.options) as unknown as { version(o: { abortSignal: AbortSignal }): Promise<Docker.DockerVersion> };
    const version = await probe.version({ abortSignal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) });
    apiVersion = version.ApiVersion;
  } catch (err) {
    const denied = (err as { code?: string }).code === 'EACCES';
    throw new RuntimeUnavailableError(`no Docker engine answers at ${address.url}`, {
      cause: err,
      hint: denied ? `permission denied on ${address.url}: run as a user in the docker group (or root), or ${START_HINT}` : START_HINT,
    });
  }
  const runtime = new DockerRuntime(new Docker({ ...address.options, version: `v${apiVersion}` }), address.url);
  await runtime.ping();
  return runtime;
}

async function call<T>(op: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toDockerApiError(err, op);
  }
}

async function callIgnoring(statuses: number[], op: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (statuses.includes(statusOf(err))) return;
    throw toDockerApiError(err, op);
  }
}
