import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { openStore, type Store } from '../../src/store/db.ts';

/** The test PostgreSQL's URL (scripts/setup-postgres.sh), or undefined; fails when WERKER_REQUIRE_DOCKER=1 and there is none. */
export function testDatabaseUrl(): string | undefined {
  const file = '/var/lib/werker/postgres/url';
  const url = process.env.WERKER_TEST_DATABASE_URL ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  if (!url && process.env.WERKER_REQUIRE_DOCKER === '1') throw new Error('no test PostgreSQL: run `bash scripts/setup-postgres.sh` (test-env.sh does)');
  return url;
}

/**
 * The stores a store test runs on: SQLite always, PostgreSQL (a scratch database each time) when
 * the test cluster is there — and with WERKER_REQUIRE_DOCKER=1 it must be. Use with `describe.each`.
 */
export function storeBackends(): [string, (() => Promise<{ store: Store; drop(): Promise<void> }>) | undefined][] {
  const pgUrl = testDatabaseUrl();
  return [
    ['SQLite', async () => ({ store: await openStore(':memory:'), drop: async () => undefined })],
    ['PostgreSQL', pgUrl ? async () => {
      const scratch = await scratchDatabase(pgUrl);
      return { store: await openStore(scratch.url, { poolSize: 2 }), drop: () => scratch.drop() };
    } : undefined],
  ];
}

/** JSON calls to a running server with a bearer token. */
export function apiClient(url: string, token: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return { get: <T>(p: string) => call<T>('GET', p), post: <T>(p: string, b: unknown = {}) => call<T>('POST', p, b) };
}

/** Containers, networks and volumes whose werker.run label starts with `prefix` (the app name). */
export async function leftoversOf(runtime: DockerRuntime, prefix: string): Promise<string[]> {
  const found = await runtime.listLabelled('werker.run');
  return [
    ...found.containers.filter((c) => c.labels['werker.run']?.startsWith(`${prefix}-`)).map((c) => `container ${c.name}`),
    ...found.networks.filter((n) => n.labels['werker.run']?.startsWith(`${prefix}-`)).map((n) => `network ${n.name}`),
    ...found.volumes.filter((v) => v.labels['werker.run']?.startsWith(`${prefix}-`)).map((v) => `volume ${v.name}`),
  ];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
/** A fresh database for one test file, dropped afterwards. */
export async function scratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `werker_it_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        // FORCE ends our own leftover sessions, but not one of another role's: on a busy cluster an
        // autovacuum worker may be in the new database for a moment (42501), so try again shortly.
        for (let attempt = 1; ; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            return;
          } catch (err) {
            if ((err as { code?: string }).code !== '42501' || attempt >= 20) throw err;
            await sleep(250);
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}
