import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import pg from 'pg';
import { WerkerError } from '../errors.ts';
import { init } from './migrations/0001-init.ts';
import { outputRetention } from './migrations/0002-output-retention.ts';
import { rolesAndLeases } from './migrations/0003-roles-and-leases.ts';
import { deliveriesAndEventCap } from './migrations/0004-deliveries-and-event-cap.ts';
import { workflowInputs } from './migrations/0005-workflow-inputs.ts';
import { notifications } from './migrations/0008-notifications.ts';
import { schedules } from './migrations/0007-schedules.ts';
import { forgesAndPullRequests } from './migrations/0006-forges-and-pull-requests.ts';
import { privateApplications } from './migrations/0010-private-applications.ts';
import { sharedCache } from './migrations/0009-shared-cache.ts';
import { retryFromStep } from './migrations/0011-retry-from-step.ts';
import { githubApp } from './migrations/0012-github-app.ts';
import { notificationDeliveries } from './migrations/0013-notification-deliveries.ts';
import { forgeStatusLeases } from './migrations/0014-forge-status-leases.ts';
import type { Dialect } from './dialect.ts';
import type { Database } from './schema.ts';

export type { Dialect };

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
  const postgres = /^postgres(ql)?:\/\//.test(location);
  let store: Store | undefined;
  try {
    // Opening fails too, not only migrating: a file that is no SQLite database, a URL that is no URL.
    store = postgres ? openPostgres(location, options.poolSize ?? 10) : openSqlite(location);
    await migrate(store);
    return store;
  } catch (err) {
    await store?.close().catch(() => undefined);
    throw new WerkerError(`could not prepare the database ${store?.describe ?? (postgres ? 'at the postgres:// URL given (not a valid URL)' : location)}: ${(err as Error).message}`, 1, {
      cause: err,
      hint: postgres ? 'check the URL, that the server runs and that the role may create tables' : 'check that the data dir is writable and that the file is the server\'s own SQLite database',
    });
  }
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') {
    // It holds protected values and private keys: only the server's user may read it (SQLite
    // gives its -wal/-shm files the same mode). Existing dirs and files keep theirs; start.ts warns.
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
  }
  const database = new BetterSqlite3(file);
  try {
    // WAL: readers don't block the one writer; the server is the only process on the file.
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 5000');
  } catch (err) {
    database.close();
    throw err;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: 'sqlite', describe: file, close: () => db.destroy() };
}

function openPostgres(url: string, max: number): Store {
  // Parsed first: a URL that is no URL fails before any pool exists (its text, password and all, is never shown).
  const safe = new URL(url);
  safe.password = safe.password ? '***' : '';
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', describe: safe.toString(), close: () => db.destroy() };
}

async function migrate(store: Store): Promise<void> {
  const migrations: Record<string, Migration> = {
    '0001-init': init(store.dialect), '0002-output-retention': outputRetention, '0003-roles-and-leases': rolesAndLeases,
    '0004-deliveries-and-event-cap': deliveriesAndEventCap, '0005-workflow-inputs': workflowInputs,
    '0008-notifications': notifications(store.dialect),
    '0007-schedules': schedules(store.dialect),
    '0006-forges-and-pull-requests': forgesAndPullRequests,
    '0010-private-applications': privateApplications,
    '0009-shared-cache': sharedCache,
    '0011-retry-from-step': retryFromStep,
    '0012-github-app': githubApp,
    '0013-notification-deliveries': notificationDeliveries,
    '0014-forge-status-leases': forgeStatusLeases,
  };
  const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

/** Now as ISO text; `plusMs` for leases. */
export const isoNow = (plusMs = 0): string => new Date(Date.now() + plusMs).toISOString();
