import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WerckerConfig } from '../../src/config/schema.ts';
import { corpusDir, corpusFiles, expectationsFile, formatRow, outcomeOf } from '../helpers/corpus.ts';

// Every real wercker.yml of the corpus, against the reviewed expectations table. A change of
// outcome (accepted ↔ rejected, another warning, another error position) fails here; after a
// deliberate change run `npm run corpus:update` and review the diff.
const expected = new Map(
  readFileSync(expectationsFile, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
    .map((line) => [line.split('\t')[0]!, line] as const),
);

describe('the wercker.yml corpus', () => {
  const files = corpusFiles();

  it('has an expectation for every file and no stale ones', () => {
    expect(files.length).toBeGreaterThanOrEqual(486);
    expect([...expected.keys()].sort()).toEqual([...files].sort());
  });

  it.each(files)('%s', (file) => {
    const outcome = outcomeOf(file, readFileSync(path.join(corpusDir, file)));
    expect(formatRow(outcome)).toBe(expected.get(file));
    if (outcome.outcome === 'reject') {
      expect(outcome.detail).toMatch(/^\d+:\d+ /);
    } else {
      // The normalised model is plain data of the documented shape.
      expect(outcome.config).toBeDefined();
      expect(() => WerckerConfig.parse(outcome.config)).not.toThrow();
      expect(JSON.parse(JSON.stringify(outcome.config))).toEqual(outcome.config);
    }
  });

  it('accepts every nexchange version that is valid YAML, with its PostGIS service and docker-push', () => {
    const nexchange = files.filter((f) => f.startsWith('nexchange/') && f.endsWith('.yml'));
    const accepted = nexchange.map((f) => outcomeOf(f, readFileSync(path.join(corpusDir, f)))).filter((o) => o.outcome !== 'reject');
    expect(accepted.length).toBe(nexchange.length - 8);
    // The very first version had only a dev pipeline; every later one builds with PostGIS.
    const withBuild = accepted.filter((o) => o.config!.pipelines.build);
    expect(withBuild.length).toBe(accepted.length - 1);
    for (const o of withBuild) {
      const build = o.config!.pipelines.build!;
      const services = build.services ?? o.config!.services;
      expect(build.steps.length).toBeGreaterThan(3);
      expect(services.some((s) => /postgis/.test(s.id))).toBe(true);
    }
  });
});
