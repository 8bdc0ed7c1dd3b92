import { randomBytes } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import { type Database, type Executor, openDatabase, queryRows } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';

/** TEST_DATABASE_URL selects PostgreSQL; otherwise every test file runs on its own in-memory PGlite. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

export interface TestDatabase {
  database: Database;
  /** Empties every table between tests (PGlite: one instance per file; PostgreSQL: one database per file). */
  truncate(): Promise<void>;
  close(): Promise<void>;
}

const TABLES = [
  'audit_events',
  'audit_chain_heads',
  'audit_seal_blocks',
  'audit_seal_failures',
  'certificate_relations',
  'certificates',
  'units',
  'care_givers',
  'coordination_statuses',
  'coordination_efforts',
  'consents',
  // Versions and their changes go with the certificates: a cached case list must not be patched across a truncation.
  'unit_case_versions',
  'unit_case_changes',
  'patient_case_units',
];

/** The audit tables whose triggers guard them (migrations 0001, 0015–0017, 0019). */
const AUDIT_GUARDED = [
  'audit_events',
  'audit_seal_blocks',
  'audit_chain_heads',
  'audit_seal_watermark',
  'audit_seal_failures',
];

/** Runs `statements` with every guard of the audit tables off, as the owner role (an intruder with it) can. */
export async function withAuditGuardsOff(ex: Executor, statements: readonly SQL[]): Promise<void> {
  for (const table of AUDIT_GUARDED) await ex.execute(sql.raw(`alter table ${table} disable trigger user`));
  try {
    for (const statement of statements) await ex.execute(statement);
  } finally {
    for (const table of AUDIT_GUARDED) await ex.execute(sql.raw(`alter table ${table} enable trigger user`));
  }
}

/**
 * What an intruder with the owner's rights can do: remove the first audit event and have the rest sealed again from
 * the start, into a chain consistent in itself (only anchors logged before tell).
 */
export function removeFirstEventAndReseal(ex: Executor): Promise<void> {
  return withAuditGuardsOff(ex, [
    sql`delete from audit_events where id = (select min(id) from audit_events)`,
    sql`delete from audit_seal_blocks`,
    sql`delete from audit_chain_heads`,
    sql`update audit_seal_watermark set xact_to = '1'`,
  ]);
}

export async function openTestDatabase(): Promise<TestDatabase> {
  let dropDatabase: (() => Promise<void>) | undefined;
  let database: Database;
  if (TEST_DATABASE_URL) {
    const scratch = await createScratchDatabase();
    database = await openDatabase({ url: scratch.url, poolMax: 10 });
    dropDatabase = scratch.drop;
  } else {
    database = await openDatabase({ dataDir: 'memory://' });
  }
  await runMigrations(database);
  return {
    database,
    async truncate() {
      // The audit tables refuse TRUNCATE (migrations 0015–0017, 0019): their guards are off for this one, in one transaction.
      await database.db.transaction((tx) =>
        withAuditGuardsOff(tx, [sql.raw(`truncate ${TABLES.join(', ')} restart identity cascade`)]),
      );
    },
    async close() {
      await database.close();
      await dropDatabase?.();
    },
  };
}

/** A URL for a fresh, empty PostgreSQL database (for tests that start the server process themselves). */
export async function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `samverkan_scratch_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** Waits (bounded) until some other session of the test's database is blocked on a row lock (PostgreSQL). */
export async function untilSomeoneWaitsForALock(db: Executor): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const rows = await queryRows<{ n: string | number }>(
      db,
      sql`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (Number(rows[0]!.n) > 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no session ever waited for the lock');
}
