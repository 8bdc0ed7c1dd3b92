import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { stockholmDate } from '../../../src/domain/calendar.js';
import { CERTIFICATE_EXAMPLE } from '../../../src/modules/certificates/schemas.js';
import { useTestApp } from '../../helpers/app.js';
import { bearer, CARE_GIVER, COORDINATOR, DOCTOR, OTHER_CARE_GIVER, OTHER_UNIT, UNIT } from '../../helpers/tokens.js';

const ctx = useTestApp();
const PATIENT = '191212121212';
const OTHER_PATIENT = '200001012384';
const coordinator = bearer({ role: 'coordinator' });

const post = (url: string, payload: unknown, headers: Record<string, string> = coordinator) =>
  ctx.app.inject({ method: 'POST', url, payload: payload as object, headers });

const written = (over: Record<string, unknown> = {}) => ({
  patientId: PATIENT,
  unitId: UNIT,
  kind: 'coordination',
  form: 'written',
  givenOn: '2026-03-10',
  ...over,
});

async function givenConsent(over: Record<string, unknown> = {}, headers = coordinator): Promise<{ id: string }> {
  const res = await post('/v1/consents', written(over), headers);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const check = (body: Record<string, unknown>, headers = coordinator) =>
  post('/v1/consent-checks', { patientId: PATIENT, unitId: UNIT, kind: 'coordination', ...body }, headers);

async function consentCount(): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(ctx.database.db, sql`select count(*) as n from consents`);
  return Number(row!.n);
}

async function auditEvents() {
  return queryRows<{ action: string; resource: string; resource_id: string | null; patient_id: string | null }>(
    ctx.database.db,
    sql`select action, resource, resource_id, patient_id from audit_events order by id`,
  );
}

describe('recording a consent', () => {
  it('names the consent in Location, whose GET answers it', async () => {
    const res = await post('/v1/consents', written());
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe(`/v1/consents/${res.json().id}`);
    const read = await ctx.app.inject({ method: 'GET', url: String(res.headers.location), headers: coordinator });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toEqual(res.json());
  });

  it('stores a written consent valid one year from givenOn by default, and audits it', async () => {
    const res = await post('/v1/consents', written({ purpose: 'Return to work' }));
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      patientId: PATIENT,
      careGiverId: CARE_GIVER,
      unitId: UNIT,
      kind: 'coordination',
      form: 'written',
      actors: [],
      purpose: 'Return to work',
      journalReference: null,
      givenOn: '2026-03-10',
      validFrom: '2026-03-10',
      validUntil: '2027-03-10',
      recordedBy: COORDINATOR,
      state: 'recorded',
      revocation: null,
      voiding: null,
    });
    expect(await auditEvents()).toEqual([
      { action: 'create', resource: 'consent', resource_id: body.id, patient_id: PATIENT },
    ]);
  });

  it('accepts any personnummer form and stores 12 digits', async () => {
    const res = await post('/v1/consents', written({ patientId: '19121212-1212' }));
    expect(res.statusCode).toBe(201);
    expect(res.json().patientId).toBe(PATIENT);
  });

  it('defaults validUntil from an explicit validFrom', async () => {
    const res = await post('/v1/consents', written({ validFrom: '2026-04-01' }));
    expect(res.json()).toMatchObject({ validFrom: '2026-04-01', validUntil: '2027-04-01' });
  });

  it('accepts exactly one year and refuses one day more', async () => {
    expect((await post('/v1/consents', written({ validUntil: '2027-03-10' }))).statusCode).toBe(201);
    const res = await post('/v1/consents', written({ validUntil: '2027-03-11' }));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'validUntil' })]);
    expect(await consentCount()).toBe(1);
  });

  it('refuses oral consent without a journal reference and accepts it with one', async () => {
    const refused = await post('/v1/consents', written({ form: 'oral' }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([expect.objectContaining({ path: 'journalReference' })]);
    expect(await consentCount()).toBe(0);
    // Nor with one that shows nothing (white space, a zero-width space, a Hangul filler), nor such a purpose.
    for (const journalReference of ['   ', '\u200b', '\u3164']) {
      const blank = await post('/v1/consents', written({ form: 'oral', journalReference }));
      expect(blank.statusCode, journalReference).toBe(400);
      expect(blank.json().errors).toEqual([expect.objectContaining({ path: 'journalReference' })]);
    }
    const noPurpose = await post('/v1/consents', written({ purpose: '\u200b' }));
    expect(noPurpose.json().errors).toEqual([{ path: 'purpose', message: 'must hold a character that shows' }]);
    expect(await consentCount()).toBe(0);
    const ok = await post('/v1/consents', written({ form: 'oral', journalReference: 'Note 2026-03-10' }));
    expect(ok.statusCode).toBe(201);
    expect(ok.json().journalReference).toBe('Note 2026-03-10');
  });

  it('refuses information sharing without an actor, and unknown actors', async () => {
    const none = await post('/v1/consents', written({ kind: 'information_sharing' }));
    expect(none.statusCode).toBe(400);
    expect(none.json().errors).toEqual([expect.objectContaining({ path: 'actors' })]);
    const empty = await post('/v1/consents', written({ kind: 'information_sharing', actors: [] }));
    expect(empty.statusCode).toBe(400);
    const unknown = await post('/v1/consents', written({ kind: 'information_sharing', actors: ['neighbour'] }));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0].path).toBe('actors.0');
    expect(await consentCount()).toBe(0);
  });

  it('refuses a consent given before the patient was born', async () => {
    // OTHER_PATIENT (200001012384) was born on 2000-01-01.
    const res = await post('/v1/consents', written({ patientId: OTHER_PATIENT, givenOn: '1999-12-31' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { path: 'givenOn', message: 'must not be before the patient’s birth (2000-01-01)' },
    ]);
    expect(await consentCount()).toBe(0);
  });

  it('refuses a validity that starts more than a year after the consent was given', async () => {
    const late = await post('/v1/consents', written({ givenOn: '2026-03-10', validFrom: '2027-03-11' }));
    expect(late.statusCode).toBe(400);
    expect(late.json().errors).toEqual([
      { path: 'validFrom', message: 'must be at most one year after givenOn (at the latest 2027-03-10)' },
    ]);
    expect(await consentCount()).toBe(0);
    // Exactly one year after is at most one year after.
    expect((await post('/v1/consents', written({ givenOn: '2026-03-10', validFrom: '2027-03-10' }))).statusCode).toBe(
      201,
    );
    // From 29 February a year ends on 28 February, for validFrom as for validUntil.
    const leap = await post('/v1/consents', written({ givenOn: '2024-02-29', validFrom: '2025-03-01' }));
    expect(leap.json().errors).toEqual([
      { path: 'validFrom', message: 'must be at most one year after givenOn (at the latest 2025-02-28)' },
    ]);
  });

  it('refuses actors on a coordination consent, which allows no sharing', async () => {
    const res = await post('/v1/consents', written({ actors: ['employer'] }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      expect.objectContaining({ path: 'actors', message: expect.stringMatching(/empty/) }),
    ]);
    expect(await consentCount()).toBe(0);
    expect((await post('/v1/consents', written({ actors: [] }))).statusCode).toBe(201);
  });

  it('merges duplicate actors', async () => {
    const res = await post(
      '/v1/consents',
      written({ kind: 'information_sharing', actors: ['employer', 'employer', 'social_services'] }),
    );
    expect(res.json().actors).toEqual(['employer', 'social_services']);
  });

  it('refuses validUntil before validFrom, validFrom before givenOn and givenOn in the future', async () => {
    const before = await post('/v1/consents', written({ validFrom: '2026-04-01', validUntil: '2026-03-31' }));
    expect(before.json().errors).toEqual([expect.objectContaining({ path: 'validUntil' })]);
    const early = await post('/v1/consents', written({ validFrom: '2026-03-09' }));
    expect(early.json().errors).toEqual([expect.objectContaining({ path: 'validFrom' })]);
    const future = await post('/v1/consents', written({ givenOn: '2099-01-01' }));
    expect(future.statusCode).toBe(400);
    expect(future.json().errors).toEqual([expect.objectContaining({ path: 'givenOn' })]);
    expect(await consentCount()).toBe(0);
  });

  it('bounds free text and refuses malformed dates and kinds', async () => {
    for (const bad of [
      { purpose: 'x'.repeat(1_001) },
      { purpose: 'a\u0000b' },
      { form: 'oral', journalReference: 'x'.repeat(201) },
      { givenOn: '2026-02-30' },
      { givenOn: '0001-01-01' },
      { kind: 'everything' },
      { form: 'telepathic' },
      { patientId: '191212121213' },
      { unitId: 'not-an-hsa-id' },
    ]) {
      const res = await post('/v1/consents', written(bad));
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
    expect(await consentCount()).toBe(0);
  });
});

describe('checking consent', () => {
  it('is valid from validFrom to validUntil inclusive, and names the consent', async () => {
    const { id } = await givenConsent({ validFrom: '2026-03-10', validUntil: '2026-09-30' });
    const at = async (on: string) => (await check({ on })).json();
    expect(await at('2026-03-09')).toEqual({
      allowed: false,
      reason: 'not_yet_valid',
      consentId: id,
      validUntil: '2026-09-30',
      on: '2026-03-09',
    });
    expect(await at('2026-03-10')).toEqual({
      allowed: true,
      reason: 'valid',
      consentId: id,
      validUntil: '2026-09-30',
      on: '2026-03-10',
    });
    expect(await at('2026-09-30')).toMatchObject({ allowed: true, reason: 'valid' });
    expect(await at('2026-10-01')).toMatchObject({ allowed: false, reason: 'expired', consentId: id });
  });

  it('answers none without a consent of the kind, and for another unit’s or patient’s consent', async () => {
    await givenConsent({ kind: 'information_sharing', actors: ['employer'] });
    await givenConsent({ unitId: OTHER_UNIT }, bearer({ role: 'coordinator', units: [UNIT, OTHER_UNIT] }));
    await givenConsent({ patientId: OTHER_PATIENT });
    expect((await check({ on: '2026-05-01' })).json()).toEqual({ allowed: false, reason: 'none', on: '2026-05-01' });
  });

  it('answers actor_not_covered, and allows the named actor', async () => {
    await givenConsent({ kind: 'information_sharing', actors: ['employer', 'occupational_health'] });
    const other = await check({ kind: 'information_sharing', actor: 'social_services', on: '2026-05-01' });
    expect(other.json()).toMatchObject({ allowed: false, reason: 'actor_not_covered' });
    const named = await check({ kind: 'information_sharing', actor: 'occupational_health', on: '2026-05-01' });
    expect(named.json()).toMatchObject({ allowed: true, reason: 'valid' });
  });

  it('needs an actor to check information sharing', async () => {
    const res = await check({ kind: 'information_sharing' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'actor' })]);
  });

  it('refuses an actor on a coordination check (it allows no sharing), writing nothing', async () => {
    await givenConsent();
    const res = await check({ kind: 'coordination', actor: 'employer', on: '2026-05-01' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'actor' })]);
    expect((await auditEvents()).filter((e) => e.action === 'check')).toEqual([]);
  });

  it('answers revoked after a revocation and voided after a voiding', async () => {
    const { id } = await givenConsent();
    await post(`/v1/consents/${id}/revoke`, { reason: 'Patient changed their mind' });
    expect((await check({ on: '2026-05-01' })).json()).toMatchObject({
      allowed: false,
      reason: 'revoked',
      consentId: id,
    });
    await ctx.database.db.execute(sql`truncate consents`);
    const voided = await givenConsent();
    await post(`/v1/consents/${voided.id}/void`, { reason: 'Wrong patient' });
    expect((await check({ on: '2026-05-01' })).json()).toMatchObject({ allowed: false, reason: 'voided' });
  });

  it('a new consent after a revoked one allows again', async () => {
    const { id } = await givenConsent();
    await post(`/v1/consents/${id}/revoke`, { reason: 'No' });
    const renewed = await givenConsent({ givenOn: '2026-04-01' });
    expect((await check({ on: '2026-05-01' })).json()).toMatchObject({ allowed: true, consentId: renewed.id });
  });

  it('defaults to today and audits every check', async () => {
    const res = await check({});
    expect(res.statusCode).toBe(200);
    expect(res.json().on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await auditEvents()).toEqual([
      { action: 'check', resource: 'consent_check', resource_id: null, patient_id: PATIENT },
    ]);
  });
});

describe('auditing concurrent checks', () => {
  it('stores one check event per request before answering, also when checks arrive together', async () => {
    const { id } = await givenConsent();
    const answers = await Promise.all(Array.from({ length: 25 }, () => check({ on: '2026-05-01' })));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(25).fill(200));
    const checks = (await auditEvents()).filter((e) => e.action === 'check');
    expect(checks).toHaveLength(25);
    expect(new Set(checks.map((e) => e.resource_id))).toEqual(new Set([id]));
    expect((await ctx.app.services.audit.verify(CARE_GIVER)).valid).toBe(true);
  });
});

describe('concurrent checks share one lookup', () => {
  it('yet each is answered for its own patient, unit, kind and actor', async () => {
    const both = bearer({ role: 'coordinator', units: [UNIT, OTHER_UNIT] });
    const coordination = await givenConsent();
    const sharing = await givenConsent({ kind: 'information_sharing', actors: ['employer'] });
    const otherUnit = await givenConsent({ unitId: OTHER_UNIT, patientId: OTHER_PATIENT }, both);
    const asks = [
      { body: { on: '2026-05-01' }, want: { allowed: true, consentId: coordination.id } },
      { body: { kind: 'information_sharing', actor: 'employer' }, want: { allowed: true, consentId: sharing.id } },
      { body: { kind: 'information_sharing', actor: 'social_services' }, want: { reason: 'actor_not_covered' } },
      { body: { patientId: OTHER_PATIENT }, want: { allowed: false, reason: 'none' } },
      { body: { patientId: OTHER_PATIENT, unitId: OTHER_UNIT }, want: { allowed: true, consentId: otherUnit.id } },
      { body: { unitId: OTHER_UNIT }, want: { allowed: false, reason: 'none' } },
    ];
    const rounds = Array.from({ length: 5 }, () => asks).flat();
    const answers = await Promise.all(rounds.map((a) => check({ on: '2026-05-01', ...a.body }, both)));
    answers.forEach((answer, i) => {
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject(rounds[i]!.want);
    });
    expect((await auditEvents()).filter((e) => e.action === 'check')).toHaveLength(rounds.length);
  });
});

describe('revoking and voiding', () => {
  it('revocation records who, when and why, and is final', async () => {
    const { id } = await givenConsent();
    const res = await post(`/v1/consents/${id}/revoke`, { reason: 'Patient withdrew consent' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      state: 'revoked',
      revocation: { by: COORDINATOR, reason: 'Patient withdrew consent' },
      voiding: null,
    });
    // Revoking again (a client's retry) answers the first revocation unchanged, audited as a read of it.
    const again = await post(`/v1/consents/${id}/revoke`, { reason: 'Again' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(res.json());
    const voiding = await post(`/v1/consents/${id}/void`, { reason: 'Undo' });
    expect(voiding.statusCode).toBe(409);
    expect(voiding.headers['content-type']).toContain('application/problem+json');
    expect(voiding.json().type).toMatch(/\/consent-closed$/);
    const read = await ctx.app.inject({ method: 'GET', url: `/v1/consents/${id}`, headers: coordinator });
    expect(read.json().revocation.reason).toBe('Patient withdrew consent');
    const events = (await auditEvents()).filter((e) => e.resource_id === id).map((e) => e.action);
    // The retry, the refused void (its 409 tells that the patient revoked it) and the GET: each a read of it.
    expect(events).toEqual(['create', 'revoke', 'read', 'read', 'read']);
  });

  it('voiding is final: neither a second void nor a revoke', async () => {
    const { id } = await givenConsent();
    const res = await post(`/v1/consents/${id}/void`, { reason: 'Registered on the wrong patient' });
    expect(res.json()).toMatchObject({ state: 'voided', voiding: { by: COORDINATOR }, revocation: null });
    expect((await post(`/v1/consents/${id}/void`, { reason: 'x' })).json()).toEqual(res.json());
    const revoking = await post(`/v1/consents/${id}/revoke`, { reason: 'x' });
    expect(revoking.statusCode).toBe(409);
    expect(revoking.json().detail).toMatch(/voided/);
    expect(await consentCount()).toBe(1);
    // The 409 tells how the consent was closed: audited as a read of it (it left no event).
    const events = (await auditEvents()).filter((e) => e.resource_id === id).map((e) => e.action);
    expect(events).toEqual(['create', 'void', 'read', 'read']);
    expect((await ctx.app.inject({ url: `/v1/consents/${id}`, headers: coordinator })).json().state).toBe('voided');
  });

  it('needs a reason', async () => {
    const { id } = await givenConsent();
    expect((await post(`/v1/consents/${id}/revoke`, {})).statusCode).toBe(400);
    expect((await post(`/v1/consents/${id}/void`, { reason: '' })).statusCode).toBe(400);
    const read = await ctx.app.inject({ method: 'GET', url: `/v1/consents/${id}`, headers: coordinator });
    expect(read.json().state).toBe('recorded');
  });

  it('audits revoke and void', async () => {
    const a = await givenConsent();
    const b = await givenConsent();
    await post(`/v1/consents/${a.id}/revoke`, { reason: 'r' });
    await post(`/v1/consents/${b.id}/void`, { reason: 'v' });
    const events = await auditEvents();
    expect(events.slice(2)).toEqual([
      { action: 'revoke', resource: 'consent', resource_id: a.id, patient_id: PATIENT },
      { action: 'void', resource: 'consent', resource_id: b.id, patient_id: PATIENT },
    ]);
  });
});

describe('reading consents', () => {
  it('reads one consent and audits the read', async () => {
    const { id } = await givenConsent();
    const res = await ctx.app.inject({ method: 'GET', url: `/v1/consents/${id}`, headers: bearer({ role: 'doctor' }) });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(id);
    expect((await auditEvents()).at(-1)).toEqual({
      action: 'read',
      resource: 'consent',
      resource_id: id,
      patient_id: PATIENT,
    });
  });

  it('a patient’s consent list that finds nothing is logged too (it names the patient)', async () => {
    // A patient with sick leave at the unit (CERTIFICATE_EXAMPLE's) and no consent anywhere.
    const ehr = bearer({ role: 'ehr' });
    const cert = await ctx.app.inject({
      method: 'POST',
      url: '/v1/certificates',
      headers: ehr,
      payload: CERTIFICATE_EXAMPLE,
    });
    expect(cert.statusCode, cert.body).toBe(201);
    const res = await post('/v1/patients/consents', { patientId: PATIENT, unitId: UNIT });
    expect(res.json()).toEqual({ items: [] });
    expect((await auditEvents()).filter((e) => e.resource === 'consent')).toEqual([
      expect.objectContaining({ action: 'read', patient_id: PATIENT }),
    ]);
  });

  it('is refused at a unit without a care relation with the patient (inner secrecy), whatever other units hold', async () => {
    // The patient consented at OTHER_UNIT only, and has no sick leave at UNIT.
    const both = bearer({ role: 'coordinator', units: [UNIT, OTHER_UNIT] });
    await givenConsent({ unitId: OTHER_UNIT }, both);
    const answers = [];
    for (const patientId of [PATIENT, '196408233234']) {
      const res = await post('/v1/patients/consents', { patientId, unitId: UNIT });
      expect(res.statusCode).toBe(403);
      expect(res.json().type).toMatch(/\/no-care-relation$/);
      expect(res.body).not.toContain(OTHER_UNIT);
      answers.push(res.json().detail);
    }
    expect(answers[0]).toBe(answers[1]);
    expect(
      (await auditEvents()).filter((e) => e.action === 'read').map((e) => [e.resource, e.patient_id, e.resource_id]),
    ).toEqual([
      ['consent', PATIENT, 'refused:no-care-relation'],
      ['consent', '196408233234', 'refused:no-care-relation'],
    ]);
    // OTHER_UNIT, where the consent is, sees it.
    const there = await post('/v1/patients/consents', { patientId: PATIENT, unitId: OTHER_UNIT }, both);
    expect(there.json().items).toHaveLength(1);
  });

  it('is shown at a unit where the patient gave an information-sharing consent valid today, or got any certificate', async () => {
    const both = bearer({ role: 'coordinator', units: [UNIT, OTHER_UNIT] });
    await givenConsent({ unitId: OTHER_UNIT }, both);
    await givenConsent({ kind: 'information_sharing', actors: ['employer'], givenOn: stockholmDate() });
    const res = await post('/v1/patients/consents', { patientId: PATIENT, unitId: UNIT });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toHaveLength(2);
    // A unit that issued the patient an employer's certificate (never counted in a case) has met them too.
    const third = 'SE2321000016-U003';
    const ag = await ctx.app.inject({
      method: 'POST',
      url: '/v1/certificates',
      headers: bearer({ role: 'ehr', units: [third] }),
      payload: { ...CERTIFICATE_EXAMPLE, type: 'AG7804', unit: { id: third, name: 'Företagshälsan' } },
    });
    expect(ag.statusCode, ag.body).toBe(201);
    const there = await post(
      '/v1/patients/consents',
      { patientId: PATIENT, unitId: third },
      bearer({ role: 'coordinator', units: [third] }),
    );
    expect(there.statusCode, there.body).toBe(200);
  });

  it('lists the patient’s consents at every unit of the care giver, history included, free text only for own units', async () => {
    const both = bearer({ role: 'coordinator', units: [UNIT, OTHER_UNIT] });
    const revoked = await givenConsent({ givenOn: '2026-01-05', purpose: 'Old' });
    await post(`/v1/consents/${revoked.id}/revoke`, { reason: 'Withdrawn' });
    const elsewhere = await givenConsent(
      { unitId: OTHER_UNIT, givenOn: '2026-02-01', form: 'oral', journalReference: 'J-42' },
      both,
    );
    const current = await givenConsent({ givenOn: '2026-03-01' });
    await givenConsent({ patientId: OTHER_PATIENT });
    // The other care giver's own consent for the patient, at its own unit (this unit is not theirs: 403).
    const theirUnit = 'SE2321000099-U009';
    await givenConsent(
      { unitId: theirUnit },
      bearer({ role: 'coordinator', careGiverId: OTHER_CARE_GIVER, units: [theirUnit] }),
    );

    const res = await post('/v1/patients/consents', { patientId: PATIENT, unitId: UNIT });
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items.map((c: { id: string }) => c.id)).toEqual([current.id, elsewhere.id, revoked.id]);
    expect(items[1]).toMatchObject({ unitId: OTHER_UNIT, journalReference: null, form: 'oral' });
    expect(items[2]).toMatchObject({ state: 'revoked', purpose: 'Old', revocation: { reason: 'Withdrawn' } });

    const seenByBoth = await post('/v1/patients/consents', { patientId: PATIENT, unitId: UNIT }, both);
    expect(seenByBoth.json().items[1].journalReference).toBe('J-42');
    const reads = (await auditEvents()).filter((e) => e.action === 'read');
    // Each names the units whose consents it showed, the other unit among them.
    const shown = `units:${[UNIT, OTHER_UNIT].sort().join(',')}`;
    expect(reads).toEqual([
      { action: 'read', resource: 'consent', resource_id: shown, patient_id: PATIENT },
      { action: 'read', resource: 'consent', resource_id: shown, patient_id: PATIENT },
    ]);
  });
});

describe('who may do what', () => {
  it('coordinator and doctor of the unit may record; other roles and units may not, and nothing is written', async () => {
    expect((await post('/v1/consents', written(), bearer({ role: 'doctor' }))).statusCode).toBe(201);
    for (const headers of [
      bearer({ role: 'ehr' }),
      bearer({ role: 'auditor' }),
      bearer({ role: 'coordinator', units: [OTHER_UNIT] }),
      bearer({ role: 'doctor', units: [] }),
    ]) {
      const res = await post('/v1/consents', written(), headers);
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await post('/v1/consents', written(), {})).statusCode).toBe(401);
    expect(await consentCount()).toBe(1);
  });

  it('checks and lists only for a unit in the token', async () => {
    const other = bearer({ role: 'coordinator', units: [OTHER_UNIT] });
    expect((await check({}, other)).statusCode).toBe(403);
    expect((await post('/v1/patients/consents', { patientId: PATIENT, unitId: UNIT }, other)).statusCode).toBe(403);
    expect((await check({}, bearer({ role: 'ehr' }))).statusCode).toBe(403);
  });

  it('another care giver’s consent is 403, as the outline has it (one that does not exist is 404), and stays as it was', async () => {
    const { id } = await givenConsent();
    const foreign = bearer({ role: 'coordinator', careGiverId: OTHER_CARE_GIVER });
    const missing = '00000000-0000-4000-8000-000000000000';
    const answers = [];
    for (const consentId of [id, missing]) {
      const read = await ctx.app.inject({ method: 'GET', url: `/v1/consents/${consentId}`, headers: foreign });
      const revoke = await post(`/v1/consents/${consentId}/revoke`, { reason: 'x' }, foreign);
      const voiding = await post(`/v1/consents/${consentId}/void`, { reason: 'x' }, foreign);
      answers.push([read, revoke, voiding].map((r) => r.statusCode));
    }
    expect(answers).toEqual([
      [403, 403, 403],
      [404, 404, 404],
    ]);
    const read = await ctx.app.inject({ method: 'GET', url: `/v1/consents/${id}`, headers: coordinator });
    expect(read.json().state).toBe('recorded');
  });

  it('a unit of another care giver (known from its certificates) takes no consent or status of this one: 403', async () => {
    // The unit becomes care giver A's when A's certificate first names it.
    const cert = await ctx.app.inject({
      method: 'POST',
      url: '/v1/certificates',
      headers: bearer({ role: 'ehr' }),
      payload: CERTIFICATE_EXAMPLE,
    });
    expect(cert.statusCode, cert.body).toBe(201);
    // A token of care giver B that (wrongly) lists A's unit.
    const b = bearer({ role: 'coordinator', careGiverId: OTHER_CARE_GIVER, units: [UNIT] });
    const consent = await post('/v1/consents', written(), b);
    expect(consent.statusCode).toBe(403);
    expect(consent.json().detail).toMatch(/unit of another care giver/);
    const status = await post(
      '/v1/patients/coordination-status',
      { patientId: PATIENT, unitId: UNIT, status: 'contacted' },
      b,
    );
    expect(status.statusCode).toBe(403);
    expect(await consentCount()).toBe(0);
    // A's own coordinator records one as before.
    await givenConsent();
  });

  it('a unit of another care giver is 403 for every read that names it too, and for an effort', async () => {
    // A unit no other test names, so that what this process remembers of units comes from this test alone.
    const unit = 'SE2321000016-U777';
    const b = bearer({ role: 'coordinator', careGiverId: OTHER_CARE_GIVER, units: [unit] });
    // Read once before any certificate names the unit: the "no owner yet" a read remembers must not outlive the write.
    expect((await ctx.app.inject({ url: `/v1/units/${unit}/sick-leaves`, headers: b })).statusCode).toBe(200);
    const cert = await ctx.app.inject({
      method: 'POST',
      url: '/v1/certificates',
      headers: bearer({ role: 'ehr', units: [unit] }),
      payload: { ...CERTIFICATE_EXAMPLE, unit: { id: unit, name: 'Vårdcentralen Väster' } },
    });
    expect(cert.statusCode, cert.body).toBe(201);
    // Care giver B's coordinator, whose token (wrongly) lists A's unit, read B's own data filed under it before.
    const atUnit = { patientId: PATIENT, unitId: unit };
    const answers = await Promise.all([
      ctx.app.inject({ url: `/v1/units/${unit}/sick-leaves`, headers: b }),
      ctx.app.inject({ url: `/v1/units/${unit}/sick-leaves/summary`, headers: b }),
      ctx.app.inject({ method: 'POST', url: `/v1/units/${unit}/sick-leaves/search`, payload: {}, headers: b }),
      post('/v1/patients/sick-leave-history', atUnit, b),
      post('/v1/consent-checks', { ...atUnit, kind: 'coordination' }, b),
      post('/v1/patients/consents', atUnit, b),
      ctx.app.inject({ url: `/v1/units/${unit}/coordination-efforts`, headers: b }),
      post('/v1/patients/coordination-efforts', atUnit, b),
      post('/v1/patients/coordination-status/history', atUnit, b),
      post(
        '/v1/coordination-efforts',
        { ...atUnit, kind: 'personal_support', performedOn: '2026-03-10', status: 'planned' },
        b,
      ),
    ]);
    expect(answers.map((r) => r.statusCode)).toEqual(Array(answers.length).fill(403));
    for (const r of answers) expect(r.json().detail).toMatch(/unit of another care giver/);
    // A's own coordinator reads as before.
    const a = bearer({ role: 'coordinator', units: [unit] });
    expect((await ctx.app.inject({ url: `/v1/units/${unit}/sick-leaves`, headers: a })).statusCode).toBe(200);
  });

  it('a consent claims a unit no certificate has named: another care giver may then file nothing there', async () => {
    const unit = 'SE2321000016-U778';
    const a = bearer({ role: 'coordinator', units: [unit] });
    const b = bearer({ role: 'coordinator', careGiverId: OTHER_CARE_GIVER, units: [unit] });
    expect((await post('/v1/consents', written({ unitId: unit }), a)).statusCode).toBe(201);
    const theirs = await post('/v1/consents', written({ unitId: unit }), b);
    expect(theirs.statusCode).toBe(403);
    expect(theirs.json().detail).toMatch(/unit of another care giver/);
    const ehrB = bearer({ role: 'ehr', careGiverId: OTHER_CARE_GIVER, units: [unit] });
    const cert = await ctx.app.inject({
      method: 'POST',
      url: '/v1/certificates',
      headers: ehrB,
      payload: {
        ...CERTIFICATE_EXAMPLE,
        careGiver: { id: OTHER_CARE_GIVER, name: 'Region B' },
        unit: { id: unit, name: 'x' },
      },
    });
    expect(cert.statusCode).toBe(403);
    expect(await consentCount()).toBe(1);
  });

  it('a consent or effort at a unit now another care giver’s is 403 by its id too (read, revoke, update)', async () => {
    // Data from before units were claimed by consents: the unit later became care giver B's through a certificate.
    const unit = 'SE2321000016-U779';
    const a = bearer({ role: 'coordinator', units: [unit] });
    const consent = await givenConsent({ unitId: unit }, a);
    const effort = await post(
      '/v1/coordination-efforts',
      { patientId: PATIENT, unitId: unit, kind: 'personal_support', performedOn: '2026-03-10', status: 'planned' },
      a,
    );
    expect(effort.statusCode, effort.body).toBe(201);
    await queryRows(
      ctx.database.db,
      sql`insert into care_givers (id, name, name_signed_at) values (${OTHER_CARE_GIVER}, 'Region B', now())
          on conflict do nothing`,
    );
    await queryRows(ctx.database.db, sql`update units set care_giver_id = ${OTHER_CARE_GIVER} where id = ${unit}`);
    ctx.app.services.certificates.forgetUnitOwners();
    const answers = await Promise.all([
      ctx.app.inject({ url: `/v1/consents/${consent.id}`, headers: a }),
      post(`/v1/consents/${consent.id}/revoke`, { reason: 'x' }, a),
      ctx.app.inject({ url: `/v1/coordination-efforts/${effort.json().id}`, headers: a }),
      ctx.app.inject({
        method: 'PATCH',
        url: `/v1/coordination-efforts/${effort.json().id}`,
        payload: { note: 'x' },
        headers: a,
      }),
    ]);
    expect(answers.map((r) => r.statusCode)).toEqual([403, 403, 403, 403]);
  });

  it('a consent of another unit of the same care giver is 403', async () => {
    const { id } = await givenConsent();
    const other = bearer({ role: 'coordinator', units: [OTHER_UNIT] });
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/consents/${id}`, headers: other })).statusCode).toBe(403);
    expect((await post(`/v1/consents/${id}/revoke`, { reason: 'x' }, other)).statusCode).toBe(403);
    expect((await post(`/v1/consents/${id}/void`, { reason: 'x' }, other)).statusCode).toBe(403);
    const read = await ctx.app.inject({ method: 'GET', url: `/v1/consents/${id}`, headers: coordinator });
    expect(read.json().state).toBe('recorded');
  });

  it('a malformed id is 400, never 500', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/v1/consents/not-a-uuid', headers: coordinator });
    expect(res.statusCode).toBe(400);
  });

  it('a doctor may revoke a consent of their unit', async () => {
    const { id } = await givenConsent();
    const res = await post(`/v1/consents/${id}/revoke`, { reason: 'Patient asked' }, bearer({ role: 'doctor' }));
    expect(res.json().revocation.by).toBe(DOCTOR);
  });
});
