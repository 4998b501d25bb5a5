import { describe, expect, it } from 'vitest';
import { HUB_SERVER_ADDRESS, inferPullImage, registryHost } from './registry-host.ts';

describe('registry inference for pulls (docs/wercker-compat.md §2.4)', () => {
  it('puts a host-less image in the registry given, so the credentials go there', () => {
    expect(inferPullImage('team/app:1', 'http://127.0.0.1:5000')).toEqual({ image: '127.0.0.1:5000/team/app:1', serverAddress: '127.0.0.1:5000' });
    expect(inferPullImage('app', 'https://registry.example.com/v2/')).toEqual({ image: 'registry.example.com/app', serverAddress: 'registry.example.com' });
  });

  it('keeps the host an image names, even when the registry names another', () => {
    expect(inferPullImage('quay.io/team/app', 'http://127.0.0.1:5000')).toEqual({ image: 'quay.io/team/app', serverAddress: 'quay.io' });
  });

  it('leaves Docker Hub images alone without a registry or with one of Hub\'s addresses', () => {
    expect(inferPullImage('team/app', undefined)).toEqual({ image: 'team/app', serverAddress: HUB_SERVER_ADDRESS });
    expect(inferPullImage('team/app', 'https://index.docker.io/v1/')).toEqual({ image: 'team/app', serverAddress: HUB_SERVER_ADDRESS });
    expect(registryHost(' https://registry.hub.docker.com/v1/ ')).toBe('registry.hub.docker.com');
  });
});
