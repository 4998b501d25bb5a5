import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WerkerError } from '../errors.ts';
import { openStore } from './db.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'werker-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openStore', () => {
  it('says what to do when the SQLite file is no database, instead of failing as a werker bug', async () => {
    const file = path.join(dir, 'werker.db');
    writeFileSync(file, 'not a database, just text that is long enough to have a header\n'.repeat(20));
    const err = await openStore(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WerkerError);
    expect((err as WerkerError).message).toBe(`could not prepare the database ${file}: file is not a database`);
    expect((err as WerkerError).hint).toMatch(/the server's own SQLite database/);
  });

  it('refuses a postgres:// URL that is no URL without repeating it (its password)', async () => {
    const err = await openStore('postgres://werker:pa55-hidden@[bad host/db').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WerkerError);
    expect((err as WerkerError).message).toMatch(/^could not prepare the database at the postgres:\/\/ URL given \(not a valid URL\): /);
    expect((err as WerkerError).message).not.toContain('pa55-hidden');
  });
});
