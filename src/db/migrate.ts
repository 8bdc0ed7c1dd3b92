import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { type Database, type Executor, queryRows } from './client.js';
import { isSchemaMissing } from './errors.js';

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
export async function runMigrations(database: Database): Promise<void> {
  await database.withSession(async (session) => {
    await session.execute(sql`set statement_timeout = 0`);
    try {
      await session.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      try {
        // biome-ignore lint/suspicious/noExplicitAny: each migrator wants its own driver's database type
        const migrator: any = database.kind === 'pg' ? migratePg : migratePglite;
        await migrator(session, { migrationsFolder });
      } finally {
        await session.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      }
    } finally {
      // RESET goes back to the session's start value, the pool's statement_timeout.
      await session.execute(sql`reset statement_timeout`);
    }
  });
}

/**
 * True when every committed migration is recorded as applied; false also when there is no record at all. Any other
 * failure (no connection to be had) is thrown: it says nothing about the migrations.
 */
export async function migrationsApplied(ex: Executor): Promise<boolean> {
  const rows = await queryRows<{ n: string | number }>(
    ex,
    sql`select count(*) as n from drizzle.__drizzle_migrations`,
  ).catch((err) => {
    if (isSchemaMissing(err)) return [{ n: 0 }];
    throw err;
  });
  return Number(rows[0]?.n ?? 0) >= journalEntries();
}
