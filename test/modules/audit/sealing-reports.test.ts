import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { useTestApp } from '../../helpers/app.js';
import { withAuditGuardsOff } from '../../helpers/database.js';
import { captureLogs } from '../../helpers/log-capture.js';
import { CARE_GIVER, COORDINATOR_ACTOR, UNIT } from '../../helpers/tokens.js';

const coordinator = COORDINATOR_ACTOR;

describe('a care giver’s audit chain that cannot go on', () => {
  const capture = captureLogs('info');
  const ctx = useTestApp({}, capture.logger);
  const reports = () => capture.lines.filter((l) => l.includes('audit sealing failed')).length;
  const failures = async () =>
    (
      await queryRows<{ failures: number }>(
        ctx.database.db,
        sql`select failures::int as failures from audit_seal_failures where care_giver_id = ${CARE_GIVER}`,
      )
    )[0]?.failures ?? 0;

  it('is logged when it starts, not on every pass that finds it again; once it goes on, a new failure is logged', async () => {
    const audit = ctx.app.services.audit;
    const read = () => audit.readPatients(coordinator, UNIT, 'sick_leave', ['191212121212']);
    const slipInBlock = () =>
      ctx.database.db.execute(sql`
        insert into audit_seal_blocks (care_giver_id, seq, xact_from, xact_to, events, last_id, prev_hash, hash)
        select care_giver_id, seq + 1, xact_to, xact_to, 0, last_id, hash, repeat('f', 64)
        from audit_seal_blocks where care_giver_id = ${CARE_GIVER} order by seq desc limit 1`);
    /** Appends (each append brings a pass, at least 100 ms apart) until the failure count passes `check`. */
    const untilFailures = (check: (n: number) => void) =>
      vi.waitFor(
        async () => {
          await read();
          check(await failures());
        },
        { timeout: 10_000, interval: 50 },
      );
    await read();
    await audit.sealer.sealNow();
    await slipInBlock();
    // Passes run after each append (at least 100 ms apart): each finds the chain stuck and counts a failure.
    await untilFailures((n) => expect(n).toBeGreaterThanOrEqual(5));
    expect(reports()).toBe(1);
    // The slipped-in block removed: the chain goes on, and the next failure is news again.
    await withAuditGuardsOff(ctx.database.db, [
      sql`delete from audit_seal_blocks where care_giver_id = ${CARE_GIVER} and seq = (select max(seq) from audit_seal_blocks where care_giver_id = ${CARE_GIVER})`,
    ]);
    await untilFailures((n) => expect(n).toBe(0));
    await read();
    await audit.sealer.sealNow();
    await slipInBlock();
    await untilFailures((n) => expect(n).toBeGreaterThanOrEqual(3));
    expect(reports()).toBe(2);
  });
});
