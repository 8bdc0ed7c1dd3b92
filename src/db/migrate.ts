import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { type Database, type Executor, queryRows } from './client.js';
import { isSchemaMissing } from './errors.js';
import * as schema from './schema.js';

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Any constant works; it only has to be the same for every instance of this service. */
export const MIGRATION_LOCK_KEY = 7_305_202_611;

function journalEntries(): number {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

/**
 * Applies the committed SQL migrations. On PostgreSQL a session advisory lock makes instances that start together
 * take turns: the first migrates, the others then find nothing to do.
 *
 * Neither the wait for that lock nor a migration is bound by DATABASE_STATEMENT_TIMEOUT_MS, which is for requests:
 * an index built on a large table, or another instance doing so, stopped a start-up after 15 s. The session gets
 * the pool's timeout back before it returns to the pool.
 */
export async function runMigrations(
  database: Database,
  /** Told once the lock is taken: waiting for it means another instance is migrating (a start looked hung). */
  onLocked?: () => void,
): Promise<{ applied: number }> {
  return database.withSession(async (session) => {
    await session.execute(sql`set statement_timeout = 0`);
    try {
      await session.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      onLocked?.();
      try {
        const before = await recordedMigrations(session);
        // biome-ignore lint/suspicious/noExplicitAny: each migrator wants its own driver's database type
        const migrator: any = database.kind === 'pg' ? migratePg : migratePglite;
        await migrator(session, { migrationsFolder });
        return { applied: (await recordedMigrations(session)) - before };
      } finally {
        await session.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      }
    } finally {
      // RESET goes back to the session's start value, the pool's statement_timeout.
      await session.execute(sql`reset statement_timeout`);
    }
  });
}

/** How many migrations the database records as applied (none before the first). */
async function recordedMigrations(ex: Executor): Promise<number> {
  const [table] = await queryRows<{ present: boolean }>(
    ex,
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`,
  );
  if (!table?.present) return 0;
  const [row] = await queryRows<{ n: number }>(ex, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return row?.n ?? 0;
}

/** The service's tables (src/db/schema.ts). */
const TABLES = Object.values(schema)
  .filter((table) => is(table, PgTable))
  .map((table) => getTableName(table as PgTable));

/**
 * True when every committed migration is recorded as applied and the service's tables are there; false also when
 * there is no record at all. The records alone said migrated for a database whose tables were dropped under it (its
 * `drizzle` schema kept): ready, while every request was 503 "not migrated". Any other failure (no connection to be
 * had) is thrown: it says nothing about the migrations.
 */
export async function migrationsApplied(ex: Executor): Promise<boolean> {
  const rows = await queryRows<{ n: string | number; tables: string | number }>(
    ex,
    sql`select (select count(*) from drizzle.__drizzle_migrations) as n,
               (select count(*) from unnest(${`{${TABLES.join(',')}}`}::text[]) t where to_regclass(t) is not null)
                 as tables`,
  ).catch((err) => {
    if (isSchemaMissing(err)) return [{ n: 0, tables: 0 }];
    throw err;
  });
  return Number(rows[0]?.n ?? 0) >= journalEntries() && Number(rows[0]?.tables ?? 0) === TABLES.length;
}
