import { describe, expect, it } from 'vitest';
import { addImageMapRules } from '../../scripts/lib/image-map-file.ts';

const STAND_INS = ['busybox=werker-test/busybox', 'postgis/postgis=werker-test/postgis'];

describe('addImageMapRules (scripts/test-env.sh\'s stand-in map)', () => {
  it('adds the rules to an empty file, and adds nothing the second time', () => {
    const first = addImageMapRules('', STAND_INS);
    expect(first.text).toBe('image-map:\n  - busybox=werker-test/busybox\n  - postgis/postgis=werker-test/postgis\n');
    expect(addImageMapRules(first.text, STAND_INS)).toEqual({ text: first.text, added: [], kept: [] });
  });

  it('keeps the other settings, comments, and a rule of the user\'s for the same image', () => {
    const text = '# my settings\nstep-sources:\n  - dir:/opt/steps # offline\nimage-map:\n  - docker.io/library/busybox=mirror.example.com/busybox\n';
    const r = addImageMapRules(text, STAND_INS);
    expect(r.kept).toEqual(['docker.io/library/busybox=mirror.example.com/busybox']);
    expect(r.added).toEqual(['postgis/postgis=werker-test/postgis']);
    expect(r.text).toBe('# my settings\nstep-sources:\n  - dir:/opt/steps # offline\nimage-map:\n  - docker.io/library/busybox=mirror.example.com/busybox\n  - postgis/postgis=werker-test/postgis\n');
  });

  it('refuses to touch a file it cannot read as settings', () => {
    expect(() => addImageMapRules('image-map: [a\n', STAND_INS)).toThrow('not valid YAML');
    expect(() => addImageMapRules('- a\n', STAND_INS)).toThrow('expected a mapping');
    expect(() => addImageMapRules('image-map: busybox=x\n', STAND_INS)).toThrow('image-map is not a list');
  });
});
