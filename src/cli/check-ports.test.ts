import { describe, expect, it } from 'vitest';
import { publishBindings } from '../engine/services.ts';
import { portInUse } from '../runtime/docker/map-error.ts';
import { assertPublishFlags } from './check-ports.ts';

describe('publishing ports', () => {
  it('publishes on 127.0.0.1 unless the value names an address', () => {
    expect(publishBindings(['8000', '8081:80', '0.0.0.0:9000:90/udp'])).toEqual({
      '8000/tcp': [{ hostIp: '127.0.0.1', hostPort: '8000' }],
      '80/tcp': [{ hostIp: '127.0.0.1', hostPort: '8081' }],
      '90/udp': [{ hostIp: '0.0.0.0', hostPort: '9000' }],
    });
  });

  it('accepts PORT, HOST:PORT and IP:HOST:PORT, and rejects anything else as a usage error', () => {
    expect(() => assertPublishFlags(['8000', '8001:8000', '127.0.0.1:8002:8000/tcp'])).not.toThrow();
    for (const bad of ['web', '8000:', '70000', '1.2.3:80:80', '8000-8010']) {
      expect(() => assertPublishFlags([bad]), bad).toThrow(/--publish takes PORT/);
    }
  });

  it('recognises the engine\'s port-in-use messages', () => {
    expect(portInUse('driver failed programming external connectivity on endpoint x (abc): Bind for 127.0.0.1:8000 failed: port is already allocated'))
      .toEqual({ address: '127.0.0.1', port: '8000' });
    expect(portInUse('driver failed programming external connectivity on endpoint x (abc): Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use'))
      .toEqual({ address: '0.0.0.0', port: '8080' });
    expect(portInUse('No such container: x')).toBeUndefined();
  });
});
