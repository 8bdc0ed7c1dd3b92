import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { sealAuditEvents, unsealedEventCount } from '../../../src/modules/audit/repository.js';
import { useTestApp } from '../../helpers/app.js';
import { COORDINATOR_ACTOR, UNIT } from '../../helpers/tokens.js';

describe('the seal pass', () => {
  const ctx = useTestApp();

  // Its plan's estimated cost grows with the whole trail: past a few million events JIT compiled every pass for about
  // 300 ms (migration 0024). A later CREATE OR REPLACE of the function must keep the setting.
  it('runs without JIT, whatever the session allows, and still seals', async () => {
    const configs = await queryRows<{ config: string[] | null }>(
      ctx.database.db,
      sql`select proconfig as config from pg_proc where proname = 'seal_audit_events'`,
    );
    expect(configs).toHaveLength(1);
    expect(configs[0]!.config).toContain('jit=off');
    await ctx.app.services.audit.readPatients(COORDINATOR_ACTOR, UNIT, 'sick_leave', ['191212121212']);
    await sealAuditEvents(ctx.database.db, true);
    expect(await unsealedEventCount(ctx.database.db)).toBe(0);
  });
});
