import { type SQL, sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { unsealedEventCount } from '../../../src/modules/audit/repository.js';
import type { Actor } from '../../../src/lib/actor.js';
import { CERTIFICATE_EXAMPLE } from '../../../src/modules/certificates/schemas.js';
import { useTestApp } from '../../helpers/app.js';
import { postCertificate } from '../certificates/fixtures.js';
import { removeFirstEventAndReseal, withAuditGuardsOff } from '../../helpers/database.js';
import {
  AUDITOR,
  CARE_GIVER,
  COORDINATOR,
  COORDINATOR_ACTOR,
  OTHER_CARE_GIVER,
  OTHER_UNIT,
  UNIT,
  bearer,
} from '../../helpers/tokens.js';

const ctx = useTestApp();
const PATIENT = '191212121212';
const coordinator = COORDINATOR_ACTOR;

/** Two reads recorded and verified, then `statement` run with the append-only trigger off (an intruder's edit). */
async function tamperAfterTwoReads(statement: SQL) {
  const audit = ctx.app.services.audit;
  await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT, '200001012384']);
  expect((await audit.verify(CARE_GIVER)).valid).toBe(true);
  await withTriggersOff(statement);
  return audit.verify(CARE_GIVER);
}

/** Runs `statement` with every guard of the audit tables off, as an intruder with the owner's rights can. */
const withTriggersOff = (statement: SQL) => withAuditGuardsOff(ctx.database.db, [statement]);

describe('audit trail', () => {
  it('records one event per patient read, chained and verifiable', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT, '200001012384', PATIENT]);
    await audit.record(coordinator, [
      { action: 'create', resource: 'consent', resourceId: 'x', unitId: UNIT, patientId: PATIENT },
    ]);
    const verification = await audit.verify(CARE_GIVER);
    expect(verification).toEqual({ valid: true, checked: 3 });
  });

  it('detects an altered row', async () => {
    const verification = await tamperAfterTwoReads(
      sql`update audit_events set actor_id = 'SE2321000016-X999' where id = (select min(id) from audit_events)`,
    );
    expect(verification.valid).toBe(false);
    expect(verification.brokenAt).toBe(1);
  });

  it('detects a removed last row', async () => {
    const verification = await tamperAfterTwoReads(
      sql`delete from audit_events where id = (select max(id) from audit_events)`,
    );
    expect(verification.valid).toBe(false);
  });

  it('refuses updates and deletes of audit rows', async () => {
    await ctx.app.services.audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT]);
    await expect(ctx.database.db.execute(sql`delete from audit_events`)).rejects.toThrow();
    await ctx.app.services.audit.verify(CARE_GIVER);
    await expect(ctx.database.db.execute(sql`update audit_events set role = 'doctor'`)).rejects.toThrow();
  });

  it('refuses an update of a row not sealed yet as well', async () => {
    await ctx.app.services.audit.sealer.stop();
    try {
      await ctx.app.services.audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT]);
      expect(await unsealedEventCount(ctx.database.db)).toBe(1);
      await expect(ctx.database.db.execute(sql`update audit_events set patient_id = '200001012384'`)).rejects.toThrow();
    } finally {
      ctx.app.services.audit.sealer.start();
    }
  });

  it('seals appended events in the background, without anyone asking', async () => {
    await ctx.app.services.audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT, '200001012384']);
    await vi.waitFor(async () => expect(await unsealedEventCount(ctx.database.db)).toBe(0), {
      timeout: 10_000,
      interval: 50,
    });
    const blocks = await queryRows<{ events: number }>(
      ctx.database.db,
      sql`select sum(events)::int as events from audit_seal_blocks where care_giver_id = ${CARE_GIVER}`,
    );
    expect(blocks[0]!.events).toBe(2);
  });

  it('under steady appends seals in passes at least the minimum interval apart, and seals them all', async () => {
    const audit = ctx.app.services.audit;
    const started = Date.now();
    let appended = 0;
    // An append every few milliseconds for 0.6 s: with a pass 10 ms after each append there would be dozens.
    while (Date.now() - started < 600) {
      await audit.record(coordinator, [{ action: 'read', resource: 'sick_leave', patientId: PATIENT }]);
      appended += 1;
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const elapsed = Date.now() - started;
    await vi.waitFor(async () => expect(await unsealedEventCount(ctx.database.db)).toBe(0), {
      timeout: 10_000,
      interval: 50,
    });
    const rows = await queryRows<{ blocks: number; events: number }>(
      ctx.database.db,
      sql`select count(*)::int as blocks, sum(events)::int as events from audit_seal_blocks
          where care_giver_id = ${CARE_GIVER}`,
    );
    expect(rows[0]!.events).toBe(appended);
    expect(appended).toBeGreaterThan(20);
    // Passes start ≥ 100 ms apart: at most one per 100 ms of appending, plus the one that seals the rest.
    expect(rows[0]!.blocks).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 2);
    expect(rows[0]!.blocks).toBeGreaterThanOrEqual(2);
  });

  it('seals events from several writers into one chain of blocks', async () => {
    const audit = ctx.app.services.audit;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        audit.record({ ...coordinator, requestId: `r-${i}` }, [
          { action: 'read', resource: 'sick_leave', patientId: PATIENT },
        ]),
      ),
    );
    expect(await audit.verify(CARE_GIVER)).toEqual({ valid: true, checked: 20 });
    const rows = await queryRows<{ blocks: number; events: number; last: number }>(
      ctx.database.db,
      sql`select count(*)::int as blocks, sum(events)::int as events, max(seq)::int as last
          from audit_seal_blocks where care_giver_id = ${CARE_GIVER}`,
    );
    expect(rows[0]!.events).toBe(20);
    expect(rows[0]!.last).toBe(rows[0]!.blocks);
    expect(await unsealedEventCount(ctx.database.db)).toBe(0);
  });

  it('detects an event moved out of its block', async () => {
    const verification = await tamperAfterTwoReads(
      sql`update audit_events set xact = '2' where id = (select max(id) from audit_events)`,
    );
    expect(verification.valid).toBe(false);
  });

  it('detects an event slipped into a sealed block afterwards', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT]);
    expect((await audit.verify(CARE_GIVER)).valid).toBe(true);
    await ctx.database.db.execute(sql`
      insert into audit_events (at, actor_id, role, care_giver_id, action, resource, purpose, xact)
      select now(), ${COORDINATOR}, 'coordinator', care_giver_id, 'read', 'sick_leave', 'care_and_treatment', xact_from
      from audit_seal_blocks where care_giver_id = ${CARE_GIVER} order by seq limit 1`);
    expect((await audit.verify(CARE_GIVER)).valid).toBe(false);
  });

  it('detects a removed seal block', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT]);
    await audit.verify(CARE_GIVER);
    await audit.readPatients(coordinator, UNIT, 'sick_leave', ['200001012384']);
    expect((await audit.verify(CARE_GIVER)).valid).toBe(true);
    // As an intruder with the owner's rights would: the blocks' own trigger turned off first.
    await withTriggersOff(sql`delete from audit_seal_blocks where seq = 1 and care_giver_id = ${CARE_GIVER}`);
    expect((await audit.verify(CARE_GIVER)).valid).toBe(false);
  });

  it('refuses TRUNCATE of the events, and any change of the seal blocks (a row trigger does not see TRUNCATE)', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT]);
    await audit.verify(CARE_GIVER);
    await expect(ctx.database.db.execute(sql`truncate audit_events`)).rejects.toThrow();
    await expect(ctx.database.db.execute(sql`truncate audit_seal_blocks`)).rejects.toThrow();
    await expect(ctx.database.db.execute(sql`delete from audit_seal_blocks`)).rejects.toThrow();
    await expect(ctx.database.db.execute(sql`update audit_seal_blocks set events = 0`)).rejects.toThrow();
    expect(await audit.verify(CARE_GIVER)).toEqual({ valid: true, checked: 1 });
  });

  it('refuses emptying the chain heads or the watermark, or moving either back (sealing continues from them)', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT]);
    await audit.verify(CARE_GIVER);
    for (const statement of [
      sql`truncate audit_chain_heads`,
      sql`delete from audit_chain_heads`,
      sql`update audit_chain_heads set last_seq = 0`,
      sql`truncate audit_seal_watermark`,
      sql`delete from audit_seal_watermark`,
      sql`update audit_seal_watermark set xact_to = '1'`,
      // Nor another hash at the same position, nor a watermark ahead of the transactions still to end.
      sql`update audit_chain_heads set last_hash = repeat('a', 64)`,
      sql`update audit_seal_watermark set xact_to = '100000000'`,
    ]) {
      await expect(ctx.database.db.execute(statement)).rejects.toThrow();
    }
    // Sealing goes on as before.
    await audit.readPatients(coordinator, UNIT, 'sick_leave', ['200001012384']);
    expect(await audit.verify(CARE_GIVER)).toEqual({ valid: true, checked: 2 });
  });

  it('goes on sealing other care givers when one care giver’s next block cannot be written, tells of it, and seals that care giver’s waiting events once it can', async () => {
    const audit = ctx.app.services.audit;
    const other: Actor = { ...coordinator, careGiverId: OTHER_CARE_GIVER, units: [OTHER_UNIT] };
    const ready = async () => (await ctx.app.inject({ method: 'GET', url: '/health/ready' })).json();
    await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT]);
    await audit.readPatients(other, OTHER_UNIT, 'sick_leave', [PATIENT]);
    expect((await audit.verify(CARE_GIVER)).valid).toBe(true);
    expect(await ready()).toMatchObject({ status: 'ready', auditSealing: 'ok' });
    // A block slipped in at the care giver's next position: a seal pass inserts blocks, so no guard refuses it.
    await ctx.database.db.execute(sql`
      insert into audit_seal_blocks (care_giver_id, seq, xact_from, xact_to, events, last_id, prev_hash, hash)
      select care_giver_id, seq + 1, xact_to, xact_to, 0, last_id, hash, repeat('f', 64)
      from audit_seal_blocks where care_giver_id = ${CARE_GIVER} order by seq desc limit 1`);
    await audit.readPatients(coordinator, UNIT, 'sick_leave', ['200001012384']);
    await audit.readPatients(other, OTHER_UNIT, 'sick_leave', ['200001012384']);
    // The other care giver's chain goes on (one failing care giver stopped every pass for all of them).
    expect(await audit.verify(OTHER_CARE_GIVER)).toEqual({ valid: true, checked: 2 });
    // This one's sealed part holds; its new event waits, and verification and readiness tell why.
    expect(await audit.verify(CARE_GIVER)).toEqual({
      valid: true,
      checked: 1,
      sealingFailure: {
        since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        failures: expect.any(Number),
        error: expect.stringContaining('position 2'),
      },
    });
    expect(await ready()).toMatchObject({ status: 'ready', auditSealing: 'failing' });
    // Only a seal pass writes the failure: removing it made readiness say ok while the chain still could not go on,
    // and lost where the waiting events start.
    for (const [i, statement] of [
      sql`delete from audit_seal_failures`,
      sql`truncate audit_seal_failures`,
      sql`update audit_seal_failures set pending_from = ((pending_from::text::bigint + 1000)::text)::xid8`,
      sql`update audit_seal_failures set failures = failures + 1, pending_from = '1'`,
      sql`insert into audit_seal_failures (care_giver_id, pending_from, last_error) values (${OTHER_CARE_GIVER}, '1', 'x')`,
    ].entries()) {
      const refusal = await ctx.database.db.execute(statement).then(
        () => 'done',
        (error: Error) => String((error.cause as Error | undefined)?.message ?? error.message),
      );
      expect(refusal, `statement ${i}`).toMatch(/written by seal passes only/);
    }
    expect(await ready()).toMatchObject({ status: 'ready', auditSealing: 'failing' });
    // The slipped-in block removed (its guard off): the next pass seals the waiting event where the chain went on.
    await withTriggersOff(sql`delete from audit_seal_blocks where care_giver_id = ${CARE_GIVER} and seq = 2`);
    expect(await audit.verify(CARE_GIVER)).toEqual({ valid: true, checked: 2 });
    expect(await ready()).toMatchObject({ status: 'ready', auditSealing: 'ok' });
    expect(await audit.verify(OTHER_CARE_GIVER)).toEqual({ valid: true, checked: 2 });
  });

  it('detects an event written with a transaction id not yet begun (no pass would seal it, yet it is listed)', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT]);
    expect((await audit.verify(CARE_GIVER)).valid).toBe(true);
    await ctx.database.db.execute(sql`
      insert into audit_events (at, actor_id, role, care_giver_id, patient_id, action, resource, purpose, xact)
      values (now(), ${COORDINATOR}, 'coordinator', ${CARE_GIVER}, ${PATIENT}, 'read', 'certificate',
              'care_and_treatment', '9000000000000000000'::xid8)`);
    expect(await audit.verify(CARE_GIVER)).toMatchObject({ valid: false });
  });

  it('detects a chain rebuilt after an event was removed, against an anchor taken before (as the service logs them)', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT, '200001012384']);
    expect((await audit.verify(CARE_GIVER)).valid).toBe(true);
    const anchors = (await audit.chainHeads()).filter((h) => h.careGiverId === CARE_GIVER);
    expect(anchors).toEqual([{ careGiverId: CARE_GIVER, seq: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    // Remove an event and seal the rest again from the start: the chain is consistent in itself.
    await removeFirstEventAndReseal(ctx.database.db);
    expect(await audit.verify(CARE_GIVER)).toEqual({ valid: true, checked: 1 });
    // But not with the head logged before.
    expect(await audit.verify(CARE_GIVER, { anchors })).toMatchObject({ valid: false });
  });

  it('lets an auditor list the care giver’s events, newest first, with cursor pages', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT]);
    await audit.readPatients(coordinator, UNIT, 'sick_leave', ['200001012384']);
    await audit.readPatients(coordinator, UNIT, 'sick_leave', ['196408233234']);
    await audit.readPatients({ ...coordinator, careGiverId: OTHER_CARE_GIVER }, UNIT, 'sick_leave', [PATIENT]);
    const first = await ctx.app.inject({
      method: 'GET',
      url: '/v1/audit-events?limit=2',
      headers: bearer({ role: 'auditor' }),
    });
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.items.map((e: { patientId: string }) => e.patientId)).toEqual(['196408233234', '200001012384']);
    expect(page1.items[0]).toMatchObject({
      actorId: COORDINATOR,
      role: 'coordinator',
      careGiverId: CARE_GIVER,
      unitId: UNIT,
      action: 'read',
      resource: 'sick_leave',
      requestId: 'r-1',
    });
    const second = await ctx.app.inject({
      method: 'GET',
      url: `/v1/audit-events?limit=2&cursor=${page1.nextCursor}`,
      headers: bearer({ role: 'auditor' }),
    });
    const page2 = second.json();
    expect(page2.items.map((e: { patientId: string }) => e.patientId)).toEqual([PATIENT]);
    expect(page2.nextCursor).toBeNull();
    // The cursor pages this list only: with a filter added, or in the patient search, it is refused.
    const filtered = await ctx.app.inject({
      url: `/v1/audit-events?limit=2&unitId=${UNIT}&cursor=${page1.nextCursor}`,
      headers: bearer({ role: 'auditor' }),
    });
    expect(filtered.statusCode).toBe(400);
    expect(filtered.json().errors[0].path).toBe('query.cursor');
    const search = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: bearer({ role: 'auditor' }),
      payload: { patientId: PATIENT, cursor: page1.nextCursor },
    });
    expect(search.statusCode).toBe(400);
    expect(search.json().errors[0].path).toBe('cursor');
    // Nor does it page another care giver's log: an auditor there is refused it, not shown a page of their own.
    const elsewhere = await ctx.app.inject({
      url: `/v1/audit-events?limit=2&cursor=${page1.nextCursor}`,
      headers: bearer({ role: 'auditor', careGiverId: OTHER_CARE_GIVER }),
    });
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().errors[0].path).toBe('query.cursor');
  });

  it('filters both lists by action and resource, and refuses what is neither', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT]);
    await audit.record(coordinator, [
      { action: 'revoke', resource: 'consent', resourceId: 'x', unitId: UNIT, patientId: PATIENT },
      { action: 'read', resource: 'consent', resourceId: 'y', unitId: UNIT, patientId: '200001012384' },
    ]);
    const auditor = bearer({ role: 'auditor' });
    const list = async (query: string) => {
      const res = await ctx.app.inject({ url: `/v1/audit-events?${query}`, headers: auditor });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items.map((e: { action: string; resource: string }) => `${e.action} ${e.resource}`);
    };
    // The auditor's own reads are logged as they go (audit_events): each list below leaves one per patient shown.
    expect(await list('action=revoke')).toEqual(['revoke consent']);
    expect(await list('resource=sick_leave')).toEqual(['read sick_leave']);
    expect(await list('action=read&resource=consent')).toEqual(['read consent']);
    const search = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: auditor,
      payload: { patientId: PATIENT, action: 'revoke' },
    });
    expect(search.json().items.map((e: { resource: string }) => e.resource)).toEqual(['consent']);
    for (const [query, path] of [
      ['action=delete', 'query.action'],
      ['resource=Sick-Leave', 'query.resource'],
    ]) {
      const res = await ctx.app.inject({ url: `/v1/audit-events?${query}`, headers: auditor });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().errors[0].path).toBe(path);
    }
  });

  it('answers a patient’s access-log search and logs the auditor’s own read', async () => {
    await ctx.app.services.audit.readPatients(coordinator, UNIT, 'sick_leave', [PATIENT, '200001012384']);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: bearer({ role: 'auditor' }),
      payload: { patientId: '19121212-1212' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toHaveLength(1);
    expect(res.json().items[0]).toMatchObject({ patientId: PATIENT, actorId: COORDINATOR });
    const own = await ctx.app.inject({
      method: 'GET',
      url: `/v1/audit-events?actorId=${AUDITOR}`,
      headers: bearer({ role: 'auditor' }),
    });
    expect(own.json().items[0]).toMatchObject({ actorId: AUDITOR, patientId: PATIENT, purpose: 'audit_follow_up' });
  });

  it('logs a patient search that finds nothing too: it names the patient, and its answer tells of them', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: bearer({ role: 'auditor' }),
      payload: { patientId: '200001012384' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([]);
    const own = await ctx.app.inject({
      method: 'GET',
      url: `/v1/audit-events?actorId=${AUDITOR}`,
      headers: bearer({ role: 'auditor' }),
    });
    expect(own.json().items).toEqual([
      expect.objectContaining({ patientId: '200001012384', action: 'read', purpose: 'audit_follow_up' }),
    ]);
  });

  it('refuses a from or to that is no date or instant, saying what it must be', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/v1/audit-events?from=yesterday',
      headers: bearer({ role: 'auditor' }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      {
        path: 'query.from',
        message: expect.stringMatching(/^must be a calendar date YYYY-MM-DD or an RFC 3339 instant/),
      },
    ]);
  });

  it('refuses a window that ends before it starts, in the list and in the search, naming from', async () => {
    const auditor = bearer({ role: 'auditor' });
    const list = await ctx.app.inject({
      method: 'GET',
      url: '/v1/audit-events?from=2026-12-02&to=2026-12-01',
      headers: auditor,
    });
    expect(list.statusCode).toBe(400);
    expect(list.json().errors).toEqual([{ path: 'query.from', message: 'must be before to' }]);
    const search = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: auditor,
      payload: { patientId: PATIENT, from: '2026-12-01T10:00:00Z', to: '2026-12-01T09:00:00+01:00' },
    });
    expect(search.statusCode).toBe(400);
    expect(search.json().errors).toEqual([{ path: 'from', message: 'must be before to' }]);
    // The search's body takes its page size as a JSON number.
    for (const limit of ['5', null, true]) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/v1/audit-events/search',
        headers: auditor,
        payload: { patientId: PATIENT, limit },
      });
      expect(res.statusCode, String(limit)).toBe(400);
      expect(res.json().errors[0].path).toBe('limit');
    }
    const cursor = await ctx.app.inject({ url: '/v1/audit-events?cursor=bm90LW91cnM', headers: auditor });
    expect(cursor.json().errors).toEqual([{ path: 'query.cursor', message: 'is not valid' }]);
    // One day, as dates: from its start to its end.
    const oneDay = await ctx.app.inject({
      method: 'GET',
      url: '/v1/audit-events?from=2026-12-01&to=2026-12-01',
      headers: auditor,
    });
    expect(oneDay.statusCode).toBe(200);
  });

  it('is of every unit of the care giver: an auditor’s units do not narrow it (the outline’s auditor of the care giver)', async () => {
    const audit = ctx.app.services.audit;
    await audit.readPatients({ ...coordinator, units: [OTHER_UNIT] }, OTHER_UNIT, 'sick_leave', [PATIENT]);
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/v1/audit-events?unitId=${OTHER_UNIT}`,
      headers: bearer({ role: 'auditor', units: [UNIT] }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([expect.objectContaining({ unitId: OTHER_UNIT, patientId: PATIENT })]);
  });

  it('refuses another care giver’s unit as its filter (403, as every request naming one), an unknown one is empty', async () => {
    const unknown = await ctx.app.inject({
      url: '/v1/audit-events?unitId=SE2321000016-U404',
      headers: bearer({ role: 'auditor' }),
    });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json().items).toEqual([]);
    // UNIT becomes care giver A's when A's certificate first names it; B's auditor asks for its events.
    const cert = await postCertificate(ctx.app, CERTIFICATE_EXAMPLE);
    expect(cert.statusCode, cert.body).toBe(201);
    const other = await ctx.app.inject({
      url: `/v1/audit-events?unitId=${UNIT}`,
      headers: bearer({ role: 'auditor', careGiverId: OTHER_CARE_GIVER }),
    });
    expect(other.statusCode).toBe(403);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json().detail).toMatch(/unit of another care giver/);
    // A's auditor lists it.
    const own = await ctx.app.inject({ url: `/v1/audit-events?unitId=${UNIT}`, headers: bearer({ role: 'auditor' }) });
    expect(own.statusCode).toBe(200);
  });

  it('is for auditors only', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/v1/audit-events',
      headers: bearer({ role: 'coordinator' }),
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('rejects a malformed patient id in a search with a 400 naming the field', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: bearer({ role: 'auditor' }),
      payload: { patientId: '191212121213' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { path: 'patientId', message: expect.stringMatching(/^must be a valid personnummer or samordningsnummer/) },
    ]);
  });
});
