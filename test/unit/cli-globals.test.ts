import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { bufferOutput } from '../fakes/buffer-output.ts';

// wercker's global flags that stand for a command's own, and the version flags it took
// (docs/wercker-compat.md §8.1, §8.2, §3.2).

/** The options the command a command line reaches sees, with the real program and the actions replaced. */
async function optionsOf(argv: string[]): Promise<{ name: string; opts: Record<string, unknown> }> {
  const program = buildProgram(bufferOutput(), argv);
  let reached = { name: '', opts: {} as Record<string, unknown> };
  for (const cmd of program.commands as Command[]) cmd.action(() => { reached = { name: cmd.name(), opts: cmd.opts() }; });
  await program.parseAsync(argv, { from: 'user' });
  return reached;
}

describe('global flags', () => {
  it('--log-json is the command\'s --json: werker --log-json version prints JSON', async () => {
    const out = bufferOutput();
    expect(await main(['--log-json', 'version'], out)).toBe(0);
    expect(JSON.parse(out.out)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect((await optionsOf(['--log-json', 'build', '.'])).opts.json).toBe(true);
    expect((await optionsOf(['build', '.'])).opts.json).toBeUndefined();
  });

  it('--base-url reaches the pipeline commands, before or after the command, and the server keeps its own', async () => {
    expect((await optionsOf(['--base-url', 'http://ci.test', 'build', '.'])).opts.baseUrl).toBe('http://ci.test');
    expect((await optionsOf(['deploy', '--base-url', 'http://ci.test'])).opts.baseUrl).toBe('http://ci.test');
    expect(await optionsOf(['server', '--base-url', 'http://me.test', '--port', '0'])).toMatchObject({ name: 'server', opts: { baseUrl: 'http://me.test' } });
  });

  it('--auth-token and --auth-token-store are taken with a warning that they do nothing, never echoing the token (§8.2)', async () => {
    for (const argv of [['--auth-token', 'tok-123', 'version'], ['--auth-token-store', '/nowhere/token', 'version']]) {
      const out = bufferOutput();
      expect(await main(argv, out), out.err).toBe(0);
      expect(out.out).toMatch(/^werker version \d+\.\d+\.\d+/);
      expect(out.err).toMatch(/^warning: --auth-token(-store)? signed in to wercker's hosted service, which werker has no use for; ignored\n$/);
      expect(out.err).not.toContain('tok-123');
    }
  });

  it('version takes wercker\'s --beta and --no-update-check and prints the version', async () => {
    for (const argv of [['version', '--beta'], ['version', '--no-update-check'], ['v', '--beta', '--no-update-check=true']]) {
      const out = bufferOutput();
      expect(await main(argv, out), out.err).toBe(0);
      expect(out.out).toMatch(/^werker version \d+\.\d+\.\d+/);
    }
  });

  it('--docker-tls-verify and --docker-cert-path are read as DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (§8.3)', async () => {
    const out = bufferOutput();
    const code = await main(['build', '.', '--docker-host', 'tcp://127.0.0.1:1', '--docker-tls-verify', '1', '--docker-cert-path', '/no/such/certs'], out);
    expect(code, out.err).toBe(2);
    expect(out.err).toContain('error: cannot read the Docker TLS certificates in /no/such/certs');
  });
});

