import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { useTestApp } from '../../helpers/app.js';
import { bearer, CARE_GIVER, EHR, UNIT } from '../../helpers/tokens.js';
import { certificateBody, PATIENT, postBatch, postCertificate } from './fixtures.js';

// PGlite runs in this process: a 1,000-row batch holds the event loop, which load shedding must not answer with 503.
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });

const count = async (table: string) => {
  const [row] = await queryRows<{ n: number }>(ctx.database.db, sql.raw(`select count(*)::int as n from ${table}`));
  return row!.n;
};

/** Periods and diagnoses stored on the certificates' rows, summed over all rows. */
const stored = async (column: 'period_degrees' | 'diagnosis_codes') => {
  const [row] = await queryRows<{ n: number }>(
    ctx.database.db,
    sql.raw(`select coalesce(sum(cardinality(${column})), 0)::int as n from certificates`),
  );
  return row!.n;
};

const auditEvents = () =>
  queryRows<{ action: string; resource: string; resource_id: string; unit_id: string; patient_id: string }>(
    ctx.database.db,
    sql`select action, resource, resource_id, unit_id, patient_id from audit_events order by id`,
  );

describe('posting one certificate', () => {
  it('stores it with its periods and diagnoses and answers 201 with the stored certificate', async () => {
    const res = await postCertificate(ctx.app, certificateBody());
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: 'c-2026-000123', counts: true, revoked: null });
    expect(await count('certificates')).toBe(1);
    expect(await stored('period_degrees')).toBe(2);
    expect(await stored('diagnosis_codes')).toBe(2);
    const [row] = await queryRows<{ counts: boolean; created_by: string; content_hash: string }>(
      ctx.database.db,
      sql`select counts, created_by, content_hash from certificates`,
    );
    expect(row).toMatchObject({ counts: true, created_by: EHR });
    expect(row!.content_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the stored certificate in Location on 201 (its GET answers it), and not on an identical re-post', async () => {
    const first = await postCertificate(ctx.app, certificateBody({ id: 'c:2026.x_1' }));
    expect(first.statusCode).toBe(201);
    expect(first.headers.location).toBe('/v1/certificates/c%3A2026.x_1');
    const read = await ctx.app.inject({
      method: 'GET',
      url: String(first.headers.location),
      headers: bearer({ role: 'doctor' }),
    });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toMatchObject({ id: 'c:2026.x_1' });
    const again = await postCertificate(ctx.app, certificateBody({ id: 'c:2026.x_1' }));
    expect(again.statusCode).toBe(200);
    expect(again.headers.location).toBeUndefined();
  });

  it('stores names composed (NFC): a re-post spelling them decomposed is the same certificate', async () => {
    const decomposed = (name: string) => name.normalize('NFD');
    const names = {
      patient: { id: PATIENT, name: decomposed('Åsa Öberg') },
      unit: { id: UNIT, name: decomposed('Vårdcentralen Norr') },
    };
    expect(names.patient.name).not.toBe('Åsa Öberg');
    const first = await postCertificate(ctx.app, certificateBody(names));
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ patient: { name: 'Åsa Öberg' }, unit: { name: 'Vårdcentralen Norr' } });
    const composed = await postCertificate(
      ctx.app,
      certificateBody({ patient: { id: PATIENT, name: 'Åsa Öberg' }, unit: { id: UNIT, name: 'Vårdcentralen Norr' } }),
    );
    expect(composed.statusCode, composed.body).toBe(200);
    expect(await count('certificates')).toBe(1);
  });

  it('writes one create audit event', async () => {
    await postCertificate(ctx.app, certificateBody());
    expect(await auditEvents()).toEqual([
      { action: 'create', resource: 'certificate', resource_id: 'c-2026-000123', unit_id: UNIT, patient_id: PATIENT },
    ]);
  });

  it('an identical re-post answers 200 with the stored certificate, stores nothing, and audits the read', async () => {
    const first = await postCertificate(ctx.app, certificateBody());
    // The same content in another accepted spelling is the same certificate.
    const again = await postCertificate(
      ctx.app,
      certificateBody({
        patient: { id: '19121212-1212', name: 'Tolvan Tolvansson' },
        diagnoses: [{ code: 'F321' }, { code: 'm54.5' }],
      }),
    );
    expect(again.statusCode).toBe(200);
    // The 201 is built from what was inserted, the 200 read back from the database: byte for byte the same.
    expect(again.body).toBe(first.body);
    expect(await count('certificates')).toBe(1);
    expect(await stored('period_degrees')).toBe(2);
    // The 200 hands the poster the stored certificate (patient, diagnoses): a read of patient data.
    expect((await auditEvents()).map((e) => e.action)).toEqual(['create', 'read']);
    expect((await auditEvents())[1]).toMatchObject({
      resource: 'certificate',
      resource_id: 'c-2026-000123',
      patient_id: PATIENT,
    });
  });

  it('the same id with different content is a 409 naming the id, and the stored one is kept', async () => {
    await postCertificate(ctx.app, certificateBody());
    const res = await postCertificate(
      ctx.app,
      certificateBody({ periods: [{ degree: 100, start: '2026-11-20', end: '2026-12-31' }] }),
    );
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 409, certificateId: 'c-2026-000123' });
    expect(res.json().detail).toContain('c-2026-000123');
    const [row] = await queryRows<{ end_date: string }>(ctx.database.db, sql`select end_date::text from certificates`);
    expect(row!.end_date).toBe('2026-12-17');
    expect(await auditEvents()).toHaveLength(1);
  });

  it('twenty concurrent posts of one new id store it once: one 201, nineteen 200', async () => {
    const body = certificateBody({ id: 'c-race' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => postCertificate(ctx.app, body)));
    const codes = answers.map((a) => a.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 200)).toHaveLength(19);
    expect(await count('certificates')).toBe(1);
    expect(await stored('period_degrees')).toBe(2);
    expect((await auditEvents()).filter((e) => e.action === 'create')).toHaveLength(1);
  });

  it('keeps the care giver and unit names of the latest signed certificate', async () => {
    await postCertificate(
      ctx.app,
      certificateBody({ id: 'c-new', signedAt: '2026-11-20T09:00:00Z', unit: { id: UNIT, name: 'VC Norr (nytt)' } }),
    );
    await postCertificate(
      ctx.app,
      certificateBody({
        id: 'c-old',
        signedAt: '2026-10-01T09:00:00Z',
        unit: { id: UNIT, name: 'VC Norr (gammalt)' },
        careGiver: { id: CARE_GIVER, name: 'Region Gammal' },
      }),
    );
    const units = await queryRows<{ name: string; care_giver_id: string }>(
      ctx.database.db,
      sql`select name, care_giver_id from units`,
    );
    expect(units).toEqual([{ name: 'VC Norr (nytt)', care_giver_id: CARE_GIVER }]);
    await postCertificate(
      ctx.app,
      certificateBody({
        id: 'c-newest',
        signedAt: '2026-12-01T09:00:00Z',
        careGiver: { id: CARE_GIVER, name: 'Region Ny' },
      }),
    );
    const careGivers = await queryRows<{ name: string }>(ctx.database.db, sql`select name from care_givers`);
    expect(careGivers).toEqual([{ name: 'Region Ny' }]);
  });

  it('sets counts from the type and flags', async () => {
    await postBatch(ctx.app, [
      certificateBody({ id: 'fk7804' }),
      certificateBody({ id: 'fk7263', type: 'FK7263' }),
      certificateBody({ id: 'ag7804', type: 'AG7804' }),
      certificateBody({ id: 'test', test: true }),
      certificateBody({ id: 'smitta', infectionControl: true }),
    ]);
    const rows = await queryRows<{ id: string; counts: boolean }>(
      ctx.database.db,
      sql`select id, counts from certificates order by id`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, r.counts]))).toEqual({
      ag7804: false,
      fk7263: true,
      fk7804: true,
      smitta: false,
      test: false,
    });
  });
});

describe('posting a batch', () => {
  it('answers each item on its own: created, unchanged, conflict, invalid, in order', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'existing' }));
    await postCertificate(ctx.app, certificateBody({ id: 'other' }));
    const res = await postBatch(ctx.app, [
      certificateBody({ id: 'b-1' }),
      certificateBody({ id: 'existing' }),
      certificateBody({ id: 'other', test: true }),
      certificateBody({ id: 'b-bad', periods: [{ degree: 30, start: '2026-01-01', end: '2026-01-02' }] }),
      { id: 'b-shapeless' },
      null,
      certificateBody({ id: 'b-1' }),
      certificateBody({ id: 'b-1', test: true }),
      certificateBody({ id: 'b-3', patient: { id: '200001012384' } }),
    ]);
    expect(res.statusCode).toBe(200);
    const results = res.json().results;
    expect(results.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
      ['b-1', 'created'],
      ['existing', 'unchanged'],
      ['other', 'conflict'],
      ['b-bad', 'invalid'],
      ['b-shapeless', 'invalid'],
      [null, 'invalid'],
      ['b-1', 'unchanged'],
      ['b-1', 'conflict'],
      ['b-3', 'created'],
    ]);
    expect(results[3].errors).toEqual([{ path: 'periods.0.degree', message: expect.any(String) }]);
    expect(results[4].errors.map((e: { path: string }) => e.path)).toContain('patient');
    expect(results[2].errors[0].path).toBe('id');
    // An item that is no object is told so as an item, not as a missing body.
    expect(results[5].errors).toEqual([{ path: '', message: expect.stringMatching(/expected object/) }]);
    const ids = await queryRows<{ id: string }>(ctx.database.db, sql`select id from certificates order by id`);
    expect(ids.map((r) => r.id)).toEqual(['b-1', 'b-3', 'existing', 'other']);
    const creates = (await auditEvents()).filter((e) => e.action === 'create').map((e) => e.resource_id);
    expect(creates).toEqual(['existing', 'other', 'b-1', 'b-3']);
  });

  it('refuses an item for a unit or care giver outside the token as that item (forbidden), and stores the others', async () => {
    let n = 0;
    for (const [outside, path] of [
      [{ unit: { id: 'SE2321000016-U999', name: 'Annan' } }, 'unit.id'],
      [{ careGiver: { id: 'SE2321000099-CG02', name: 'Region Annan' } }, 'careGiver.id'],
      [{ careGiver: { id: 'SE2321000099-CG02' } }, 'careGiver.id'],
    ] as const) {
      n += 1;
      const res = await postBatch(ctx.app, [
        certificateBody({ id: `b-${n}` }),
        certificateBody({ id: `b-${n}-outside`, ...outside }),
      ]);
      expect(res.statusCode).toBe(200);
      expect(res.json().results).toEqual([
        { id: `b-${n}`, status: 'created' },
        { id: `b-${n}-outside`, status: 'forbidden', errors: [{ path, message: expect.any(String) }] },
      ]);
    }
    expect(await count('certificates')).toBe(3);
    // Only what was stored is audited.
    expect((await auditEvents()).map((e) => e.resource_id)).toEqual(['b-1', 'b-2', 'b-3']);
  });

  it('bounds the errors one answer lists: 10 per item, and items past 500 errors in all get one line each', async () => {
    const res = await postBatch(
      ctx.app,
      Array.from({ length: 1000 }, () => ({})),
    );
    expect(res.statusCode).toBe(200);
    const results: { status: string; errors: { path: string; message: string }[] }[] = res.json().results;
    expect(results.every((r) => r.status === 'invalid')).toBe(true);
    expect(Math.max(...results.map((r) => r.errors.length))).toBeLessThanOrEqual(11);
    const listed = results.flatMap((r) => r.errors).filter((e) => !/^not listed/.test(e.message));
    expect(listed.length).toBeLessThanOrEqual(510);
    expect(results.at(-1)?.errors).toEqual([{ path: '', message: 'not listed (500 errors listed already)' }]);
    // A 4 KB request no longer answers close to a megabyte.
    expect(res.body.length).toBeLessThan(150_000);
    expect(await count('certificates')).toBe(0);
  });

  it('stores a thousand certificates in one call', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => certificateBody({ id: `bulk-${i}` }));
    const res = await postBatch(ctx.app, items);
    expect(res.statusCode).toBe(200);
    expect(res.json().results.every((r: { status: string }) => r.status === 'created')).toBe(true);
    expect(await count('certificates')).toBe(1000);
    expect(await stored('period_degrees')).toBe(2000);
    const again = await postBatch(ctx.app, items);
    expect(again.json().results.every((r: { status: string }) => r.status === 'unchanged')).toBe(true);
  });

  it('refuses an empty batch and more than 1,000 items as a whole', async () => {
    const empty = await postBatch(ctx.app, []);
    expect(empty.statusCode).toBe(400);
    expect(empty.json().errors[0].path).toBe('certificates');
    const tooMany = await postBatch(
      ctx.app,
      Array.from({ length: 1001 }, (_, i) => ({ id: `x-${i}` })),
    );
    expect(tooMany.statusCode).toBe(400);
    expect(await count('certificates')).toBe(0);
  });
});
