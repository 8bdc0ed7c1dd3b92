import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { useTestApp } from '../../helpers/app.js';
import { bearer, CARE_GIVER, COORDINATOR, DOCTOR, OTHER_CARE_GIVER, OTHER_UNIT, UNIT } from '../../helpers/tokens.js';
import { certificateBody, ehrHeaders, getCertificate, PATIENT, postBatch, postCertificate } from './fixtures.js';

// Load shedding is tested elsewhere; here a busy CI machine must not turn an answer into 503.
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });

const certificateCount = async () =>
  (await queryRows<{ n: number }>(ctx.database.db, sql`select count(*)::int as n from certificates`))[0]!.n;
const auditRows = () =>
  queryRows<{
    actor_id: string;
    role: string;
    action: string;
    resource: string;
    resource_id: string;
    unit_id: string;
    patient_id: string;
    care_giver_id: string;
  }>(
    ctx.database.db,
    sql`select actor_id, role, action, resource, resource_id, unit_id, patient_id, care_giver_id from audit_events order by id`,
  );

describe('who may write', () => {
  it('needs a token', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/v1/certificates', payload: certificateBody() });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });

  it('only the ehr role writes', async () => {
    for (const role of ['doctor', 'coordinator', 'auditor']) {
      expect((await postCertificate(ctx.app, certificateBody(), bearer({ role }))).statusCode).toBe(403);
      expect((await postBatch(ctx.app, [certificateBody()], bearer({ role }))).statusCode).toBe(403);
    }
    expect(await certificateCount()).toBe(0);
  });

  it('an ehr writes only for units in its token', async () => {
    const res = await postCertificate(ctx.app, certificateBody({ unit: { id: OTHER_UNIT, name: 'VC Syd' } }));
    expect(res.statusCode).toBe(403);
    const allowed = await postCertificate(
      ctx.app,
      certificateBody({ unit: { id: OTHER_UNIT, name: 'VC Syd' } }),
      ehrHeaders({ units: [UNIT, OTHER_UNIT] }),
    );
    expect(allowed.statusCode).toBe(201);
  });

  it('a unit or care giver id that is no HSA-id at all is that item’s 400 or invalid, not a 403 of the whole batch', async () => {
    const single = await postCertificate(ctx.app, certificateBody({ unit: { id: 'bogus', name: 'x' } }));
    expect(single.statusCode).toBe(400);
    expect(single.json().errors).toContainEqual(expect.objectContaining({ path: 'unit.id' }));
    const batch = await postBatch(ctx.app, [
      certificateBody({ id: 'c-bad-unit', unit: { id: 'bogus', name: 'x' } }),
      certificateBody({ id: 'c-bad-cg', careGiver: { id: 'nope', name: 'x' } }),
      certificateBody({ id: 'c-good' }),
    ]);
    expect(batch.statusCode, batch.body).toBe(200);
    expect(batch.json().results.map((r: { status: string }) => r.status)).toEqual(['invalid', 'invalid', 'created']);
  });

  it('an ehr writes only for its own care giver', async () => {
    const res = await postCertificate(
      ctx.app,
      certificateBody({ careGiver: { id: OTHER_CARE_GIVER, name: 'Region Annan' } }),
    );
    expect(res.statusCode).toBe(403);
    expect(await certificateCount()).toBe(0);
    expect(await auditRows()).toEqual([]);
  });

  it('a unit belongs to one care giver: another care giver’s token naming it may not file certificates there', async () => {
    expect((await postCertificate(ctx.app, certificateBody({ id: 'c-first' }))).statusCode).toBe(201);
    const otherEhr = ehrHeaders({ careGiverId: OTHER_CARE_GIVER, units: [UNIT, OTHER_UNIT] });
    const theirs = (id: string, unitId = UNIT) =>
      certificateBody({
        id,
        careGiver: { id: OTHER_CARE_GIVER, name: 'Region Annan' },
        unit: { id: unitId, name: 'Vårdcentralen Norr' },
      });
    const res = await postCertificate(ctx.app, theirs('c-theirs'), otherEhr);
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toMatch(/unit of another care giver/);
    // A batch of nothing but such items is refused as a whole, as the single post is.
    expect((await postBatch(ctx.app, [theirs('c-theirs-batch')], otherEhr)).statusCode).toBe(403);
    expect(await certificateCount()).toBe(1);
    // With an item they may write, the one at the other care giver's unit is that item's refusal.
    const mixed = await postBatch(ctx.app, [theirs('c-theirs-batch'), theirs('c-theirs-own', OTHER_UNIT)], otherEhr);
    expect(mixed.statusCode).toBe(200);
    expect(mixed.json().results).toEqual([
      {
        id: 'c-theirs-batch',
        status: 'forbidden',
        errors: [{ path: 'unit.id', message: 'is a unit of another care giver' }],
      },
      { id: 'c-theirs-own', status: 'created' },
    ]);
    expect(await certificateCount()).toBe(2);
    // A unit not stored yet is theirs once they name it first.
    expect((await postCertificate(ctx.app, theirs('c-new-unit', OTHER_UNIT), otherEhr)).statusCode).toBe(201);
    expect(
      (
        await postCertificate(
          ctx.app,
          certificateBody({ id: 'c-mine', unit: { id: OTHER_UNIT, name: 'x' } }),
          ehrHeaders({ units: [OTHER_UNIT] }),
        )
      ).statusCode,
    ).toBe(403);
  });
  it('two care givers’ first certificates at one new unit at once: the one stored second is 403, nothing of it kept', async () => {
    // The service's own check (no owner yet) passed for both before either had stored the unit: the database's key
    // of unit and care giver decides. Simulated here by letting the check pass for the second care giver.
    expect((await postCertificate(ctx.app, certificateBody({ id: 'c-first' }))).statusCode).toBe(201);
    const certificates = ctx.app.services.certificates;
    const check = vi.spyOn(certificates, 'assertUnitsOfCareGiver').mockResolvedValue();
    try {
      const otherEhr = ehrHeaders({ careGiverId: OTHER_CARE_GIVER, units: [UNIT] });
      const theirs = (id: string) =>
        certificateBody({
          id,
          careGiver: { id: OTHER_CARE_GIVER, name: 'Region Annan' },
          unit: { id: UNIT, name: 'Renamed by another care giver' },
          signedAt: '2026-11-30T10:00:00+01:00',
        });
      const single = await postCertificate(ctx.app, theirs('c-race'), otherEhr);
      expect(single.statusCode, single.body).toBe(403);
      expect(single.headers['content-type']).toMatch(/problem\+json/);
      expect(single.json().detail).toMatch(/unit belongs to another care giver/);
      const batch = await postBatch(ctx.app, [theirs('c-race-batch')], otherEhr);
      expect(batch.statusCode, batch.body).toBe(403);
    } finally {
      check.mockRestore();
    }
    expect(await certificateCount()).toBe(1);
    const units = await queryRows<{ care_giver_id: string; name: string }>(
      ctx.database.db,
      sql`select care_giver_id, name from units where id = ${UNIT}`,
    );
    expect(units).toEqual([{ care_giver_id: CARE_GIVER, name: (certificateBody().unit as { name: string }).name }]);
    expect((await auditRows()).filter((e) => e.care_giver_id === OTHER_CARE_GIVER)).toEqual([]);
  });
});

describe('who may read', () => {
  it('a doctor and a coordinator of the unit read it, and each read is logged', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    const asCoordinator = await getCertificate(ctx.app, 'c-1', bearer({ role: 'coordinator' }));
    const asDoctor = await getCertificate(ctx.app, 'c-1', bearer({ role: 'doctor' }));
    expect(asCoordinator.statusCode).toBe(200);
    expect(asDoctor.statusCode).toBe(200);
    expect(asDoctor.json()).toMatchObject({ id: 'c-1', patient: { id: PATIENT }, counts: true, revoked: null });
    const reads = (await auditRows()).filter((e) => e.action === 'read');
    expect(reads).toEqual([
      {
        actor_id: COORDINATOR,
        role: 'coordinator',
        action: 'read',
        resource: 'certificate',
        resource_id: 'c-1',
        unit_id: UNIT,
        patient_id: PATIENT,
        care_giver_id: CARE_GIVER,
      },
      expect.objectContaining({ actor_id: DOCTOR, role: 'doctor', resource_id: 'c-1' }),
    ]);
  });

  it('ehr and auditor roles do not read certificates', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    expect((await getCertificate(ctx.app, 'c-1', ehrHeaders())).statusCode).toBe(403);
    expect((await getCertificate(ctx.app, 'c-1', bearer({ role: 'auditor' }))).statusCode).toBe(403);
  });

  it('a unit not in the token is 403 and logs no read', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    const res = await getCertificate(ctx.app, 'c-1', bearer({ role: 'coordinator', units: [OTHER_UNIT] }));
    expect(res.statusCode).toBe(403);
    expect((await auditRows()).filter((e) => e.action === 'read')).toEqual([]);
  });

  // Certificate ids are the issuing systems' and unique within a care giver only (two regions may both issue
  // c-2026-000123), so the id in the path names the caller's care giver's certificate. One only another care giver
  // holds is not this caller's resource: 404, the same answer as an id nobody holds (it was 403 while ids were shared
  // by all care givers). Consents and efforts, whose ids are global, stay 403.
  it('an id only another care giver holds is 404, exactly as a missing one, showing nothing of it', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    const other = bearer({ role: 'coordinator', careGiverId: OTHER_CARE_GIVER, units: [UNIT] });
    const existing = await getCertificate(ctx.app, 'c-1', other);
    const missing = await getCertificate(ctx.app, 'c-none', other);
    expect(existing.statusCode).toBe(404);
    expect(existing.body).not.toContain(PATIENT);
    expect(missing.statusCode).toBe(404);
    expect(existing.json()).toEqual(missing.json());
    expect((await auditRows()).filter((e) => e.action === 'read')).toEqual([]);
  });

  it('an id that cannot be a certificate id is a 400', async () => {
    const res = await getCertificate(ctx.app, 'a b');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('params.id');
  });
});
