import { describe, expect, it } from 'vitest';
import { defaultScheme, mirrorReference, mirrorsFor, pathInRegistry, registryOf, type RegistryMirror } from './registry-mirrors.ts';

const mirror = (registry: string, host: string): RegistryMirror => ({ registry, mirror: host, scheme: defaultScheme(host), timeoutMs: 1000, origin: 'config.yml:2' });

describe('registry mirrors', () => {
  it('finds the registry of an image in Docker\'s normal form', () => {
    expect(registryOf('busybox')).toBe('docker.io');
    expect(registryOf('postgis/postgis:16')).toBe('docker.io');
    expect(registryOf('ghcr.io/owner/app:1')).toBe('ghcr.io');
    expect(registryOf('127.0.0.1:5000/app')).toBe('127.0.0.1:5000');
    expect(pathInRegistry('busybox:1.36')).toBe('library/busybox');
  });

  it('names the image under the mirror, with a path prefix when the mirror has one, and the tag or digest', () => {
    expect(mirrorReference('busybox', mirror('docker.io', '127.0.0.1:5001'))).toBe('127.0.0.1:5001/library/busybox:latest');
    expect(mirrorReference('postgis/postgis:16', mirror('docker.io', 'harbor.example.com/hub/'))).toBe('harbor.example.com/hub/postgis/postgis:16');
    expect(mirrorReference('ghcr.io/o/app@sha256:abc', mirror('ghcr.io', 'm.example.com'))).toBe('m.example.com/o/app@sha256:abc');
  });

  it('gives the mirrors of the image\'s registry only, in order', () => {
    const list = [mirror('docker.io', 'a.example.com'), mirror('ghcr.io', 'b.example.com'), mirror('docker.io', 'c.example.com')];
    expect(mirrorsFor('busybox', list).map((m) => m.mirror)).toEqual(['a.example.com', 'c.example.com']);
    expect(mirrorsFor('quay.io/x/y', list)).toEqual([]);
  });

  it('asks loopback mirrors over http, others over https', () => {
    expect(defaultScheme('127.0.0.1:5000')).toBe('http');
    expect(defaultScheme('localhost:5000')).toBe('http');
    expect(defaultScheme('[::1]:5000')).toBe('http');
    expect(defaultScheme('mirror.example.com')).toBe('https');
  });
});
