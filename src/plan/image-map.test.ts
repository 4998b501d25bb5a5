import { describe, expect, it } from 'vitest';
import { applyRule, describeOrigin, ImageMapRuleError, normalizeRepository, parseRule, resolveImage, splitRuleList } from './image-map.ts';
import { flagRules } from '../../test/helpers/image-map.ts';

const rule = (text: string) => parseRule(text, { kind: 'flag' });
const map = (ref: string, text: string) => applyRule(ref, rule(text));

describe('image map rules', () => {
  it('compares names in Docker\'s normal form', () => {
    expect(normalizeRepository('busybox')).toBe('docker.io/library/busybox');
    expect(normalizeRepository('postgis/postgis')).toBe('docker.io/postgis/postgis');
    expect(normalizeRepository('index.docker.io/library/busybox')).toBe('docker.io/library/busybox');
    expect(normalizeRepository('127.0.0.1:5000/app')).toBe('127.0.0.1:5000/app');
    expect(normalizeRepository('localhost/app')).toBe('localhost/app');
    expect(map('busybox:1.36', 'docker.io/library/busybox=werker-test/busybox:latest')).toBe('werker-test/busybox:latest');
    expect(map('docker.io/library/busybox', 'busybox=mirror.example.com/busybox')).toBe('mirror.example.com/busybox:latest');
  });

  it('runs TO as written for every tag of an untagged FROM (latest when TO names no tag)', () => {
    expect(map('busybox:1.36', 'busybox=mirror.example.com/busybox')).toBe('mirror.example.com/busybox:latest');
    expect(map('busybox@sha256:abc', 'busybox=mirror.example.com/busybox:1.36')).toBe('mirror.example.com/busybox:1.36');
    expect(map('pitervergara/geodjango:nexchange', 'pitervergara/geodjango=werker-test/python-django')).toBe('werker-test/python-django:latest');
  });

  it('matches one tag when FROM names it, and runs TO as written (latest when untagged)', () => {
    expect(map('pitervergara/geodjango:nexchange', 'pitervergara/geodjango:nexchange=werker-test/python-django')).toBe('werker-test/python-django:latest');
    expect(map('pitervergara/geodjango:static', 'pitervergara/geodjango:nexchange=werker-test/python-django')).toBeUndefined();
    expect(map('node', 'node:latest=werker-test/node:20')).toBe('werker-test/node:20');
  });

  it('maps repository prefixes, keeping the rest of the path and the tag or digest', () => {
    const hub = 'docker.io/library/*=mirror.example.com/hub/*';
    expect(map('busybox:1.36', hub)).toBe('mirror.example.com/hub/busybox:1.36');
    expect(map('busybox@sha256:abc', hub)).toBe('mirror.example.com/hub/busybox@sha256:abc');
    expect(map('postgis/postgis:16', hub)).toBeUndefined();
    expect(map('postgis/postgis:16', 'docker.io/*=mirror.example.com/hub/*')).toBe('mirror.example.com/hub/postgis/postgis:16');
    expect(map('ghcr.io/owner/app:1', 'ghcr.io/owner/*=registry.example.com/gh/*')).toBe('registry.example.com/gh/app:1');
  });

  it('takes the first rule that matches', () => {
    const rules = [...flagRules(['busybox=first/busybox']), parseRule('busybox=second/busybox', { kind: 'env' })];
    expect(resolveImage('busybox:1', rules)).toEqual({ image: 'first/busybox:latest', rule: rules[0] });
    expect(resolveImage('alpine:3', rules)).toEqual({ image: 'alpine:3' });
  });

  it('refuses a rule that is not FROM=TO, or a glob on one side only, naming the rule and where it is', () => {
    const at = { kind: 'file' as const, file: '/home/u/.config/werker/config.yml', line: 4, col: 5 };
    expect(() => parseRule('busybox', at)).toThrow('image map rule "busybox" (/home/u/.config/werker/config.yml:4): expected FROM=TO');
    expect(() => parseRule('a=b=c', at)).toThrow(ImageMapRuleError);
    expect(() => parseRule('=b', at)).toThrow('exactly one FROM and one TO');
    expect(() => parseRule('docker.io/library/*=mirror.example.com/busybox', { kind: 'env' })).toThrow('image map rule "docker.io/library/*=mirror.example.com/busybox" (WERKER_IMAGE_MAP): a repository prefix ends in "/*" on both sides');
    expect(() => parseRule('busybox=mirror/*', { kind: 'flag' })).toThrow('(--image-map)');
    expect(() => parseRule('docker.io/lib*/*=m/*', at)).toThrow('"*" may only end a repository prefix');
  });

  it('splits WERKER_IMAGE_MAP on spaces, commas and newlines', () => {
    expect(splitRuleList(' a=b, c=d\ne=f ')).toEqual(['a=b', 'c=d', 'e=f']);
    expect(splitRuleList(undefined)).toEqual([]);
    expect(describeOrigin({ kind: 'file', file: 'f.yml', line: 2, col: 3 })).toBe('f.yml:2');
  });
});
