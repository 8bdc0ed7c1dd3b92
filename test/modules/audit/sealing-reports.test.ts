import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { type Executor, queryRows } from '../../../src/db/client.js';
import { AuditSealer } from '../../../src/modules/audit/sealer.js';
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

describe('the database out of reach while sealing', () => {
  it('is reported once however each pass meets it; another error is reported at once', async () => {
    const outage = [
      'connect ECONNREFUSED 127.0.0.1:5432',
      'Connection terminated unexpectedly',
      'timeout exceeded when trying to connect',
    ];
    let calls = 0;
    let error = (n: number): Error => new Error(outage[n % outage.length]);
    const db = {
      execute: async () => {
        throw error(calls++);
      },
    } as unknown as Executor;
    const reported: string[] = [];
    const sealer = new AuditSealer(db, { sweepMs: 60_000, onError: (err) => reported.push(String(err)) });
    const pass = () => (sealer as unknown as { pass(wait: boolean): Promise<number> }).pass(false);
    for (let i = 0; i < 9; i++) expect(await pass()).toBe(-1);
    expect(calls).toBe(9);
    expect(reported).toEqual(['Error: connect ECONNREFUSED 127.0.0.1:5432']);
    expect(sealer.failing).toBe(true);
    error = () => new Error('permission denied for table audit_seal_blocks');
    await pass();
    await pass();
    expect(reported).toHaveLength(2);
    expect(reported[1]).toContain('permission denied');
  });
});
