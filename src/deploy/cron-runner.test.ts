import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cronJobs } from './cron.ts';
import { cronScript } from './cron-runner.ts';
import { parseRuns } from './release-status.ts';

/**
 * The runner script run by the local `sh`, as cron runs it on a host: from a home directory
 * with the state dir in it, `docker-command` standing in for `docker` (it runs the command
 * here), and a loopback HTTP server as the webhook. The integration test runs it on the
 * deploy target with the real docker and cron (test/integration/release-day2.test.ts).
 */
describe('cron runner script', () => {
  let home: string;
  let server: Server;
  let url: string;
  const posts: { type: string; body: string }[] = [];

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'werker-cron-runner-'));
    mkdirSync(path.join(home, 'st', 'cron'), { recursive: true });
    writeFileSync(path.join(home, 'st', 'live'), 'app_v1\n');
    // `docker exec <container> cmd…` → `cmd…` here.
    writeFileSync(path.join(home, 'docker'), '#!/bin/sh\nshift 2\nexec "$@"\n');
    chmodSync(path.join(home, 'docker'), 0o755);
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posts.push({ type: req.headers['content-type'] ?? '', body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/cron?token=abc`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(home, { recursive: true, force: true });
  });

  const script = (line: string, history = 3, webhook: string | undefined = url) => {
    const [job] = cronJobs(line);
    const text = cronScript({ prefix: 'app', stateDir: 'st', docker: [path.join(home, 'docker')], cronHistory: history, ...(webhook ? { notify: { webhook } } : {}) }, job!);
    const file = path.join(home, `${job!.name}.sh`);
    writeFileSync(file, text);
    return { job: job!, file, text };
  };
  const tick = (file: string) => new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile('sh', [file], { env: { HOME: home } }, (err, stdout) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, stdout }));
  });

  it('is plain POSIX sh, and the webhook URL is never an argument', () => {
    const { text } = script('* * * * * true');
    execFileSync('sh', ['-n', '-c', text]);
    const urlLines = text.split('\n').filter((l) => l.includes(url));
    expect(urlLines).toEqual([`url = "${url}"`]);
  });

  it('records each run (JSON, output tail, release), keeps the last N, passes the exit code and output on', async () => {
    const { job, file } = script(`* * * * * sh -c 'echo "tab\there \\\\ \\"q\\" é"; printf "\\001ctl\\n"; exit $(cat /dev/null; echo 0)'`);
    for (let i = 0; i < 5; i++) {
      const r = await tick(file);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('tab\there');
    }
    const runs = parseRuns(readFileSync(path.join(home, 'st', 'cron', `${job.name}.history`), 'utf8'));
    expect(runs).toHaveLength(3);
    expect(runs[2]).toMatchObject({ job: job.name, release: 'app_v1', exitCode: 0, output: 'tab here \\ "q" é\nctl', notified: '-' });
    expect(runs[2]!.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('a failed run is POSTed to the webhook as JSON, and the history says how that went', async () => {
    posts.length = 0;
    const { job, file } = script("* * * * * sh -c 'echo about to fail; exit 3'");
    expect((await tick(file)).code).toBe(3);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.type).toBe('application/json');
    expect(JSON.parse(posts[0]!.body)).toMatchObject({ event: 'cron.failed', app: 'app', job: job.name, release: 'app_v1', exitCode: 3, output: 'about to fail', command: "sh -c echo about to fail; exit 3" });
    const [run] = parseRuns(readFileSync(path.join(home, 'st', 'cron', `${job.name}.history`), 'utf8'));
    expect(run).toMatchObject({ exitCode: 3, notified: 'HTTP 200' });
  });

  it('a webhook that cannot be reached is noted in the run\'s record; the run keeps its own exit code', async () => {
    const { job, file } = script("* * * * * sh -c 'exit 4'", 3, 'http://127.0.0.1:1/nobody');
    expect((await tick(file)).code).toBe(4);
    const [run] = parseRuns(readFileSync(path.join(home, 'st', 'cron', `${job.name}.history`), 'utf8'));
    expect(run!.notified).toMatch(/^curl: \(7\).*\nHTTP 000$/);
  });
});
