import { stockholmToday } from '../../../src/domain/calendar.js';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../helpers/app.js';
import { bearer, DOCTOR, OTHER_CARE_GIVER, OTHER_DOCTOR, OTHER_UNIT, UNIT } from '../../helpers/tokens.js';
import { auditReads, givenCertificate } from './given.js';

const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' }); // no load shedding: other suites share the machine
const TOLVAN = '191212121212';
const ANNA = '200001012384';
const coordinator = bearer({ role: 'coordinator' });

async function history(payload: Record<string, unknown>, headers: Record<string, string> = coordinator) {
  return ctx.app.inject({ method: 'POST', url: '/v1/patients/sick-leave-history', headers, payload });
}

describe('POST /v1/patients/sick-leave-history', () => {
  it('lists every case of the patient in the care giver, newest first, with its certificates from every unit', async () => {
    const db = ctx.database.db;
    const old = await givenCertificate(db, {
      patientId: TOLVAN,
      periods: [[100, '2025-01-01', '2025-01-31']],
      diagnoses: ['M545'],
      signedAt: '2025-01-01T09:00:00Z',
    });
    const a = await givenCertificate(db, {
      patientId: TOLVAN,
      periods: [
        [100, '2026-03-01', '2026-03-14'],
        [50, '2026-03-15', '2026-03-20'],
      ],
      signedAt: '2026-03-01T09:00:00Z',
    });
    const b = await givenCertificate(db, {
      patientId: TOLVAN,
      unitId: OTHER_UNIT,
      doctorId: OTHER_DOCTOR,
      doctorName: 'Dr Other',
      periods: [[25, '2026-03-23', '2026-04-30']],
      signedAt: '2026-03-19T09:00:00Z',
      diagnoses: ['F432', 'Z730'],
    });
    // Not the patient's, not this care giver's, not counted: none shows.
    await givenCertificate(db, { patientId: ANNA, periods: [[100, '2026-03-01', '2026-03-31']] });
    await givenCertificate(db, {
      patientId: TOLVAN,
      careGiverId: OTHER_CARE_GIVER,
      unitId: 'SE2321000099-U901',
      periods: [[100, '2024-01-01', '2024-01-31']],
    });
    await givenCertificate(db, { patientId: TOLVAN, counts: false, periods: [[100, '2023-01-01', '2023-01-31']] });

    const res = await history({ patientId: '19121212-1212', unitId: UNIT, activeOn: '2026-03-25' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      patient: { id: TOLVAN, name: 'Tolvan Tolvansson', age: 113, gender: 'M' },
      activeOn: '2026-03-25',
      maxGapDays: 5,
    });
    expect(body.cases.map((c: { start: string; status: string }) => [c.start, c.status])).toEqual([
      ['2026-03-01', 'active'],
      ['2025-01-01', 'ended'],
    ]);
    expect(body.cases[0]).toMatchObject({
      end: '2026-04-30',
      days: 20 + 39,
      degree: 25,
      diagnosis: { code: 'F432', chapter: 'F00-F99' },
      secondaryDiagnoses: [{ code: 'Z730', chapter: 'Z00-Z99' }],
      certificateCount: 2,
      doctors: [
        { id: OTHER_DOCTOR, name: 'Dr Other' },
        { id: DOCTOR, name: 'Dr Lisa Läkare' },
      ],
    });
    expect(body.cases[0].certificates).toEqual([
      {
        id: a,
        type: 'FK7804',
        signedAt: '2026-03-01T09:00:00.000Z',
        doctor: { id: DOCTOR, name: 'Dr Lisa Läkare' },
        unitId: UNIT,
        periods: [
          { degree: 100, start: '2026-03-01', end: '2026-03-14' },
          { degree: 50, start: '2026-03-15', end: '2026-03-20' },
        ],
        diagnoses: [{ code: 'F321', chapter: 'F00-F99' }],
      },
      {
        id: b,
        type: 'FK7804',
        signedAt: '2026-03-19T09:00:00.000Z',
        doctor: { id: OTHER_DOCTOR, name: 'Dr Other' },
        unitId: OTHER_UNIT,
        periods: [{ degree: 25, start: '2026-03-23', end: '2026-04-30' }],
        diagnoses: [
          { code: 'F432', chapter: 'F00-F99' },
          { code: 'Z730', chapter: 'Z00-Z99' },
        ],
      },
    ]);
    expect(body.cases[1].certificates.map((c: { id: string }) => c.id)).toEqual([old]);
  });

  it('maxGapDays changes how the certificates chain', async () => {
    const db = ctx.database.db;
    await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2026-03-01', '2026-03-10']] });
    await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2026-03-21', '2026-03-31']] });
    const five = (await history({ patientId: TOLVAN, unitId: UNIT, activeOn: '2026-04-01' })).json();
    expect(five.cases).toHaveLength(2);
    const ten = (await history({ patientId: TOLVAN, unitId: UNIT, activeOn: '2026-04-01', maxGapDays: 10 })).json();
    expect(ten.cases).toHaveLength(1);
    expect(ten.cases[0]).toMatchObject({ days: 21, status: 'ended' });
  });

  it('writes one read event for the patient', async () => {
    await givenCertificate(ctx.database.db, { patientId: TOLVAN, periods: [[100, '2026-03-01', '2026-03-10']] });
    await history({ patientId: TOLVAN, unitId: UNIT });
    expect(await auditReads(ctx.database.db)).toEqual([{ patient_id: TOLVAN, resource: 'sick_leave', action: 'read' }]);
  });

  it('a doctor sees only the cases whose active certificate they signed', async () => {
    const db = ctx.database.db;
    await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2025-01-01', '2025-01-31']] });
    await givenCertificate(db, {
      patientId: TOLVAN,
      doctorId: OTHER_DOCTOR,
      periods: [[100, '2026-03-01', '2026-03-31']],
    });
    const mine = (await history({ patientId: TOLVAN, unitId: UNIT }, bearer({ role: 'doctor' }))).json();
    expect(mine.cases.map((c: { start: string }) => c.start)).toEqual(['2025-01-01']);
    const theirs = (
      await history({ patientId: TOLVAN, unitId: UNIT }, bearer({ role: 'doctor', sub: OTHER_DOCTOR }))
    ).json();
    expect(theirs.cases.map((c: { start: string }) => c.start)).toEqual(['2026-03-01']);
  });

  it('answers an empty history for a patient without certificates who consented to coordination at the unit', async () => {
    // Without a care relation at the unit it is not shown at all (test/modules/sick-leaves/cross-unit.test.ts).
    expect((await history({ patientId: ANNA, unitId: UNIT })).statusCode).toBe(403);
    const consent = await ctx.app.inject({
      method: 'POST',
      url: '/v1/consents',
      headers: coordinator,
      payload: { patientId: ANNA, unitId: UNIT, kind: 'coordination', form: 'written', givenOn: stockholmToday() },
    });
    expect(consent.statusCode, consent.body).toBe(201);
    const res = await history({ patientId: ANNA, unitId: UNIT });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ patient: { id: ANNA, name: null, gender: 'F' }, cases: [] });
  });

  it.each([
    [{ patientId: '191212121213', unitId: UNIT }, 'patientId'],
    [{ patientId: TOLVAN, unitId: 'not-an-hsa-id' }, 'unitId'],
    [{ patientId: TOLVAN, unitId: UNIT, maxGapDays: 91 }, 'maxGapDays'],
    [{ unitId: UNIT }, 'patientId'],
  ])('refuses %j with 400 naming %s and logs nothing', async (payload, path) => {
    const res = await history(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe(path);
    expect(await auditReads(ctx.database.db)).toEqual([]);
  });

  it('a unit not in the token is 403 and logs nothing', async () => {
    const res = await history({ patientId: TOLVAN, unitId: OTHER_UNIT });
    expect(res.statusCode).toBe(403);
    expect(await auditReads(ctx.database.db)).toEqual([]);
  });
});
