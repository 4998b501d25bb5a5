import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDatabase, testDatabaseUrl } from '../../../test/helpers/server.ts';
import { openStore, type Dialect } from '../db.ts';
import { init } from './0001-init.ts';
import { outputRetention } from './0002-output-retention.ts';

// An existing database (schema 0002, users already there) upgraded by openStore: migration 0003.
const dir = mkdtempSync(path.join(tmpdir(), 'werker-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pgUrl = testDatabaseUrl();

async function oldDatabase(dialect: Dialect, location: string): Promise<void> {
  const db = new Kysely<unknown>({
    dialect: dialect === 'sqlite' ? new SqliteDialect({ database: new BetterSqlite3(location) }) : new PostgresDialect({ pool: new pg.Pool({ connectionString: location, max: 1 }) }),
  });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ '0001-init': init(dialect), '0002-output-retention': outputRetention }) } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
  for (const [name, at] of [['second', '2026-02-01T00:00:00.000Z'], ['oldest', '2026-01-01T00:00:00.000Z'], ['third', '2026-03-01T00:00:00.000Z']]) {
    await sql`INSERT INTO users (name, password_hash, created_at) VALUES (${name}, 'x', ${at})`.execute(db);
  }
  await sql`DELETE FROM users WHERE name = 'second'`.execute(db);
  await db.destroy();
}

describe.each([['SQLite', 'sqlite'], ['PostgreSQL', 'postgres']] as const)('migration 0003 on an existing %s database', (_name, dialect) => {
  it.skipIf(dialect === 'postgres' && !pgUrl)('makes the oldest remaining user the admin and everyone else a member', async () => {
    const scratch = dialect === 'postgres' ? await scratchDatabase(pgUrl!) : undefined;
    const location = scratch?.url ?? path.join(dir, 'old.db');
    try {
      await oldDatabase(dialect, location);
      const store = await openStore(location);
      const users = await store.db.selectFrom('users').select(['name', 'role', 'disabled_at']).orderBy('id').execute();
      expect(users).toEqual([{ name: 'oldest', role: 'admin', disabled_at: null }, { name: 'third', role: 'member', disabled_at: null }]);
      expect(await store.db.selectFrom('application_maintainers').selectAll().execute()).toEqual([]);
      await store.close();
    } finally {
      await scratch?.drop();
    }
  });
});
