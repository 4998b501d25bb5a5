import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.ts';
import { bufferOutput } from '../fakes/buffer-output.ts';
import { corpusDir, corpusFiles, expectationsFile } from '../helpers/corpus.ts';
import { requireDocker } from '../helpers/docker.ts';

// `werker plan --pipeline build` over every nexchange version that parses, with the reference
// user's images mapped to the local ones: the PostGIS service is there, and the link variables
// its steps read (POSTGIS_PORT_5432_TCP_ADDR, POSTGIS_ENV_POSTGRES_USER, …) are named, which
// takes the image's EXPOSE from the engine.
const docker = await requireDocker();
const rejected = new Set(readFileSync(expectationsFile, 'utf8').split('\n').filter((l) => l.split('\t')[1] === 'reject').map((l) => l.split('\t')[0]));
const versions = corpusFiles().filter((f) => /^nexchange\/.*\.yml$/.test(f) && !rejected.has(f));
const IMAGE_MAP = ['--image-map', 'mdillon/postgis=werker-test/postgis', '--image-map', 'pitervergara/geodjango=werker-test/python-django',
  '--image-map', 'pcfseceng/ci-ssh-client=werker-test/ssh-client', '--image-map', 'onitsoft/wercker=werker-test/python-django', '--image-map', 'redis=werker-test/busybox'];

describe.skipIf(!docker)('werker plan on every nexchange version', () => {
  it('covers the 284 versions that have a build pipeline', () => {
    expect(versions.length).toBe(285);
  });

  it.each(versions.filter((f) => f !== 'nexchange/2016-05-27-5027f92d.yml'))('%s', async (file) => {
    const out = bufferOutput();
    const code = await main(['plan', '--pipeline', 'build', '--json', '--wercker-yml', path.join(corpusDir, file), ...IMAGE_MAP, corpusDir], out);
    expect(code, out.err).toBe(0);
    const plan = JSON.parse(out.out);
    expect(plan.box.image).toBe('werker-test/python-django:latest');
    const postgis = plan.services.find((s: { alias: string }) => s.alias === 'postgis');
    expect(postgis).toMatchObject({ image: 'werker-test/postgis:latest' });
    expect(postgis.linkVariables).toEqual(expect.arrayContaining([
      'POSTGIS_PORT_5432_TCP_ADDR', 'POSTGIS_PORT_5432_TCP_PORT', 'POSTGIS_ENV_POSTGRES_USER', 'POSTGIS_ENV_POSTGRES_PASSWORD', 'POSTGIS_ENV_POSTGRES_DB',
    ]));
    expect(plan.steps.length).toBeGreaterThan(4);
  });
});
