import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import pg from 'pg';
import { WerkerError } from '../errors.ts';
import { init } from './migrations/0001-init.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the database lives, without any password (for messages). */
  describe: string;
  close(): Promise<void>;
}

/**
 * Opens the store: `postgres://…` (or `postgresql://…`) → PostgreSQL through a pg pool; anything
 * else is a SQLite file path (`:memory:` for tests). Migrates to the latest schema before use.
 */
export async function openStore(location: string, options: { poolSize?: number } = {}): Promise<Store> {
  const store = /^postgres(ql)?:\/\//.test(location) ? openPostgres(location, options.poolSize ?? 10) : openSqlite(location);
  try {
    await migrate(store);
  } catch (err) {
    await store.close();
    throw new WerkerError(`could not prepare the database ${store.describe}: ${(err as Error).message}`, 1, {
      cause: err, hint: store.dialect === 'postgres' ? 'check the URL, that the server runs and that the role may create tables' : 'check that the data dir is writable',
    });
  }
  return store;
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const database = new BetterSqlite3(file);
  // WAL: readers don't block the one writer; the server is the only process on the file.
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: 'sqlite', describe: file, close: () => db.destroy() };
}

function openPostgres(url: string, max: number): Store {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const safe = new URL(url);
  safe.password = safe.password ? '***' : '';
  return { db, dialect: 'postgres', describe: safe.toString(), close: () => db.destroy() };
}

async function migrate(store: Store): Promise<void> {
  const migrations: Record<string, Migration> = { '0001-init': init(store.dialect) };
  const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

/** Now as ISO text; `plusMs` for leases. */
export const isoNow = (plusMs = 0): string => new Date(Date.now() + plusMs).toISOString();
