import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './start.ts';

// Body limits through a real HTTP socket: what the server reads of a body that is too large.
const MB = 1024 * 1024;
let server: RunningServer;
let dataDir: string;
let port: number;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'werker-body-limits-'));
  server = await startServer({ dataDir, host: '127.0.0.1', port: 0, runners: 0, log: () => undefined, limits: { outputBytes: 64 * 1024 } });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Sent { status: number; body: string; bytesSent: number; closed: boolean }

/**
 * Writes `head` and then up to `totalBytes` of body in 256 KB writes (chunked when `chunked`),
 * stopping as soon as the server answers; returns the answer and how much had been sent then.
 */
function post(head: string, totalBytes: number, chunked: boolean): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let bytesSent = 0;
    let answered = false;
    let closed = false;
    const chunk = Buffer.alloc(256 * 1024, 'x');
    const finish = () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 0);
      resolve({ status, body: answer.slice(answer.indexOf('\r\n\r\n') + 4), bytesSent, closed });
    };
    socket.on('data', (d) => {
      answer += d.toString();
      answered = true;
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => undefined);
    const pump = () => {
      while (!answered && !socket.destroyed && bytesSent < totalBytes) {
        const piece = chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
        bytesSent += chunk.length;
        if (!socket.write(piece)) return void socket.once('drain', pump);
      }
      if (bytesSent >= totalBytes && !answered && chunked) socket.write('0\r\n\r\n');
    };
    socket.once('connect', () => {
      socket.write(head);
      pump();
    });
    setTimeout(() => reject(new Error(`no answer after ${bytesSent} bytes`)), 20_000).unref();
  });
}

const headers = (pathAndQuery: string, extra: string, method = 'POST') =>
  `${method} ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra}\r\n`;

describe('body limits on a real socket', () => {
  it('refuses a webhook that declares 100 MB at once, having read none of it, and closes the connection', async () => {
    const r = await post(headers('/hooks/github/shop', `Content-Length: ${100 * MB}\r\n`), 100 * MB, false);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body.trim())).toEqual({ error: 'the body is larger than the 25 MB a webhook delivery may send; nothing was done' });
    expect(r.bytesSent).toBeLessThan(30 * MB);
    expect(r.closed).toBe(true);
  });

  it('stops reading a chunked webhook (no Content-Length) just past 25 MB', async () => {
    const r = await post(headers('/hooks/github/shop', 'Transfer-Encoding: chunked\r\n'), 100 * MB, true);
    expect(r.status).toBe(413);
    expect(r.bytesSent).toBeGreaterThan(25 * MB);
    // What the socket buffers hold on top of the limit, never the whole 100 MB.
    expect(r.bytesSent).toBeLessThan(40 * MB);
    expect(r.closed).toBe(true);
  });

  it('takes 1 MB on the API and forms, before authentication reads the form', async () => {
    const api = await post(headers('/api/applications', 'Transfer-Encoding: chunked\r\n'), 8 * MB, true);
    expect(api.status).toBe(413);
    expect(api.body).toContain('1 MB a form or API request may send');
    expect(api.bytesSent).toBeLessThan(6 * MB);
    const login = await post(headers('/login', `Content-Length: ${2 * MB}\r\n`).replace('application/json', 'application/x-www-form-urlencoded'), 2 * MB, false);
    expect(login.status).toBe(413);
  });

  it('lets a body under the limit through to the route', async () => {
    const body = '{"zen":"x"}';
    const r = await post(headers('/hooks/github/no-such-app', `Content-Length: ${body.length}\r\nConnection: close\r\n`) + body, 0, false);
    expect(r.status).toBe(404);
  });

  it('refuses a build output upload that declares more than --max-output-mb', async () => {
    const { token } = await server.core.auth.createToken('runner', 'limits');
    const r = await post(headers('/api/runner/runs/1/output', `Authorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\n`, 'PUT'), 4 * MB, true);
    // This token never claimed run 1: 403 before the body is read; the limit itself is checked below.
    expect([403, 409, 413]).toContain(r.status);
    const declared = await post(headers('/api/runner/runs/1/output', `Authorization: Bearer ${token}\r\nContent-Length: ${MB}\r\n`, 'PUT'), MB, false);
    expect(declared.status).toBe(413);
    expect(declared.body).toContain('64 KB a build output (--max-output-mb) may send');
  });
});
