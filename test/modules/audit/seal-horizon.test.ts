import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { sealAuditEvents, unsealedEventCount } from '../../../src/modules/audit/repository.js';
import { useTestApp } from '../../helpers/app.js';
import { TEST_DATABASE_URL } from '../../helpers/database.js';
import { COORDINATOR_ACTOR, UNIT } from '../../helpers/tokens.js';

const coordinator = COORDINATOR_ACTOR;

// PGlite has one database and one connection: no transaction of another can be running.
describe.skipIf(!TEST_DATABASE_URL)('what holds audit sealing back (PostgreSQL)', () => {
  const ctx = useTestApp();
  /** One seal pass, waiting for one in progress (sealNow would wait for the running transaction). */
  const pass = () => sealAuditEvents(ctx.database.db, true);

  /** Runs `during` while a transaction holding a transaction id is open on `client`. */
  async function whileTransactionRuns(client: pg.Client, during: () => Promise<void>): Promise<void> {
    await client.query('begin');
    await client.query('select pg_current_xact_id()');
    try {
      await during();
    } finally {
      await client.query('rollback');
    }
  }

  it('is not a transaction in another database of the server: the events are sealed while it runs', async () => {
    // The test server's own database is another database than the file's scratch one.
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    try {
      await whileTransactionRuns(other, async () => {
        await ctx.app.services.audit.readPatients(coordinator, UNIT, 'sick_leave', ['191212121212']);
        await pass();
        expect(await unsealedEventCount(ctx.database.db)).toBe(0);
      });
    } finally {
      await other.end();
    }
  });

  it('is a transaction of this database that began before the events: they wait for it to end', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holder = ctx.database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_current_xact_id()`);
      await held;
    });
    try {
      // Wait until the holder has its transaction id, then write an event after it.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await ctx.app.services.audit.readPatients(coordinator, UNIT, 'sick_leave', ['191212121212']);
      await pass();
      expect(await unsealedEventCount(ctx.database.db)).toBe(1);
    } finally {
      release();
      await holder;
    }
    await ctx.app.services.audit.sealer.sealNow();
    expect(await unsealedEventCount(ctx.database.db)).toBe(0);
  });
});
