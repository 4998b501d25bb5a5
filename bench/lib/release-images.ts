import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REGISTRY } from '../../test/helpers/registry.ts';
import { BUSYBOX } from './docker-objects.ts';
import { runBash } from './shell.ts';

/**
 * Small web images in the local registry for P7: busybox httpd serving `/` (the version) and
 * `/health`. Each version is its own image (its own layer), pushed and then removed locally, so
 * a deploy really pulls it. Docker's credentials live in a config dir of the bench's own (`--config`),
 * so no login of another user of the machine is touched.
 */
export class ReleaseImages {
  readonly image: string;
  readonly #tags: string[] = [];

  constructor(readonly repo: string, readonly dir: string, readonly label: string) {
    this.image = `${REGISTRY.host}/${repo}`;
  }

  /** `docker --config DIR` for the bench's own credentials. */
  get docker(): string {
    return `docker --config '${this.dir}/docker-config'`;
  }

  async login(): Promise<void> {
    await runBash(`printf '%s' '${REGISTRY.password}' | ${this.docker} login ${REGISTRY.host} --username ${REGISTRY.username} --password-stdin >/dev/null`);
  }

  /**
   * Builds the image for `tag` serving `version`, pushes it and removes it locally. `files` (a
   * build context by path, Dockerfile included) replaces the static site.
   */
  async publish(tag: string, version: string, files?: Record<string, string>): Promise<void> {
    const ctx = path.join(this.dir, `ctx-${tag}`);
    const context = files ?? {
      Dockerfile: `FROM ${BUSYBOX}\nCOPY www /www\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
      'www/index.html': `${version}\n`,
      'www/health': 'ok\n',
    };
    for (const [name, text] of Object.entries(context)) {
      await mkdir(path.dirname(path.join(ctx, name)), { recursive: true });
      await writeFile(path.join(ctx, name), text);
    }
    this.#tags.push(tag);
    await runBash(`
      ${this.docker} build -q --label ${this.label} -t '${this.image}:${tag}' '${ctx}' >/dev/null
      ${this.docker} push -q '${this.image}:${tag}' >/dev/null
      docker rmi '${this.image}:${tag}' >/dev/null`);
  }

  /** Local copies (the deploys pulled them) and the manifests in the registry. */
  async remove(): Promise<void> {
    await runBash(`
      ids=$(docker images -q '${this.image}' | sort -u)
      if [ -n "$ids" ]; then docker rmi -f $ids >/dev/null; fi`);
    const auth = `Basic ${Buffer.from(`${REGISTRY.username}:${REGISTRY.password}`).toString('base64')}`;
    for (const tag of this.#tags) {
      const url = `http://${REGISTRY.host}/v2/${this.repo}/manifests`;
      const head = await fetch(`${url}/${tag}`, { method: 'HEAD', headers: { authorization: auth, accept: 'application/vnd.docker.distribution.manifest.v2+json' } }).catch(() => undefined);
      const digest = head?.headers.get('docker-content-digest');
      if (digest) await fetch(`${url}/${digest}`, { method: 'DELETE', headers: { authorization: auth } }).catch(() => undefined);
    }
  }
}
