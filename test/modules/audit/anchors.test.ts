import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../../src/db/client.js';
import { runMigrations } from '../../../src/db/migrate.js';
import { PageCursors } from '../../../src/lib/cursor.js';
import { AnchorLog, anchorsInLog, type CareGiverAnchor } from '../../../src/modules/audit/anchors.js';
import { AuditService } from '../../../src/modules/audit/service.js';
import { useTestApp } from '../../helpers/app.js';
import { createScratchDatabase, removeFirstEventAndReseal, TEST_DATABASE_URL } from '../../helpers/database.js';
import { captureLogs } from '../../helpers/log-capture.js';
import { runScript } from '../../helpers/process.js';
import { CARE_GIVER, COORDINATOR_ACTOR, UNIT } from '../../helpers/tokens.js';

const coordinator = COORDINATOR_ACTOR;

describe('the anchor log', () => {
  it('writes the heads that moved since its last line, and none when none moved', async () => {
    let heads: CareGiverAnchor[] = [{ careGiverId: 'A', seq: 1, hash: 'a1' }];
    const lines: CareGiverAnchor[][] = [];
    const log = new AnchorLog(
      async () => heads,
      (a) => lines.push(a),
      () => {},
      60_000,
    );
    await log.now();
    await log.now();
    heads = [
      { careGiverId: 'A', seq: 1, hash: 'a1' },
      { careGiverId: 'B', seq: 3, hash: 'b3' },
    ];
    await log.now();
    expect(lines).toEqual([[{ careGiverId: 'A', seq: 1, hash: 'a1' }], [{ careGiverId: 'B', seq: 3, hash: 'b3' }]]);
  });

  it('reads the anchors back from a log, skipping other lines', () => {
    const text = [
      '{"level":30,"msg":"request completed"}',
      'not json "auditAnchors"',
      JSON.stringify({ level: 30, auditAnchors: [{ careGiverId: 'A', seq: 1, hash: 'a1' }], msg: 'audit chain heads' }),
      JSON.stringify({ level: 30, auditAnchors: [{ careGiverId: 'A', seq: 2, hash: 'a2' }, { seq: 'x' }] }),
    ].join('\n');
    expect(anchorsInLog(text)).toEqual(
      new Map([
        [
          'A',
          [
            { seq: 1, hash: 'a1' },
            { seq: 2, hash: 'a2' },
          ],
        ],
      ]),
    );
  });
});

describe('the service logs its chain heads', () => {
  const capture = captureLogs('info');
  const ctx = useTestApp({ AUDIT_ANCHOR_INTERVAL_MS: '1000' }, capture.logger);

  it('and a chain rebuilt after the line was written does not hold against it', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients(coordinator, UNIT, 'sick_leave', ['191212121212', '200001012384']);
    await audit.sealer.sealNow();
    const logged = () => anchorsInLog(capture.lines.join('')).get(CARE_GIVER) ?? [];
    await vi.waitFor(() => expect(logged().length).toBeGreaterThan(0), { timeout: 5_000, interval: 100 });
    // An intruder with the owner's rights: every guard off, an event removed, the rest sealed again from the start.
    await removeFirstEventAndReseal(ctx.database.db);
    expect((await audit.verify(CARE_GIVER)).valid).toBe(true);
    expect((await audit.verify(CARE_GIVER, { anchors: logged() })).valid).toBe(false);
  });
});

describe('the chain heads at LOG_LEVEL=warn', () => {
  const quiet = captureLogs('warn');
  const ctx = useTestApp({ AUDIT_ANCHOR_INTERVAL_MS: '1000' }, quiet.logger);

  it('are still written (at warn): an anchor not written protects nothing', async () => {
    await ctx.app.services.audit.readPatients(coordinator, UNIT, 'sick_leave', ['191212121212']);
    await ctx.app.services.audit.sealer.sealNow();
    await vi.waitFor(() => expect(anchorsInLog(quiet.lines.join('')).get(CARE_GIVER)?.length ?? 0).toBeGreaterThan(0), {
      timeout: 5_000,
      interval: 100,
    });
  });
});

describe.skipIf(!TEST_DATABASE_URL)('npm run audit:verify (PostgreSQL)', () => {
  async function verifyCli(url: string, args: string[]): Promise<{ code: number | null; out: string }> {
    const cli = runScript('scripts/audit-verify.ts', { DATABASE_URL: url, LOG_LEVEL: 'silent' }, args);
    const code = await cli.exited;
    return { code, out: cli.output() };
  }

  it('passes a chain that holds, and fails one that does not hold against a logged head, naming the care giver', async () => {
    const scratch = await createScratchDatabase();
    const database = await openDatabase({ url: scratch.url, poolMax: 2 });
    try {
      await runMigrations(database);
      const audit = new AuditService(database.db, new PageCursors('x'.repeat(32)));
      await audit.readPatients(coordinator, UNIT, 'sick_leave', ['191212121212']);
      await audit.sealer.sealNow();
      const good = await verifyCli(scratch.url, []);
      expect(good.code, good.out).toBe(0);
      expect(good.out).toContain(`{"careGiverId":"${CARE_GIVER}","valid":true,"checked":1,"anchors":0}`);
      const dir = mkdtempSync(path.join(tmpdir(), 'samverkan-anchors-'));
      const log = path.join(dir, 'service.log');
      const [head] = await audit.chainHeads();
      writeFileSync(log, `${JSON.stringify({ auditAnchors: [head], msg: 'audit chain heads' })}\n`);
      expect((await verifyCli(scratch.url, ['--anchors', log])).code).toBe(0);
      writeFileSync(log, `${JSON.stringify({ auditAnchors: [{ ...head, hash: 'f'.repeat(64) }] })}\n`);
      const bad = await verifyCli(scratch.url, ['--anchors', log]);
      expect(bad.code, bad.out).toBe(1);
      expect(bad.out).toContain(`{"careGiverId":"${CARE_GIVER}","valid":false`);
      // A chain that cannot go on fails too, though what it sealed holds: its new events are not protected.
      await database.db.execute(sql`
        insert into audit_seal_blocks (care_giver_id, seq, xact_from, xact_to, events, last_id, prev_hash, hash)
        select care_giver_id, seq + 1, xact_to, xact_to, 0, last_id, hash, repeat('f', 64) from audit_seal_blocks`);
      await audit.readPatients(coordinator, UNIT, 'sick_leave', ['200001012384']);
      await audit.sealer.sealNow();
      const stuck = await verifyCli(scratch.url, []);
      expect(stuck.code, stuck.out).toBe(1);
      expect(stuck.out).toContain(`{"careGiverId":"${CARE_GIVER}","valid":true,"checked":1,"sealingFailure":{`);
      expect(stuck.out).toContain('1 chains verified, 0 do not hold, 1 cannot go on');
      // Asked for what is not there, it verified nothing: exit 2 saying so, not "valid" (a typo, the wrong file).
      const unknown = await verifyCli(scratch.url, ['--care-giver', 'SE2321000016-CG99']);
      expect(unknown.code, unknown.out).toBe(2);
      expect(unknown.out).toMatch(/care giver SE2321000016-CG99 has no audit events and no chain/);
      const other = path.join(dir, 'other.log');
      writeFileSync(other, `${JSON.stringify({ msg: 'server listening' })}\n`);
      const none = await verifyCli(scratch.url, ['--anchors', other]);
      expect(none.code, none.out).toBe(2);
      expect(none.out).toMatch(/holds no "audit chain heads" line/);
      expect((await verifyCli(scratch.url, ['--care-giver', CARE_GIVER])).code).toBe(1);
    } finally {
      await database.close();
      await scratch.drop();
    }
  });
});
