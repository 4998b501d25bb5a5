import { describe, expect, it } from 'vitest';
import { FakeServer, type Answer } from '../../test/fakes/fake-remote-shell.ts';
import { ReleaseCommands } from './commands.ts';
import { applySite } from './nginx-apply.ts';
import { Remote } from './remote.ts';
import type { ReleaseSpec } from './release-spec.ts';
import { withSiteCheck } from './site-check.ts';

const spec = {
  prefix: 'app', stateDir: 's', docker: ['docker'],
  nginx: { site: '/etc/nginx/app.conf', serverNames: ['app'], listen: '8088', command: ['nginx'] },
} as unknown as ReleaseSpec;
const CHECK = 'sh -c command -v curl';
const WRITE = 'install -m 644 /dev/stdin /etc/nginx/app.conf';

function host(answers: Record<string, Answer | ((stdin?: string) => Answer)>) {
  const written: string[] = [];
  const s = new FakeServer({ 'cat /etc/nginx/app.conf': { stdout: 'old site' }, [WRITE]: (stdin) => (written.push(stdin ?? ''), undefined), ...answers });
  const said: string[] = [];
  return { s, written, said, r: new Remote(s, (l) => said.push(l)), c: new ReleaseCommands(spec) };
}

describe('applySite', () => {
  it('writes the site with its check server, tests, reloads, then asks nginx for that file\'s hash', async () => {
    const h = host({});
    await applySite(h.r, h.c, 'new site\n', { what: 'the new site' });
    const { text, generation } = withSiteCheck(spec.nginx!, 'app', 'new site\n');
    expect(h.written).toEqual([text]);
    const order = [WRITE, 'nginx -t -q', 'nginx -s reload', CHECK].map((p) => h.s.ran.findIndex((l) => l.startsWith(p)));
    expect(order.every((i) => i >= 0) && [...order].sort((a, b) => a - b).join() === order.join()).toBe(true);
    const check = h.s.ran.find((l) => l.startsWith(CHECK))!;
    expect(check.endsWith(` sh ${generation} http://127.0.0.1:8088/werker-site app.werker.invalid 10`)).toBe(true);
  });

  it('puts the old file back and reloads again when nginx does not take the site up, and says what nginx answered', async () => {
    const h = host({ [CHECK]: { code: 1, stdout: '<html>old app</html>\n' } });
    const err = await applySite(h.r, h.c, 'new site\n', { what: 'the maintenance site' }).catch((e: Error & { hint?: string }) => e);
    expect((err as Error).message).toBe('srv: nginx did not take up the maintenance site within 10 s of the reload (it answered: <html>old app</html>)');
    expect((err as { hint?: string }).hint).toContain('see its error log on srv; the previous site file was put back');
    expect(h.written.at(-1)).toBe('old site\n');
    expect(h.s.ran.filter((l) => l === 'nginx -s reload')).toHaveLength(2);
  });

  it('a site nginx rejects is put back (removed when there was none) and never reloaded', async () => {
    const h = host({ 'cat /etc/nginx/app.conf': { code: 1 }, 'nginx -t': { code: 1, stderr: 'nginx: [emerg] unexpected ";"' } });
    await expect(applySite(h.r, h.c, 'bad;\n', { what: 'the site' })).rejects.toThrow('srv: nginx rejected the site: nginx: [emerg] unexpected ";"');
    expect(h.s.ran).toContain('rm -f /etc/nginx/app.conf');
    expect(h.s.ran.some((l) => l.startsWith('nginx -s reload') || l.startsWith(CHECK))).toBe(false);
  });

  it('without curl on the host, goes on after the reload and says it could not confirm', async () => {
    const h = host({ [CHECK]: { code: 127 } });
    await applySite(h.r, h.c, 'new site\n', { what: 'the new site' });
    expect(h.said).toContain('srv: nginx was reloaded; curl is not installed there, so werker could not confirm it serves the new site yet');
    expect(h.written).toHaveLength(1);
  });
});
