import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.ts';
import { resolveDockerAddress } from './address.ts';

describe('resolveDockerAddress', () => {
  it('prefers the flag, then DOCKER_HOST, then the default socket', () => {
    expect(resolveDockerAddress('unix:///a.sock', { DOCKER_HOST: 'unix:///b.sock' }).url).toBe('unix:///a.sock');
    expect(resolveDockerAddress(undefined, { DOCKER_HOST: 'unix:///b.sock' }).url).toBe('unix:///b.sock');
    expect(resolveDockerAddress(undefined, {}).url).toBe('unix:///var/run/docker.sock');
  });

  it('takes a plain socket path', () => {
    expect(resolveDockerAddress('/run/user/1000/docker.sock', {})).toEqual({
      url: 'unix:///run/user/1000/docker.sock',
      options: { socketPath: '/run/user/1000/docker.sock', host: undefined },
    });
  });

  it('takes tcp://, defaulting the port, and uses TLS on 2376 or DOCKER_TLS_VERIFY=1', () => {
    expect(resolveDockerAddress('tcp://10.0.0.5', {})).toMatchObject({ url: 'tcp://10.0.0.5:2375', options: { host: '10.0.0.5', port: '2375', protocol: 'http' } });
    expect(resolveDockerAddress('tcp://d:2376', {}).options.protocol).toBe('https');
    expect(resolveDockerAddress('tcp://d:2375', { DOCKER_TLS_VERIFY: '1' }).options.protocol).toBe('https');
  });

  it('rejects other schemes as a usage error', () => {
    expect(() => resolveDockerAddress('ssh://me@host', {})).toThrow(UsageError);
  });
});
