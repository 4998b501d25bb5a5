import { describe, expect, it } from 'vitest';
import { describeFacts, parseFacts, parseListeners, refusedHint } from './container-facts.ts';
import { describeProbe, parseProbe, probeCommand, probeHint, probePassed, probeRefused } from './probe.ts';

describe('health probe', () => {
  it('sends X-Forwarded-Proto only when asked, and never follows or fails on a status', () => {
    const plain = probeCommand(8001, '/up').argv;
    expect(plain.slice(0, 2)).toEqual(['sh', '-c']);
    expect(plain.at(-1)).toBe('http://127.0.0.1:8001/up');
    expect(plain).not.toContain('--fail');
    expect(plain).not.toContain('--location');
    expect(plain.join(' ')).not.toContain('X-Forwarded-Proto');
    expect(probeCommand(8001, '/up', 'https').argv).toContain('X-Forwarded-Proto: https');
  });

  it('reads status, Location, latency and the body head; 2xx passes, a redirect does not', () => {
    const moved = parseProbe({ code: 0, stdout: '301 0.0031 https://app.example.com/up\n<html><head><title>301 Moved Permanently</title>\n', stderr: '' });
    expect(moved).toEqual({ status: 301, location: 'https://app.example.com/up', body: '<html><head><title>301 Moved Permanently</title>', latencyMs: 3, curlExit: 0 });
    expect(probePassed(moved)).toBe(false);
    expect(describeProbe(moved)).toBe('301 → https://app.example.com/up in 3 ms, body "<html><head><title>301 Moved Permanently</title>"');
    expect(probePassed(parseProbe({ code: 0, stdout: '204 0.001 \n', stderr: '' }))).toBe(true);
  });

  it('a refused connection is no answer, with curl\'s own words', () => {
    const refused = parseProbe({ code: 7, stdout: '000 0.000112 \n', stderr: 'curl: (7) Failed to connect to 127.0.0.1 port 8001 after 0 ms: Couldn\'t connect to server\n' });
    expect(refused.status).toBe(0);
    expect(describeProbe(refused)).toBe('no answer: curl: (7) Failed to connect to 127.0.0.1 port 8001 after 0 ms: Couldn\'t connect to server (0 ms)');
    expect(probeRefused(refused)).toBe(true);
    // Docker's userland proxy accepts on the host port and closes when the container port is not listened on.
    expect(probeRefused(parseProbe({ code: 52, stdout: '000 0.001 \n', stderr: 'curl: (52) Empty reply from server' }))).toBe(true);
    expect(probeRefused(parseProbe({ code: 28, stdout: '000 5.001 \n', stderr: 'curl: (28) Operation timed out' }))).toBe(false);
  });

  it('hints: a redirect to https is an app that forces SSL; another redirect a health path that is not the health page', () => {
    const to = (location: string) => parseProbe({ code: 0, stdout: `301 0.001 ${location}\n`, stderr: '' });
    expect(probeHint([to('https://x/up')], { path: '/up' })).toMatch(/^the app forces SSL: .*health-forwarded-proto: https.* or set health-path/);
    expect(probeHint([to('https://x/up')], { path: '/up', forwardedProto: 'https' })).toMatch(/although the probe sends X-Forwarded-Proto: https/);
    expect(probeHint([to('http://x/login')], { path: '/' })).toBe('/ redirects to http://x/login; a probe passes on 2xx only, so set health-path to a page that answers 200');
  });
});

describe('container facts', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
    '   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
    '   2: 0100007F:1F90 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0',
    '   3: 0B00007F:9B8D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0 100 0 0 10 0',
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0 100 0 0 10 0',
  ].join('\n');

  it('reads the listening sockets from /proc/net/tcp and tcp6 (established ones are not listeners, nor Docker\'s DNS on 127.0.0.11)', () => {
    expect(parseListeners(tcp)).toEqual([{ address: '127.0.0.1', port: 3306 }, { address: '0.0.0.0', port: 8080 }, { address: '[::]', port: 8081 }]);
  });

  it('connection refused names the port asked and the ports the container listens on', () => {
    expect(refusedHint(3000, parseListeners(tcp))).toBe('nothing listens on app-port 3000; the container listens on 127.0.0.1:3306, 0.0.0.0:8080, [::]:8081: set app-port to the app\'s port, or make the app listen on 3000');
    expect(refusedHint(3306, parseListeners(tcp))).toMatch(/^the app listens on .*only on loopback inside the container.*0\.0\.0\.0:3306$/);
    expect(refusedHint(3000, [])).toMatch(/listens on no TCP port yet/);
  });

  it('says exit code, OOM kill and restarts', () => {
    expect(describeFacts(parseFacts('exited 137 true 3\n')!)).toBe('exited with exit code 137, killed for lack of memory (OOM), restarted 3 times');
    expect(describeFacts(parseFacts('running 0 false 0')!)).toBe('running');
  });
});
