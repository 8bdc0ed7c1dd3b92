import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/client.js';
import { MIGRATION_LOCK_KEY, migrationsApplied, runMigrations } from '../../src/db/migrate.js';
import { createScratchDatabase, TEST_DATABASE_URL } from '../helpers/database.js';

describe.skipIf(!TEST_DATABASE_URL)('migrations at start (PostgreSQL)', () => {
  it('are not bound by DATABASE_STATEMENT_TIMEOUT_MS: waiting for another instance that migrates is not a failed start', async () => {
    const scratch = await createScratchDatabase();
    // Another instance holds the migration lock (as while it builds a large index) for longer than the timeout.
    const other = new pg.Client({ connectionString: scratch.url });
    await other.connect();
    const database = await openDatabase({ url: scratch.url, statementTimeoutMs: 100, poolMax: 2 });
    try {
      await other.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const migrating = runMigrations(database);
      await new Promise((r) => setTimeout(r, 600));
      await other.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await migrating;
      expect(await migrationsApplied(database.db)).toBe(true);
      // The session goes back to the pool with the timeout it came with: requests stay bounded.
      for (let i = 0; i < 3; i++) {
        const [row] = await queryRows<{ statement_timeout: string }>(database.db, sql`show statement_timeout`);
        expect(row?.statement_timeout).toBe('100ms');
      }
      await expect(database.db.execute(sql`select pg_sleep(0.5)`)).rejects.toThrow();
    } finally {
      await other.end();
      await database.close();
      await scratch.drop();
    }
  });
});
