import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { type Database, type Executor, queryRows } from './client.js';

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Any constant works; it only has to be the same for every instance of this service. */
const MIGRATION_LOCK_KEY = 7_305_202_611;

function journalEntries(): number {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

/**
 * Applies the committed SQL migrations. On PostgreSQL a session advisory lock makes instances that start together
 * take turns: the first migrates, the others then find nothing to do.
 */
export async function runMigrations(database: Database): Promise<void> {
  await database.withSession(async (session) => {
    await session.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      // biome-ignore lint/suspicious/noExplicitAny: each migrator wants its own driver's database type
      const migrator: any = database.kind === 'pg' ? migratePg : migratePglite;
      await migrator(session, { migrationsFolder });
    } finally {
      await session.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }
  });
}

/** True when every committed migration is recorded as applied. */
export async function migrationsApplied(ex: Executor): Promise<boolean> {
  const rows = await queryRows<{ n: string | number }>(
    ex,
    sql`select count(*) as n from drizzle.__drizzle_migrations`,
  ).catch(() => [{ n: 0 }]);
  return Number(rows[0]?.n ?? 0) >= journalEntries();
}
