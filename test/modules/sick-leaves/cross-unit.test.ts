import { stockholmToday } from '../../../src/domain/calendar.js';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { useTestApp } from '../../helpers/app.js';
import { TEST_DATABASE_URL, untilSomeoneWaitsForALock } from '../../helpers/database.js';
import { bearer, DOCTOR, OTHER_DOCTOR, OTHER_UNIT, UNIT } from '../../helpers/tokens.js';
import { certificateBody, ehrHeaders, postBatch, postCertificate, revoke } from '../certificates/fixtures.js';
import { givenCertificate, personnummer } from './given.js';

// domain.md, the engine, step 1: a unit's cases are built from the counted certificates of the unit's patients within
// the care giver, so a case running across two units of one care giver is the same case in both units' overviews,
// their summaries and searches, and the patient's history.
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' }); // no load shedding: other suites share the machine
const P = '191212121212';
const U001 = UNIT;
const U002 = OTHER_UNIT;
const ehr = ehrHeaders({ units: [U001, U002] });
const coordinatorOf = (unit: string) => bearer({ role: 'coordinator', units: [unit] });

/** A at U001 100 % 2026-11-01..10, signed by DOCTOR; B at U002 50 % 2026-11-11..20, signed by OTHER_DOCTOR. */
async function givenCaseAcrossTwoUnits() {
  const a = certificateBody({
    id: 'cert-a',
    signedAt: '2026-11-01T09:00:00Z',
    diagnoses: [{ code: 'F32.1' }],
    periods: [{ degree: 100, start: '2026-11-01', end: '2026-11-10' }],
  });
  const b = certificateBody({
    id: 'cert-b',
    unit: { id: U002, name: 'Vårdcentralen Söder' },
    issuedBy: { id: OTHER_DOCTOR, name: 'Dr Other' },
    signedAt: '2026-11-10T09:00:00Z',
    diagnoses: [{ code: 'M54.5' }],
    periods: [{ degree: 50, start: '2026-11-11', end: '2026-11-20' }],
  });
  for (const body of [a, b]) expect((await postCertificate(ctx.app, body, ehr)).statusCode).toBe(201);
}

async function overview(unit: string, activeOn: string, headers = coordinatorOf(unit)) {
  const res = await ctx.app.inject({
    method: 'GET',
    url: `/v1/units/${unit}/sick-leaves?activeOn=${activeOn}`,
    headers,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function history(unit: string, activeOn: string) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/patients/sick-leave-history',
    headers: coordinatorOf(unit),
    payload: { patientId: P, unitId: unit, activeOn },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** The fields of a case that the overview and the history share. */
const caseOf = (c: Record<string, unknown>) => ({
  start: c.start,
  end: c.end,
  days: c.days,
  degree: c.degree,
  degrees: c.degrees,
  diagnosis: c.diagnosis,
  secondaryDiagnoses: c.secondaryDiagnoses,
  certificateCount: c.certificateCount,
  doctors: c.doctors,
});

describe('a case across two units of one care giver', () => {
  it('is the same case in both units’ overviews as in the patient’s history', async () => {
    await givenCaseAcrossTwoUnits();
    const atU002 = await overview(U002, '2026-11-15');
    expect(atU002.items).toHaveLength(1);
    expect(atU002.items[0]).toMatchObject({
      start: '2026-11-01',
      end: '2026-11-20',
      days: 20,
      degree: 50,
      certificateCount: 2,
      diagnosis: { code: 'M545' },
      doctors: [
        { id: OTHER_DOCTOR, name: 'Dr Other' },
        { id: DOCTOR, name: 'Dr Lisa Läkare' },
      ],
      status: 'active',
    });
    const atU001 = await overview(U001, '2026-11-05');
    expect(atU001.items).toHaveLength(1);
    expect(atU001.items[0]).toMatchObject({
      start: '2026-11-01',
      end: '2026-11-20',
      days: 20,
      degree: 100,
      certificateCount: 2,
      diagnosis: { code: 'F321' },
    });

    const fromHistory15 = await history(U002, '2026-11-15');
    expect(fromHistory15.cases).toHaveLength(1);
    expect(fromHistory15.cases[0]).toMatchObject({ start: '2026-11-01', end: '2026-11-20', days: 20 });
    expect(fromHistory15.cases[0].certificates).toHaveLength(2);
    expect(caseOf(atU002.items[0])).toEqual(caseOf(fromHistory15.cases[0]));
    expect(caseOf(atU001.items[0])).toEqual(caseOf((await history(U001, '2026-11-05')).cases[0]));
  });

  it('the history’s audit event names the units whose certificates it showed (inner secrecy can be followed up)', async () => {
    await givenCaseAcrossTwoUnits();
    await history(U002, '2026-11-15');
    const events = await queryRows<{
      unit_id: string;
      resource: string;
      resource_id: string | null;
      patient_id: string;
    }>(
      ctx.database.db,
      sql`select unit_id, resource, resource_id, patient_id from audit_events where resource = 'sick_leave' order by id`,
    );
    expect(events.at(-1)).toEqual({
      unit_id: U002,
      resource: 'sick_leave',
      resource_id: `units:${[U001, U002].sort().join(',')}`,
      patient_id: P,
    });
    // A history that shows nothing names no unit: a doctor of U001 whose certificate is not the active one.
    const none = await ctx.app.inject({
      method: 'POST',
      url: '/v1/patients/sick-leave-history',
      headers: bearer({ role: 'doctor', sub: DOCTOR, units: [U001] }),
      payload: { patientId: P, unitId: U001, activeOn: '2026-11-15' },
    });
    expect(none.json().cases).toEqual([]);
    const [last] = await queryRows<{ resource_id: string | null }>(
      ctx.database.db,
      sql`select resource_id from audit_events order by id desc limit 1`,
    );
    expect(last?.resource_id).toBeNull();
  });

  it('the overview’s audit event names the units of a case across units, and none for a case of the unit’s own', async () => {
    await givenCaseAcrossTwoUnits();
    const own = personnummer('19700101', 2);
    await givenCertificate(ctx.database.db, {
      patientId: own,
      unitId: U001,
      periods: [[100, '2026-11-01', '2026-11-30']],
    });
    expect((await overview(U001, '2026-11-15')).items).toHaveLength(2);
    const events = await queryRows<{ unit_id: string; patient_id: string; resource_id: string | null }>(
      ctx.database.db,
      sql`select unit_id, patient_id, resource_id from audit_events
          where resource = 'sick_leave' and action = 'read' order by patient_id`,
    );
    expect(events).toEqual(
      [
        { unit_id: U001, patient_id: P, resource_id: `units:${[U001, U002].sort().join(',')}` },
        { unit_id: U001, patient_id: own, resource_id: null },
      ].sort((a, b) => a.patient_id.localeCompare(b.patient_id)),
    );
  });

  it('the summary counts it and the search finds it as the overview lists it', async () => {
    await givenCaseAcrossTwoUnits();
    const summary = await ctx.app.inject({
      method: 'GET',
      url: `/v1/units/${U002}/sick-leaves/summary?activeOn=2026-11-15`,
      headers: coordinatorOf(U002),
    });
    expect(summary.statusCode, summary.body).toBe(200);
    expect(summary.json()).toMatchObject({
      total: 1,
      byDegree: { '25': 0, '50': 1, '75': 0, '100': 0 },
      byDiagnosisChapter: [{ chapter: 'M00-M99', count: 1 }],
    });
    expect(summary.json().byLength.find((b: { bucket: string }) => b.bucket === '15-30').count).toBe(1);
    const search = await ctx.app.inject({
      method: 'POST',
      url: `/v1/units/${U002}/sick-leaves/search`,
      headers: coordinatorOf(U002),
      payload: { activeOn: '2026-11-15', q: 'tolvan', minDays: 20 },
    });
    expect(search.statusCode, search.body).toBe(200);
    expect(search.json().items).toEqual((await overview(U002, '2026-11-15')).items);
    expect(search.json().items[0]).toMatchObject({ start: '2026-11-01', days: 20, certificateCount: 2 });
  });

  it('a doctor of U002 sees it only while the active certificate is theirs, whichever unit it is at', async () => {
    await givenCaseAcrossTwoUnits();
    const doctorAtU002 = (sub: string) => bearer({ role: 'doctor', sub, units: [U002] });
    // On 2026-11-15 the active certificate is B (OTHER_DOCTOR, U002).
    expect((await overview(U002, '2026-11-15', doctorAtU002(OTHER_DOCTOR))).total).toBe(1);
    expect((await overview(U002, '2026-11-15', doctorAtU002(DOCTOR))).total).toBe(0);
    // On 2026-11-05 B has not started, but it chains to the case active then, so the case is U002's already; its
    // active certificate is A, at U001, DOCTOR's: at U002 DOCTOR sees it, OTHER_DOCTOR does not.
    const early = async (sub: string) => (await overview(U002, '2026-11-05', doctorAtU002(sub))).total;
    expect(await early(DOCTOR)).toBe(1);
    expect(await early(OTHER_DOCTOR)).toBe(0);
    expect((await overview(U002, '2026-11-05')).total).toBe(1);
    // A third certificate, at U002, covering 2026-11-05 but signed before A: the active certificate is still A, at
    // U001 (the one signed last), so U002's case stays DOCTOR's.
    const c = certificateBody({
      id: 'cert-c',
      unit: { id: U002, name: 'Vårdcentralen Söder' },
      issuedBy: { id: OTHER_DOCTOR, name: 'Dr Other' },
      signedAt: '2026-10-30T09:00:00Z',
      periods: [{ degree: 25, start: '2026-11-03', end: '2026-11-06' }],
    });
    expect((await postCertificate(ctx.app, c, ehr)).statusCode).toBe(201);
    expect(await early(DOCTOR)).toBe(1);
    expect(await early(OTHER_DOCTOR)).toBe(0);
  });

  it('a unit lists only a case holding one of its certificates: not another unit’s case alone (inner secrecy)', async () => {
    // B at U002 ended 2026-11-05, within recentlyEndedDays of the day; A at U001 starts six empty days later, a case
    // of its own, active on the day. U002 shows its own ended case, not U001's active one; U001 shows the active one.
    const b = certificateBody({
      id: 'cert-b',
      unit: { id: U002, name: 'Vårdcentralen Söder' },
      periods: [{ degree: 50, start: '2026-11-01', end: '2026-11-05' }],
    });
    const a = certificateBody({ id: 'cert-a', periods: [{ degree: 100, start: '2026-11-12', end: '2026-11-30' }] });
    for (const body of [a, b]) expect((await postCertificate(ctx.app, body, ehr)).statusCode).toBe(201);
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/v1/units/${U002}/sick-leaves?activeOn=2026-11-15&recentlyEndedDays=14`,
      headers: coordinatorOf(U002),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toHaveLength(1);
    expect(res.json().items[0]).toMatchObject({
      start: '2026-11-01',
      end: '2026-11-05',
      status: 'ended',
      certificateCount: 1,
    });
    expect((await overview(U001, '2026-11-15')).items[0]).toMatchObject({ start: '2026-11-12', status: 'active' });
    // Without the days back, the patient is not U002's on the day.
    expect((await overview(U002, '2026-11-15')).total).toBe(0);
  });

  it('is listed at a unit whose only certificate in it starts after activeOn (an extension filed there ahead)', async () => {
    // A (U001) covers 11-01..10; B (U002) starts 11-11. On 11-05 the active case holds B: it is U002's too.
    await givenCaseAcrossTwoUnits();
    const atU002 = await overview(U002, '2026-11-05');
    expect(
      atU002.items.map((i: { patient: { id: string }; start: string; end: string }) => [i.patient.id, i.start, i.end]),
    ).toEqual([[P, '2026-11-01', '2026-11-20']]);
    expect(atU002.items).toEqual((await overview(U001, '2026-11-05')).items);
    // A patient whose only certificate at U002 lies ahead, with nothing active now, has no case on 11-05 at all.
    await postCertificate(
      ctx.app,
      certificateBody({
        id: 'later-only',
        patient: { id: personnummer('19800101', 42) },
        unit: { id: U002, name: 'Vårdcentralen Söder' },
        periods: [{ degree: 100, start: '2026-11-20', end: '2026-11-30' }],
      }),
      ehr,
    );
    expect((await overview(U002, '2026-11-05')).total).toBe(1);
  });

  it('is listed at every unit whose certificate it holds, also after that unit’s certificates have ended', async () => {
    await givenCaseAcrossTwoUnits();
    // On 2026-11-15 only B (U002) covers the day, but the case holds A (U001) too: U001 lists the same active case.
    const atU001 = await overview(U001, '2026-11-15');
    expect(atU001.items).toHaveLength(1);
    expect(atU001.items[0]).toMatchObject({ start: '2026-11-01', end: '2026-11-20', days: 20, status: 'active' });
    expect(atU001.items[0]).toEqual((await overview(U002, '2026-11-15')).items[0]);
    // Three units along one case: each lists it on a day only the last one's certificate covers.
    const U003 = 'SE2321000016-U003';
    const Q = personnummer('19840404', 333);
    const q = (id: string, unit: string, start: string, end: string) =>
      certificateBody({
        id,
        patient: { id: Q },
        unit: { id: unit, name: unit },
        periods: [{ degree: 50, start, end }],
      });
    const three = ehrHeaders({ units: [U001, U002, U003] });
    for (const body of [
      q('q1', U001, '2026-11-01', '2026-11-10'),
      q('q2', U002, '2026-11-16', '2026-11-20'),
      q('q3', U003, '2026-11-27', '2026-11-30'),
    ])
      expect((await postCertificate(ctx.app, body, three)).statusCode).toBe(201);
    for (const unit of [U001, U002, U003]) {
      const res = await ctx.app.inject({
        url: `/v1/units/${unit}/sick-leaves?activeOn=2026-11-28&maxGapDays=6`,
        headers: coordinatorOf(unit),
      });
      const mine = res.json().items.filter((i: { patient: { id: string } }) => i.patient.id === Q);
      expect(mine, unit).toHaveLength(1);
      expect(mine[0], unit).toMatchObject({ start: '2026-11-01', end: '2026-11-30', certificateCount: 3 });
    }
  });

  it('a batch bumps the case version of every unit where its patients have counted certificates, and logs them there', async () => {
    const other = personnummer('19800115', 101);
    const alone = personnummer('19800115', 102);
    const u002 = (id: string, patient: string) =>
      certificateBody({
        id,
        patient: { id: patient, name: 'Namn Namnsson' },
        unit: { id: U002, name: 'Vårdcentralen Söder' },
        periods: [{ degree: 100, start: '2026-03-01', end: '2026-03-31' }],
      });
    const first = await postBatch(ctx.app, [u002('b-1', P), u002('b-2', alone)], ehr);
    expect(first.statusCode, first.body).toBe(200);
    const versions = async () =>
      new Map(
        (
          await queryRows<{ unit_id: string; version: string }>(
            ctx.database.db,
            sql`select unit_id, version::text as version from unit_case_versions`,
          )
        ).map((r) => [r.unit_id, BigInt(r.version)]),
      );
    const before = await versions();
    expect(before.has(U001)).toBe(false);
    const atU001 = (id: string, patient: string) =>
      certificateBody({
        id,
        patient: { id: patient, name: 'Namn Namnsson' },
        periods: [{ degree: 100, start: '2026-04-01', end: '2026-04-30' }],
      });
    // P now has certificates at both units; `other` only at U001; `alone` is not written.
    const second = await postBatch(ctx.app, [atU001('b-3', P), atU001('b-4', other)], ehr);
    expect(second.statusCode, second.body).toBe(200);
    const after = await versions();
    expect(after.get(U002)).toBe(before.get(U002)! + 1n);
    expect(after.has(U001)).toBe(true);
    const logged = async (unit: string, version: bigint) =>
      (
        await queryRows<{ patient_id: string }>(
          ctx.database.db,
          sql`select patient_id from unit_case_changes where unit_id = ${unit} and version = ${String(version)}::bigint
              order by patient_id`,
        )
      ).map((r) => r.patient_id);
    expect(await logged(U002, after.get(U002)!)).toEqual([P]);
    expect(await logged(U001, after.get(U001)!)).toEqual([P, other].sort());
  });
});

describe.skipIf(!TEST_DATABASE_URL)('two writes for one patient at two units at the same moment (PostgreSQL)', () => {
  const versionOf = async (unit: string) =>
    (
      await queryRows<{ version: string }>(
        ctx.database.db,
        sql`select version::text as version from unit_case_versions where unit_id = ${unit}`,
      )
    )[0]?.version;

  it('the second bumps the first one’s unit too, though the first had not committed when it began', async () => {
    // Neither write can see the other's certificate in its snapshot; the one that comes second must still bump the
    // other's unit, or a list of U001 built between the two commits would keep missing B.
    let pending: ReturnType<typeof postCertificate> | undefined;
    let u001AtA: string | undefined;
    await ctx.database.db.transaction(async (tx) => {
      await givenCertificate(tx, { id: 'cert-a', patientId: P, periods: [[100, '2026-11-01', '2026-11-10']] });
      const b = certificateBody({
        id: 'cert-b',
        unit: { id: U002, name: 'Vårdcentralen Söder' },
        periods: [{ degree: 50, start: '2026-11-11', end: '2026-11-20' }],
      });
      pending = postCertificate(ctx.app, b, ehr);
      await untilSomeoneWaitsForALock(ctx.database.db);
      u001AtA = (
        await queryRows<{ version: string }>(
          tx,
          sql`select version::text as version from unit_case_versions where unit_id = ${U001}`,
        )
      )[0]?.version;
    });
    expect((await pending!).statusCode).toBe(201);
    const u001 = await versionOf(U001);
    expect(BigInt(u001!)).toBe(BigInt(u001AtA!) + 1n);
    const logged = await queryRows<{ patient_id: string }>(
      ctx.database.db,
      sql`select patient_id from unit_case_changes where unit_id = ${U001} and version = ${u001!}::bigint`,
    );
    expect(logged.map((r) => r.patient_id)).toEqual([P]);
    expect((await overview(U001, '2026-11-05')).items[0]).toMatchObject({ end: '2026-11-20', certificateCount: 2 });
  });
});

// domain.md, access: "Access is limited to the unit the user works for (inner secrecy)". The history shows every
// unit's cases of the care giver (the outline), to a unit that has a care relation with the patient: a sick leave
// there, or the patient's valid consent there. Any coordinator of the care giver who knew a
// personnummer read every unit's diagnoses of the patient.
describe('the patient’s history at a unit without a care relation', () => {
  const U003 = 'SE2321000016-U003';
  const askAt = (unit: string, patientId = P) =>
    ctx.app.inject({
      method: 'POST',
      url: '/v1/patients/sick-leave-history',
      headers: coordinatorOf(unit),
      payload: { patientId, unitId: unit, activeOn: '2026-11-15' },
    });
  const lastEvent = async () =>
    (
      await queryRows<{
        unit_id: string;
        resource: string;
        action: string;
        patient_id: string;
        resource_id: string | null;
      }>(
        ctx.database.db,
        sql`select unit_id, resource, action, patient_id, resource_id from audit_events order by id desc limit 1`,
      )
    )[0];

  it('is refused (403 no-care-relation), tells nothing of other units, and the lookup is audited', async () => {
    await givenCaseAcrossTwoUnits();
    const refused = await askAt(U003);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ type: expect.stringMatching(/\/no-care-relation$/), status: 403 });
    expect(refused.body).not.toMatch(/U001|U002|F321|cert-a/);
    // The same answer for a patient with no sick leave anywhere: it depends on the caller's unit alone.
    const nobody = await askAt(U003, '200001012384');
    expect(nobody.statusCode).toBe(403);
    expect(nobody.json().detail).toBe(refused.json().detail);
    expect(await lastEvent()).toEqual({
      unit_id: U003,
      resource: 'sick_leave',
      action: 'read',
      patient_id: '200001012384',
      // Marked refused: the patient's access log tells it from a read that showed records.
      resource_id: 'refused:no-care-relation',
    });
  });

  it('is shown to a unit that issued the patient any certificate, counted or not, but not a test or a revoked one', async () => {
    await givenCaseAcrossTwoUnits();
    const at = (unit: string, id: string, over: Record<string, unknown>) =>
      certificateBody({
        id,
        unit: { id: unit, name: 'Företagshälsan' },
        signedAt: '2026-11-12T09:00:00Z',
        periods: [{ degree: 50, start: '2026-11-12', end: '2026-11-30' }],
        ...over,
      });
    const units = { employer: 'SE2321000016-U004', infection: 'SE2321000016-U005', test: 'SE2321000016-U006' };
    const revokedAt = 'SE2321000016-U007';
    const headers = ehrHeaders({ units: [...Object.values(units), revokedAt] });
    for (const body of [
      at(units.employer, 'ag-1', { type: 'AG7804' }),
      at(units.infection, 'smitta-1', { infectionControl: true }),
      at(units.test, 'test-1', { test: true }),
      at(revokedAt, 'wrong-patient-1', {}),
    ]) {
      expect((await postCertificate(ctx.app, body, headers)).statusCode).toBe(201);
    }
    expect((await revoke(ctx.app, 'wrong-patient-1', undefined, headers)).statusCode).toBe(200);
    for (const unit of [units.employer, units.infection]) {
      const shown = await askAt(unit);
      expect(shown.statusCode, `${unit}: ${shown.body}`).toBe(200);
      // Their own certificates count in no case: what they see is the other units' case.
      expect(
        shown.json().cases.flatMap((c: { certificates: { id: string }[] }) => c.certificates.map((x) => x.id)),
      ).toEqual(['cert-a', 'cert-b']);
    }
    for (const unit of [units.test, revokedAt]) expect((await askAt(unit)).statusCode, unit).toBe(403);
  });

  it('is shown, every unit’s cases, once the patient has consented to coordination at the unit', async () => {
    await givenCaseAcrossTwoUnits();
    const consent = await ctx.app.inject({
      method: 'POST',
      url: '/v1/consents',
      headers: coordinatorOf(U003),
      payload: { patientId: P, unitId: U003, kind: 'coordination', form: 'written', givenOn: stockholmToday() },
    });
    expect(consent.statusCode, consent.body).toBe(201);
    const shown = await askAt(U003);
    expect(shown.statusCode, shown.body).toBe(200);
    expect(shown.json().cases).toHaveLength(1);
    expect(
      shown
        .json()
        .cases[0].certificates.map((c: { unitId: string }) => c.unitId)
        .sort(),
    ).toEqual([U001, U002]);
    // Revoked, it no longer is.
    await ctx.app.inject({
      method: 'POST',
      url: `/v1/consents/${consent.json().id}/revoke`,
      headers: coordinatorOf(U003),
      payload: { reason: 'Withdrawn' },
    });
    expect((await askAt(U003)).statusCode).toBe(403);
  });
});
