import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { addDays, stockholmDate } from '../../../src/domain/calendar.js';
import { useTestApp } from '../../helpers/app.js';
import { TEST_DATABASE_URL, untilSomeoneWaitsForALock } from '../../helpers/database.js';
import { bearer, CARE_GIVER, COORDINATOR, OTHER_CARE_GIVER, OTHER_UNIT, UNIT } from '../../helpers/tokens.js';
import { certificateBody } from '../certificates/fixtures.js';

const ctx = useTestApp();
const PATIENT = '191212121212';
const OTHER_PATIENT = '200001012384';
const THIRD_PATIENT = '196408233234';
const coordinator = bearer({ role: 'coordinator' });
const period = (start: string, end: string) => ({ degree: 100, start, end });

const post = (url: string, payload: unknown, headers: Record<string, string> = coordinator) =>
  ctx.app.inject({ method: 'POST', url, payload: payload as object, headers });
const patch = (id: string, payload: unknown, headers: Record<string, string> = coordinator) =>
  ctx.app.inject({ method: 'PATCH', url: `/v1/coordination-efforts/${id}`, payload: payload as object, headers });
const get = (url: string, headers: Record<string, string> = coordinator) =>
  ctx.app.inject({ method: 'GET', url, headers });

async function givenConsent(over: Record<string, unknown> = {}, headers = coordinator): Promise<{ id: string }> {
  const res = await post(
    '/v1/consents',
    { patientId: PATIENT, unitId: UNIT, kind: 'coordination', form: 'written', givenOn: '2026-03-10', ...over },
    headers,
  );
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const effort = (over: Record<string, unknown> = {}) => ({
  patientId: PATIENT,
  unitId: UNIT,
  kind: 'personal_support',
  performedOn: '2026-05-04',
  status: 'planned',
  ...over,
});

async function givenEffort(over: Record<string, unknown> = {}, headers = coordinator) {
  const res = await post('/v1/coordination-efforts', effort(over), headers);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function count(table: 'coordination_efforts' | 'coordination_statuses' | 'audit_events'): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    ctx.database.db,
    sql`select count(*) as n from ${sql.identifier(table)}`,
  );
  return Number(row!.n);
}

async function auditEvents() {
  return queryRows<{ action: string; resource: string; resource_id: string | null; patient_id: string | null }>(
    ctx.database.db,
    sql`select action, resource, resource_id, patient_id from audit_events order by id`,
  );
}

function expectConsentRequired(
  res: { statusCode: number; headers: Record<string, unknown>; json(): Record<string, unknown> },
  reason: string,
) {
  expect(res.statusCode).toBe(422);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json().type).toMatch(/\/consent-required$/);
  expect(res.json().reason).toBe(reason);
}

describe('creating an effort needs consent', () => {
  it('is refused without any consent: 422, no row, and the consent check it answered is audited', async () => {
    const res = await post('/v1/coordination-efforts', effort({ note: 'Talked about sleep' }));
    expectConsentRequired(res, 'none');
    expect(res.json().kind).toBe('coordination');
    expect(await count('coordination_efforts')).toBe(0);
    // The answer tells the patient's consent state, as a consent check does: audited as one, and nothing else.
    expect(await auditEvents()).toEqual([
      { action: 'check', resource: 'consent_check', resource_id: null, patient_id: PATIENT },
    ]);
  });

  it('a refusal that names a revoked consent is audited as a check of that consent', async () => {
    const consent = await givenConsent();
    await post(`/v1/consents/${consent.id}/revoke`, { reason: 'Withdrawn' });
    const before = await count('audit_events');
    expectConsentRequired(await post('/v1/coordination-efforts', effort({ performedOn: stockholmDate() })), 'revoked');
    expect((await auditEvents()).slice(before)).toEqual([
      { action: 'check', resource: 'consent_check', resource_id: consent.id, patient_id: PATIENT },
    ]);
  });

  it('names the effort in Location, whose GET answers it', async () => {
    await givenConsent();
    const res = await post('/v1/coordination-efforts', effort());
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe(`/v1/coordination-efforts/${res.json().id}`);
    const read = await get(String(res.headers.location));
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toEqual(res.json());
  });

  it('is allowed with a coordination consent valid on performedOn, and audited', async () => {
    const consent = await givenConsent();
    const res = await post('/v1/coordination-efforts', effort({ note: 'First meeting' }));
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      patientId: PATIENT,
      careGiverId: CARE_GIVER,
      unitId: UNIT,
      kind: 'personal_support',
      actor: null,
      performedOn: '2026-05-04',
      status: 'planned',
      note: 'First meeting',
      consentId: consent.id,
      sharingConsentId: null,
      createdBy: COORDINATOR,
      version: 1,
    });
    expect((await auditEvents()).at(-1)).toEqual({
      action: 'create',
      resource: 'coordination_effort',
      resource_id: body.id,
      patient_id: PATIENT,
    });
  });

  it('checks the consent on performedOn: boundaries of validity', async () => {
    await givenConsent({ validFrom: '2026-03-10', validUntil: '2026-06-30' });
    expectConsentRequired(
      await post('/v1/coordination-efforts', effort({ performedOn: '2026-03-09' })),
      'not_yet_valid',
    );
    expect((await post('/v1/coordination-efforts', effort({ performedOn: '2026-03-10' }))).statusCode).toBe(201);
    expect((await post('/v1/coordination-efforts', effort({ performedOn: '2026-06-30' }))).statusCode).toBe(201);
    expectConsentRequired(await post('/v1/coordination-efforts', effort({ performedOn: '2026-07-01' })), 'expired');
    expect(await count('coordination_efforts')).toBe(2);
  });

  it('a consent at another unit or of another care giver does not count', async () => {
    await givenConsent({ unitId: OTHER_UNIT }, bearer({ role: 'coordinator', units: [OTHER_UNIT] }));
    // Another care giver's consent for the patient, at a unit of its own (this unit, once claimed, is not theirs).
    const theirUnit = 'SE2321000099-U009';
    await givenConsent(
      { unitId: theirUnit },
      bearer({ role: 'coordinator', careGiverId: OTHER_CARE_GIVER, units: [theirUnit] }),
    );
    expectConsentRequired(await post('/v1/coordination-efforts', effort()), 'none');
  });

  it('external collaboration also needs an information-sharing consent naming the actor', async () => {
    const external = effort({ kind: 'external_collaboration', actor: 'employer' });
    await givenConsent();
    const noSharing = await post('/v1/coordination-efforts', external);
    expectConsentRequired(noSharing, 'none');
    expect(noSharing.json().kind).toBe('information_sharing');

    await givenConsent({ kind: 'information_sharing', actors: ['social_services'] });
    expectConsentRequired(await post('/v1/coordination-efforts', external), 'actor_not_covered');
    expect(await count('coordination_efforts')).toBe(0);

    const sharing = await givenConsent({ kind: 'information_sharing', actors: ['employer'] });
    const res = await post('/v1/coordination-efforts', external);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ actor: 'employer', sharingConsentId: sharing.id });
  });

  it('an information-sharing consent alone is not consent to coordination', async () => {
    await givenConsent({ kind: 'information_sharing', actors: ['employer'] });
    const res = await post('/v1/coordination-efforts', effort({ kind: 'external_collaboration', actor: 'employer' }));
    expectConsentRequired(res, 'none');
    expect(res.json().kind).toBe('coordination');
  });

  it('an effort done before a revocation can still be documented after it; from the revocation’s day on, none', async () => {
    const consent = await givenConsent();
    await post(`/v1/consents/${consent.id}/revoke`, { reason: 'Patient withdrew' });
    // Done on 2026-05-04, when the consent stood: the record of it is patient-record data and must be written.
    const past = await post('/v1/coordination-efforts', effort({ status: 'done' }));
    expect(past.statusCode, past.body).toBe(201);
    expect(past.json().consentId).toBe(consent.id);
    expectConsentRequired(await post('/v1/coordination-efforts', effort({ performedOn: stockholmDate() })), 'revoked');
    // A check before sharing is not about the past: a revoked consent allows nothing more, whatever the day.
    const check = await post('/v1/consent-checks', {
      patientId: PATIENT,
      unitId: UNIT,
      kind: 'coordination',
      on: '2026-05-04',
    });
    expect(check.json()).toMatchObject({ allowed: false, reason: 'revoked', consentId: consent.id });
  });

  it('after a revocation nothing still to be given rests on it, whatever its day: planned and under way are 422', async () => {
    const consent = await givenConsent();
    const sharing = await givenConsent({ kind: 'information_sharing', actors: ['social_insurance_agency'] });
    await post(`/v1/consents/${consent.id}/revoke`, { reason: 'Patient withdrew' });
    // Dated 2026-05-04, before the revocation: a planned or running effort is not a record of the past but one to
    // give, which the patient has withdrawn from (it was 201, resting on the revoked consent).
    for (const status of ['planned', 'in_progress']) {
      expectConsentRequired(await post('/v1/coordination-efforts', effort({ status })), 'revoked');
    }
    expect(await count('coordination_efforts')).toBe(0);
    // What was done then is still documented.
    expect((await post('/v1/coordination-efforts', effort({ status: 'done' }))).statusCode).toBe(201);
    // The same for a sharing consent revoked: an external collaboration with the agency still to be given is refused.
    await post(`/v1/consents/${sharing.id}/revoke`, { reason: 'Patient withdrew' });
    const external = { kind: 'external_collaboration', actor: 'social_insurance_agency' };
    expectConsentRequired(
      await post('/v1/coordination-efforts', effort({ ...external, performedOn: '2026-05-05' })),
      'revoked',
    );
  });

  it('a planned effort cannot be re-dated onto a revoked consent, but done on a day before the revocation it can', async () => {
    const old = await givenConsent();
    await post(`/v1/consents/${old.id}/revoke`, { reason: 'Patient withdrew' });
    const renewed = await givenConsent({ givenOn: stockholmDate(), validFrom: stockholmDate() });
    const { id } = await givenEffort({ performedOn: stockholmDate() });
    expect((await get(`/v1/coordination-efforts/${id}`)).json().consentId).toBe(renewed.id);
    // Moved back to a day only the revoked consent covered: it switched onto the revoked consent (200).
    expectConsentRequired(await patch(id, { performedOn: '2026-05-04' }), 'revoked');
    expect((await get(`/v1/coordination-efforts/${id}`)).json()).toMatchObject({ version: 1, consentId: renewed.id });
    // Recorded as done that day, it documents what was done while the old consent stood.
    const done = await patch(id, { performedOn: '2026-05-04', status: 'done' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().consentId).toBe(old.id);
  });

  it('a consent revoked between two efforts refuses the second and keeps the first', async () => {
    const consent = await givenConsent();
    const first = await givenEffort();
    await post(`/v1/consents/${consent.id}/revoke`, { reason: 'Patient withdrew' });
    const second = await post('/v1/coordination-efforts', effort({ performedOn: stockholmDate() }));
    expectConsentRequired(second, 'revoked');
    expect(second.json().consentId).toBe(consent.id);
    expect(await count('coordination_efforts')).toBe(1);
    expect((await get(`/v1/coordination-efforts/${first.id}`)).json().consentId).toBe(consent.id);
  });

  it('a voided consent refuses with reason voided', async () => {
    const consent = await givenConsent();
    await post(`/v1/consents/${consent.id}/void`, { reason: 'Wrong patient' });
    expectConsentRequired(await post('/v1/coordination-efforts', effort()), 'voided');
  });

  it('refuses malformed efforts with 400 and writes nothing', async () => {
    await givenConsent();
    for (const bad of [
      { kind: 'external_collaboration' },
      { kind: 'personal_support', actor: 'employer' },
      { kind: 'lunch' },
      { status: 'finished' },
      { performedOn: '2026-13-01' },
      { note: 'x'.repeat(4_001) },
      { note: 'a\u0000b' },
      { patientId: '191212121213' },
    ]) {
      const res = await post('/v1/coordination-efforts', effort(bad));
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
    expect(await count('coordination_efforts')).toBe(0);
    expect((await post('/v1/coordination-efforts', effort({ note: 'x'.repeat(4_000) }))).statusCode).toBe(201);
  });
});

describe('updating an effort', () => {
  it('moves planned → in_progress → done, counting versions, and audits each update', async () => {
    await givenConsent();
    const { id } = await givenEffort();
    const started = await patch(id, { status: 'in_progress' });
    expect(started.json()).toMatchObject({ status: 'in_progress', version: 2 });
    const done = await patch(id, { status: 'done', note: 'Back at work half time' });
    expect(done.json()).toMatchObject({ status: 'done', version: 3, note: 'Back at work half time' });
    const updates = (await auditEvents()).filter((e) => e.action === 'update');
    expect(updates).toHaveLength(2);
    expect(updates[0]).toMatchObject({ resource: 'coordination_effort', resource_id: id, patient_id: PATIENT });
  });

  it('refuses illegal transitions with 409 and leaves the effort unchanged', async () => {
    await givenConsent();
    const planned = await givenEffort();
    const back = await patch(planned.id, { status: 'in_progress' }).then(() =>
      patch(planned.id, { status: 'planned' }),
    );
    expect(back.statusCode).toBe(409);
    expect(back.headers['content-type']).toContain('application/problem+json');
    // With the version it was refused at, in the body and as ETag, as a 412 has it.
    expect(back.json()).toMatchObject({ from: 'in_progress', to: 'planned', version: 2 });
    expect(back.headers.etag).toBe('"2"');
    expect(back.json().type).toMatch(/\/invalid-status-transition$/);
    // A planned meeting that was held is done at once.
    const held = await givenEffort();
    expect((await patch(held.id, { status: 'done' })).json()).toMatchObject({ status: 'done', version: 2 });

    const done = await givenEffort({ status: 'done' });
    for (const to of ['planned', 'in_progress', 'cancelled', 'declined']) {
      expect((await patch(done.id, { status: to })).statusCode, to).toBe(409);
    }
    const cancelled = await givenEffort({ status: 'cancelled' });
    expect((await patch(cancelled.id, { status: 'in_progress' })).statusCode).toBe(409);
    const declined = await givenEffort({ status: 'declined' });
    expect((await patch(declined.id, { status: 'planned' })).statusCode).toBe(409);
    const inProgress = await givenEffort({ status: 'in_progress' });
    expect((await patch(inProgress.id, { status: 'planned' })).statusCode).toBe(409);

    expect((await get(`/v1/coordination-efforts/${planned.id}`)).json()).toMatchObject({
      status: 'in_progress',
      version: 2,
    });
    expect((await get(`/v1/coordination-efforts/${done.id}`)).json()).toMatchObject({ status: 'done', version: 1 });
    // Only the two changes made: none of the refused ones.
    expect((await auditEvents()).filter((e) => e.action === 'update')).toHaveLength(2);
  });

  it('a refused change tells of the effort (its status, version, consent), so it is audited as a read of it', async () => {
    const consent = await givenConsent();
    // Today: the revocation below takes effect from its own day.
    const planned = await givenEffort({ performedOn: stockholmDate() });
    const reads = async () =>
      (await auditEvents()).filter((e) => e.action === 'read' && e.resource_id === planned.id).length;
    const started = await patch(planned.id, { status: 'in_progress' });
    expect(started.statusCode).toBe(200);
    expect(await reads()).toBe(0);
    expect((await patch(planned.id, { status: 'planned' })).statusCode).toBe(409);
    expect(await reads()).toBe(1);
    expect((await patch(planned.id, { note: 'x' }, { ...coordinator, 'if-match': '"9"' })).statusCode).toBe(412);
    expect(await reads()).toBe(2);
    await post(`/v1/consents/${consent.id}/revoke`, { reason: 'Withdrawn' });
    expectConsentRequired(await patch(planned.id, { status: 'done' }), 'revoked');
    expect(await reads()).toBe(3);
    // Only the move to in_progress: none of the refused changes.
    expect((await auditEvents()).filter((e) => e.action === 'update')).toHaveLength(1);
  });

  it('an effort is done only on a day that has come: done after today is 400, on create and on update', async () => {
    await givenConsent();
    const today = stockholmDate();
    const tomorrow = addDays(today, 1);
    const created = await post('/v1/coordination-efforts', effort({ status: 'done', performedOn: tomorrow }));
    expect(created.statusCode).toBe(400);
    expect(created.json().errors).toEqual([
      { path: 'performedOn', message: `must not be after today (${today}) for a done effort` },
    ]);
    expect(await count('coordination_efforts')).toBe(0);
    // Planned for tomorrow is fine, and it can be started; it is done once the day has come.
    const planned = await givenEffort({ performedOn: tomorrow });
    expect((await patch(planned.id, { status: 'in_progress' })).statusCode).toBe(200);
    const early = await patch(planned.id, { status: 'done' });
    expect(early.statusCode).toBe(400);
    expect(early.json().errors).toEqual([
      { path: 'performedOn', message: expect.stringMatching(/^must not be after today/) },
    ]);
    expect((await patch(planned.id, { status: 'done', performedOn: today })).json()).toMatchObject({ status: 'done' });
    // Nor can a done effort be moved ahead.
    expect((await patch(planned.id, { performedOn: tomorrow })).statusCode).toBe(400);
    expect((await get(`/v1/coordination-efforts/${planned.id}`)).json()).toMatchObject({
      performedOn: today,
      version: 3,
    });
  });

  it('an effort is not performed before the patient was born: 400 naming performedOn, on create and on update', async () => {
    await givenConsent({ patientId: OTHER_PATIENT, givenOn: '2000-01-01', validFrom: '2000-01-01' });
    const before = await post(
      '/v1/coordination-efforts',
      effort({ patientId: OTHER_PATIENT, performedOn: '1999-12-31' }),
    );
    expect(before.statusCode).toBe(400);
    expect(before.json().errors).toEqual([
      { path: 'performedOn', message: 'must not be before the patient’s birth (2000-01-01)' },
    ]);
    expect(await count('coordination_efforts')).toBe(0);
    const { id } = await givenEffort({ patientId: OTHER_PATIENT, performedOn: '2000-01-01' });
    const moved = await patch(id, { performedOn: '1999-12-31' });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().errors[0].path).toBe('performedOn');
    // That answer names the patient's birth, read with the effort: audited as a read of it, as a 409 is.
    expect(moved.json().errors[0].message).toContain('2000-01-01');
    const events = (await auditEvents()).filter((e) => e.resource_id === id);
    expect(events.map((e) => e.action)).toEqual(['create', 'read']);
  });

  it('a patch that changes nothing keeps the version and is audited as a read, not an update', async () => {
    await givenConsent();
    const { id } = await givenEffort({ note: 'Same' });
    const same = await patch(id, { status: 'planned', note: 'Same', performedOn: '2026-05-04' });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({ status: 'planned', note: 'Same', version: 1 });
    expect(same.headers.etag).toBe('"1"');
    const events = (await auditEvents()).filter((e) => e.resource_id === id);
    expect(events.map((e) => e.action)).toEqual(['create', 'read']);
  });

  it('If-Match with the version it was read at guards against a lost update (412, nothing written)', async () => {
    await givenConsent();
    const created = await givenEffort();
    const read = await get(`/v1/coordination-efforts/${created.id}`);
    expect(read.headers.etag).toBe('"1"');
    const withTag = (etag: string) => ({ ...coordinator, 'if-match': etag });
    // Someone else moves it on first; the note written on the strength of version 1 is refused.
    const first = await patch(created.id, { status: 'in_progress' }, withTag('"1"'));
    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).toBe('"2"');
    const stale = await patch(created.id, { note: 'Based on what I read' }, withTag('"1"'));
    expect(stale.statusCode).toBe(412);
    expect(stale.headers['content-type']).toContain('application/problem+json');
    expect(stale.json()).toMatchObject({ type: expect.stringMatching(/\/precondition-failed$/), version: 2 });
    expect(stale.headers.etag).toBe('"2"');
    for (const tag of ['W/"2"', '"x"', '"1", W/"2"']) {
      expect((await patch(created.id, { note: 'n' }, withTag(tag))).statusCode, tag).toBe(412);
    }
    // A value that is no entity tag at all is the client's mistake, not a change since: 400 naming the header.
    for (const tag of ['2', '"2', '"2" "3"', '*, "2"']) {
      const res = await patch(created.id, { note: 'n' }, withTag(tag));
      expect(res.statusCode, tag).toBe(400);
      expect(res.json().errors[0].path, tag).toBe('headers.if-match');
    }
    expect((await get(`/v1/coordination-efforts/${created.id}`)).json()).toMatchObject({ note: null, version: 2 });
    // The current tag, one of a list, or * passes.
    expect((await patch(created.id, { note: 'a' }, withTag('"7", "2"'))).json().version).toBe(3);
    expect((await patch(created.id, { note: 'b' }, withTag('*'))).json().version).toBe(4);
    expect((await auditEvents()).filter((e) => e.action === 'update')).toHaveLength(3);
  });

  it('If-None-Match (RFC 9110): * is 412 since the effort exists; a list naming its version is 412, others go ahead', async () => {
    await givenConsent();
    const created = await givenEffort();
    const unless = (tags: string) => ({ ...coordinator, 'if-none-match': tags });
    const star = await patch(created.id, { note: 'n' }, unless('*'));
    expect(star.statusCode).toBe(412);
    expect(star.json()).toMatchObject({ type: expect.stringMatching(/\/precondition-failed$/), version: 1 });
    expect(star.headers.etag).toBe('"1"');
    // Weak comparison: W/"1" names version 1.
    for (const tags of ['"1"', 'W/"1"', '"5", "1"']) {
      expect((await patch(created.id, { note: 'n' }, unless(tags))).statusCode, tags).toBe(412);
    }
    expect((await patch(created.id, { note: 'n' }, unless('2'))).statusCode).toBe(400);
    expect((await get(`/v1/coordination-efforts/${created.id}`)).json()).toMatchObject({ note: null, version: 1 });
    const changed = await patch(created.id, { note: 'n' }, unless('"5", W/"7"'));
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().version).toBe(2);
  });

  it('may cancel or decline from planned and in_progress', async () => {
    await givenConsent();
    const a = await givenEffort();
    const b = await givenEffort({ status: 'in_progress' });
    expect((await patch(a.id, { status: 'declined' })).json().status).toBe('declined');
    expect((await patch(b.id, { status: 'cancelled' })).json().status).toBe('cancelled');
  });

  it('a note can be changed or removed without a status change', async () => {
    await givenConsent();
    const { id } = await givenEffort({ note: 'Draft' });
    expect((await patch(id, { note: 'Final' })).json().note).toBe('Final');
    expect((await patch(id, { note: null })).json().note).toBeNull();
    expect((await patch(id, {})).statusCode).toBe(400);
    expect((await patch(id, { note: 'x'.repeat(4_001) })).statusCode).toBe(400);
  });

  it('a blank note is none: stored as null on create and on a change', async () => {
    await givenConsent();
    for (const note of ['  \n ', '\u200b', '\u3164 \u200b'])
      expect((await givenEffort({ note })).note, note).toBeNull();
    const { id } = await givenEffort({ note: 'Draft' });
    const cleared = await patch(id, { note: '' });
    expect(cleared.json()).toMatchObject({ note: null, version: 2 });
    const [row] = await queryRows<{ note: string | null }>(
      ctx.database.db,
      sql`select note from coordination_efforts where id = ${id}`,
    );
    expect(row!.note).toBeNull();
  });

  it('a new performedOn re-checks consent on that day', async () => {
    const consent = await givenConsent({ validUntil: '2026-06-30' });
    const { id } = await givenEffort();
    const outside = await patch(id, { performedOn: '2026-07-01', status: 'in_progress' });
    expectConsentRequired(outside, 'expired');
    expect((await get(`/v1/coordination-efforts/${id}`)).json()).toMatchObject({
      performedOn: '2026-05-04',
      status: 'planned',
      version: 1,
    });
    const inside = await patch(id, { performedOn: '2026-06-30' });
    expect(inside.json()).toMatchObject({ performedOn: '2026-06-30', consentId: consent.id });
  });

  it('after a revocation the effort cannot move on (its day, under way), but it can be cancelled', async () => {
    const consent = await givenConsent();
    const { id } = await givenEffort({ performedOn: stockholmDate() });
    await post(`/v1/consents/${consent.id}/revoke`, { reason: 'Withdrawn' });
    expectConsentRequired(await patch(id, { performedOn: addDays(stockholmDate(), 1) }), 'revoked');
    expectConsentRequired(await patch(id, { status: 'in_progress' }), 'revoked');
    expect((await get(`/v1/coordination-efforts/${id}`)).json()).toMatchObject({ status: 'planned', version: 1 });
    expect((await patch(id, { note: 'Patient withdrew consent' })).statusCode).toBe(200);
    expect((await patch(id, { status: 'cancelled' })).json().status).toBe('cancelled');
  });

  it('an external collaboration cannot move on once its information-sharing consent is revoked', async () => {
    await givenConsent();
    const sharing = await givenConsent({ kind: 'information_sharing', actors: ['employer'] });
    const { id } = await givenEffort({
      kind: 'external_collaboration',
      actor: 'employer',
      performedOn: stockholmDate(),
    });
    await post(`/v1/consents/${sharing.id}/revoke`, { reason: 'Withdrawn' });
    const res = await patch(id, { status: 'in_progress' });
    expectConsentRequired(res, 'revoked');
    expect(res.json().kind).toBe('information_sharing');
    expect((await patch(id, { status: 'declined' })).json().status).toBe('declined');
  });
});

describe('listing efforts', () => {
  it('pages through the unit’s efforts newest first without skipping or repeating, with filters', async () => {
    await givenConsent();
    await givenConsent({ patientId: OTHER_PATIENT });
    await givenConsent({ kind: 'information_sharing', actors: ['employer'] });
    const days = ['2026-04-01', '2026-04-02', '2026-04-02', '2026-04-02', '2026-04-03', '2026-04-05', '2026-04-06'];
    const created: { id: string; performedOn: string; createdAt: string }[] = [];
    for (const [i, performedOn] of days.entries()) {
      created.push(await givenEffort({ performedOn, patientId: i % 2 ? OTHER_PATIENT : PATIENT }));
    }
    await givenEffort({ performedOn: '2026-04-04', kind: 'external_collaboration', actor: 'employer', status: 'done' });
    const otherUnit = bearer({ role: 'coordinator', units: [OTHER_UNIT] });
    await givenConsent({ unitId: OTHER_UNIT }, otherUnit);
    await givenEffort({ unitId: OTHER_UNIT, performedOn: '2026-04-02' }, otherUnit);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url = `/v1/units/${UNIT}/coordination-efforts?limit=3&kind=personal_support${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      const page = res.json();
      seen.push(...page.items.map((e: { id: string }) => e.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    // Newest first: by day, then the one recorded later (as the patient's list), the id breaking exact ties.
    const key = (e: (typeof created)[number]) => [e.performedOn, e.createdAt, e.id].join('|');
    const expected = [...created].sort((a, b) => (key(a) < key(b) ? 1 : -1)).map((e) => e.id);
    expect(seen).toEqual(expected);
    // A cursor pages the list it came from: with another unit or other filters it is refused.
    const first = (await get(`/v1/units/${UNIT}/coordination-efforts?limit=3&kind=personal_support`)).json();
    for (const url of [
      `/v1/units/${OTHER_UNIT}/coordination-efforts?limit=3&kind=personal_support&cursor=${first.nextCursor}`,
      `/v1/units/${UNIT}/coordination-efforts?limit=3&cursor=${first.nextCursor}`,
      `/v1/units/${UNIT}/coordination-efforts?limit=3&kind=personal_support&status=done&cursor=${first.nextCursor}`,
    ]) {
      const headers = url.includes(OTHER_UNIT)
        ? bearer({ role: 'coordinator', units: [UNIT, OTHER_UNIT] })
        : coordinator;
      const res = await get(url, headers);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().errors[0].path).toBe('query.cursor');
    }
    expect(
      (await get(`/v1/units/${UNIT}/coordination-efforts?limit=5&kind=personal_support&cursor=${first.nextCursor}`))
        .statusCode,
    ).toBe(200);

    const window = await get(`/v1/units/${UNIT}/coordination-efforts?from=2026-04-02&to=2026-04-04`);
    expect(window.json().items.map((e: { performedOn: string }) => e.performedOn)).toEqual([
      '2026-04-04',
      '2026-04-03',
      '2026-04-02',
      '2026-04-02',
      '2026-04-02',
    ]);
    const done = await get(`/v1/units/${UNIT}/coordination-efforts?status=done`);
    expect(done.json().items).toHaveLength(1);
    expect(done.json().items[0].note).toBeNull();
  });

  it('audits one read per patient on the page', async () => {
    await givenConsent();
    await givenConsent({ patientId: OTHER_PATIENT });
    await givenEffort();
    await givenEffort({ performedOn: '2026-05-05' });
    await givenEffort({ patientId: OTHER_PATIENT });
    const before = await count('audit_events');
    await get(`/v1/units/${UNIT}/coordination-efforts`);
    const reads = (await auditEvents()).slice(before);
    expect(reads.map((e) => [e.action, e.resource, e.patient_id]).sort()).toEqual([
      ['read', 'coordination_effort', PATIENT],
      ['read', 'coordination_effort', OTHER_PATIENT],
    ]);
  });

  it('refuses a bad cursor, an inverted window and a page too large', async () => {
    expect((await get(`/v1/units/${UNIT}/coordination-efforts?cursor=bm90LW91cnM`)).statusCode).toBe(400);
    expect((await get(`/v1/units/${UNIT}/coordination-efforts?from=2026-05-02&to=2026-05-01`)).statusCode).toBe(400);
    expect((await get(`/v1/units/${UNIT}/coordination-efforts?limit=501`)).statusCode).toBe(400);
  });

  it('lists the patient’s efforts at the unit, newest first', async () => {
    await givenConsent();
    await givenConsent({ patientId: OTHER_PATIENT });
    const older = await givenEffort({ performedOn: '2026-04-01' });
    const newer = await givenEffort({ performedOn: '2026-04-20' });
    await givenEffort({ patientId: OTHER_PATIENT });
    const res = await post('/v1/patients/coordination-efforts', { patientId: PATIENT, unitId: UNIT });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((e: { id: string }) => e.id)).toEqual([newer.id, older.id]);
    expect((await auditEvents()).at(-1)).toEqual({
      action: 'read',
      resource: 'coordination_effort',
      resource_id: null,
      patient_id: PATIENT,
    });
  });

  it('a patient lookup that finds nothing is logged too (it names the patient): efforts and status history', async () => {
    for (const url of ['/v1/patients/coordination-efforts', '/v1/patients/coordination-status/history']) {
      const res = await post(url, { patientId: THIRD_PATIENT, unitId: UNIT });
      expect(res.json(), url).toEqual({ items: [] });
    }
    expect(await auditEvents()).toEqual([
      { action: 'read', resource: 'coordination_effort', resource_id: null, patient_id: THIRD_PATIENT },
      { action: 'read', resource: 'coordination_status', resource_id: null, patient_id: THIRD_PATIENT },
    ]);
  });
});

describe('coordinator status', () => {
  // A status is of a patient's case at the unit: these patients have one at UNIT, the third at OTHER_UNIT as well.
  beforeEach(async () => {
    const ehr = bearer({ role: 'ehr', units: [UNIT, OTHER_UNIT] });
    for (const [i, [patientId, unitId]] of (
      [
        [PATIENT, UNIT],
        [OTHER_PATIENT, UNIT],
        [THIRD_PATIENT, UNIT],
        [THIRD_PATIENT, OTHER_UNIT],
      ] as const
    ).entries()) {
      const res = await post(
        '/v1/certificates',
        certificateBody({
          id: `status-${i}`,
          patient: { id: patientId, name: 'Test Testsson' },
          unit: { id: unitId, name: 'Vårdcentralen' },
          // From the start of the year: the statuses below are set for days in it.
          periods: [{ degree: 100, start: '2026-01-01', end: '2026-12-17' }],
        }),
        ehr,
      );
      expect(res.statusCode, res.body).toBe(201);
    }
  });

  it('is refused for a patient without sick leave at the unit: 422, nothing written, the lookup audited', async () => {
    const nobody = '195005059125';
    const res = await post('/v1/patients/coordination-status', { patientId: nobody, unitId: UNIT, status: 'active' });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().type).toMatch(/\/no-sick-leave-at-unit$/);
    expect(await count('coordination_statuses')).toBe(0);
    expect((await auditEvents()).filter((e) => e.patient_id === nobody)).toEqual([
      { action: 'read', resource: 'sick_leave', resource_id: null, patient_id: nobody },
    ]);
    // The same coordinator's status for a patient with a case at the unit is set.
    const elsewhere = await post(
      '/v1/patients/coordination-status',
      { patientId: THIRD_PATIENT, unitId: OTHER_UNIT, status: 'active' },
      bearer({ role: 'coordinator', units: [OTHER_UNIT] }),
    );
    expect(elsewhere.statusCode).toBe(201);
  });
  it('cannot be set for a day after today: 400 naming on, nothing written', async () => {
    const res = await post('/v1/patients/coordination-status', {
      patientId: PATIENT,
      unitId: UNIT,
      status: 'closed',
      on: addDays(stockholmDate(), 1),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'on' })]);
    const history = await post('/v1/patients/coordination-status/history', { patientId: PATIENT, unitId: UNIT });
    expect(history.json().items).toEqual([]);
    const today = await post('/v1/patients/coordination-status', {
      patientId: PATIENT,
      unitId: UNIT,
      status: 'closed',
      on: stockholmDate(),
    });
    expect(today.statusCode).toBe(201);
  });

  it('cannot be set for a day before the patient’s first sick-leave day: 400 naming that day, audited', async () => {
    const before = await post('/v1/patients/coordination-status', {
      patientId: PATIENT,
      unitId: UNIT,
      status: 'contacted',
      on: '2025-12-31',
    });
    expect(before.statusCode).toBe(400);
    expect(before.json().errors).toEqual([
      { path: 'on', message: 'must not be before the first day of the patient’s sick leave (2026-01-01)' },
    ]);
    expect(await count('coordination_statuses')).toBe(0);
    expect((await auditEvents()).filter((e) => e.resource !== 'certificate')).toEqual([
      { action: 'read', resource: 'sick_leave', resource_id: null, patient_id: PATIENT },
    ]);
    const firstDay = await post('/v1/patients/coordination-status', {
      patientId: PATIENT,
      unitId: UNIT,
      status: 'contacted',
      on: '2026-01-01',
    });
    expect(firstDay.statusCode).toBe(201);
  });

  it('the same day has the same answer with or without on: today, ahead of a certificate yet to begin, is refused', async () => {
    const patientId = '197707070178';
    const start = addDays(stockholmDate(), 7);
    const ehr = bearer({ role: 'ehr' });
    const posted = await post(
      '/v1/certificates',
      certificateBody({ id: 'status-ahead', patient: { id: patientId }, periods: [period(start, addDays(start, 13))] }),
      ehr,
    );
    expect(posted.statusCode, posted.body).toBe(201);
    const implicit = await post('/v1/patients/coordination-status', { patientId, unitId: UNIT, status: 'contacted' });
    const explicit = await post('/v1/patients/coordination-status', {
      patientId,
      unitId: UNIT,
      status: 'contacted',
      on: stockholmDate(),
    });
    expect([implicit.statusCode, explicit.statusCode]).toEqual([400, 400]);
    expect(implicit.json().errors).toEqual([
      {
        path: 'on',
        message: `today (the default) must not be before the first day of the patient’s sick leave (${start})`,
      },
    ]);
    expect(await count('coordination_statuses')).toBe(0);
  });

  it('can be set for a day of the case before the unit’s own first certificate: the case began at another unit', async () => {
    const patientId = '199202020120';
    const ehr = bearer({ role: 'ehr', units: [UNIT, OTHER_UNIT] });
    for (const [id, unitId, from, to] of [
      ['status-x1', OTHER_UNIT, '2026-10-01', '2026-10-19'],
      ['status-x2', UNIT, '2026-10-20', '2026-11-30'],
    ] as const) {
      const res = await post(
        '/v1/certificates',
        certificateBody({
          id,
          patient: { id: patientId },
          unit: { id: unitId, name: 'Vårdcentralen' },
          periods: [period(from, to)],
        }),
        ehr,
      );
      expect(res.statusCode, res.body).toBe(201);
    }
    const res = await post('/v1/patients/coordination-status', {
      patientId,
      unitId: UNIT,
      status: 'contacted',
      on: '2026-10-10',
    });
    expect(res.statusCode, res.body).toBe(201);
  });

  it('cannot be set for a day before the patient was born: 400 naming on', async () => {
    // OTHER_PATIENT (200001012384) was born on 2000-01-01.
    const res = await post('/v1/patients/coordination-status', {
      patientId: OTHER_PATIENT,
      unitId: UNIT,
      status: 'contacted',
      on: '1999-12-31',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'on', message: 'must not be before the patient’s birth (2000-01-01)' }]);
    expect(await count('coordination_statuses')).toBe(0);
  });

  it('a coordinator sets it (append-only); a doctor may read the history but not set it', async () => {
    const first = await post('/v1/patients/coordination-status', {
      patientId: PATIENT,
      unitId: UNIT,
      status: 'contacted',
      on: '2026-04-01',
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ patientId: PATIENT, unitId: UNIT, status: 'contacted', setOn: '2026-04-01' });
    const second = await post('/v1/patients/coordination-status', {
      patientId: PATIENT,
      unitId: UNIT,
      status: 'active',
    });
    expect(second.statusCode).toBe(201);
    expect(second.json().setOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const doctor = bearer({ role: 'doctor' });
    const refused = await post(
      '/v1/patients/coordination-status',
      { patientId: PATIENT, unitId: UNIT, status: 'closed' },
      doctor,
    );
    expect(refused.statusCode).toBe(403);
    const otherUnit = await post(
      '/v1/patients/coordination-status',
      { patientId: PATIENT, unitId: OTHER_UNIT, status: 'closed' },
      coordinator,
    );
    expect(otherUnit.statusCode).toBe(403);
    const badStatus = await post('/v1/patients/coordination-status', {
      patientId: PATIENT,
      unitId: UNIT,
      status: 'busy',
    });
    expect(badStatus.statusCode).toBe(400);
    expect(await count('coordination_statuses')).toBe(2);

    const history = await post(
      '/v1/patients/coordination-status/history',
      { patientId: PATIENT, unitId: UNIT },
      doctor,
    );
    expect(history.statusCode).toBe(200);
    expect(history.json().items.map((s: { status: string }) => s.status)).toEqual(['active', 'contacted']);
    const events = await auditEvents();
    expect(events.filter((e) => e.resource === 'coordination_status').map((e) => e.action)).toEqual([
      'create',
      'create',
      'read',
    ]);
  });

  it('latestStatuses: the latest status set inside each patient’s case, in one call', async () => {
    const set = (patientId: string, status: string, on: string) =>
      post('/v1/patients/coordination-status', { patientId, unitId: UNIT, status, on });
    await set(PATIENT, 'contacted', '2026-03-01');
    await set(PATIENT, 'active', '2026-03-10');
    await set(PATIENT, 'closed', '2026-06-01'); // after the case
    await set(OTHER_PATIENT, 'follow_up', '2026-01-01'); // before the case
    await set(THIRD_PATIENT, 'declined', '2026-04-01');
    await post(
      '/v1/patients/coordination-status',
      { patientId: THIRD_PATIENT, unitId: OTHER_UNIT, status: 'closed', on: '2026-04-02' },
      bearer({ role: 'coordinator', units: [OTHER_UNIT] }),
    );
    const statuses = await ctx.app.services.coordination.latestStatuses(CARE_GIVER, UNIT, [
      { patientId: PATIENT, start: '2026-03-01', end: '2026-05-31' },
      { patientId: OTHER_PATIENT, start: '2026-02-01', end: '2026-05-31' },
      { patientId: THIRD_PATIENT, start: '2026-04-01', end: '2026-04-01' },
    ]);
    expect([...statuses.entries()].sort()).toEqual([
      [PATIENT, 'active'],
      [THIRD_PATIENT, 'declined'],
    ]);
    expect(
      await ctx.app.services.coordination.latestStatuses(OTHER_CARE_GIVER, UNIT, [
        { patientId: PATIENT, start: '2026-01-01', end: '2026-12-31' },
      ]),
    ).toEqual(new Map());
    expect(await ctx.app.services.coordination.latestStatuses(CARE_GIVER, UNIT, [])).toEqual(new Map());
  });
});

describe('who may do what', () => {
  it('coordinator and doctor of the unit record efforts; other roles and units are refused and nothing is written', async () => {
    await givenConsent();
    expect((await post('/v1/coordination-efforts', effort(), bearer({ role: 'doctor' }))).statusCode).toBe(201);
    for (const headers of [
      bearer({ role: 'ehr' }),
      bearer({ role: 'auditor' }),
      bearer({ role: 'coordinator', units: [OTHER_UNIT] }),
    ]) {
      expect((await post('/v1/coordination-efforts', effort(), headers)).statusCode).toBe(403);
    }
    expect((await post('/v1/coordination-efforts', effort(), {})).statusCode).toBe(401);
    expect(await count('coordination_efforts')).toBe(1);
  });

  it('another care giver’s effort is 403 (a missing one 404), and so is another unit’s', async () => {
    await givenConsent();
    const { id } = await givenEffort({ note: 'Private' });
    const foreign = bearer({ role: 'coordinator', careGiverId: OTHER_CARE_GIVER });
    const missing = '00000000-0000-4000-8000-000000000000';
    const answers = [];
    for (const effortId of [id, missing]) {
      const read = await get(`/v1/coordination-efforts/${effortId}`, foreign);
      const change = await patch(effortId, { status: 'cancelled' }, foreign);
      answers.push([read, change].map((r) => r.statusCode));
      expect(read.body).not.toContain('Private');
    }
    expect(answers).toEqual([
      [403, 403],
      [404, 404],
    ]);
    expect((await get(`/v1/coordination-efforts/${id}`)).json()).toMatchObject({ status: 'planned', version: 1 });

    const otherUnit = bearer({ role: 'coordinator', units: [OTHER_UNIT] });
    const read = await get(`/v1/coordination-efforts/${id}`, otherUnit);
    expect(read.statusCode).toBe(403);
    expect(read.body).not.toContain('Private');
    expect((await patch(id, { status: 'cancelled' }, otherUnit)).statusCode).toBe(403);
    expect((await get(`/v1/units/${UNIT}/coordination-efforts`, otherUnit)).statusCode).toBe(403);
    expect(
      (await post('/v1/patients/coordination-efforts', { patientId: PATIENT, unitId: UNIT }, otherUnit)).statusCode,
    ).toBe(403);
    expect((await get(`/v1/coordination-efforts/${id}`)).json()).toMatchObject({ status: 'planned', version: 1 });
  });

  it('a malformed id is 400', async () => {
    expect((await get('/v1/coordination-efforts/123')).statusCode).toBe(400);
  });
});

describe.skipIf(!TEST_DATABASE_URL)('consent and effort writes serialise (PostgreSQL)', () => {
  it('an effort posted while a revocation is being written waits for it and is refused', async () => {
    const consent = await givenConsent();
    let pending: ReturnType<typeof post> | undefined;
    await ctx.database.db.transaction(async (tx) => {
      await tx.execute(sql`select id from consents where id = ${consent.id} for update`);
      await tx.execute(
        sql`update consents set revoked_at = now(), revoked_by = ${COORDINATOR} where id = ${consent.id}`,
      );
      // Performed today: from the revocation's day on, nothing rests on the consent.
      pending = post('/v1/coordination-efforts', effort({ performedOn: stockholmDate() }));
      await untilSomeoneWaitsForALock(ctx.database.db);
    });
    expectConsentRequired(await pending!, 'revoked');
    expect(await count('coordination_efforts')).toBe(0);
  });

  it('a revocation posted while an effort is being written waits for the effort to commit', async () => {
    const consent = await givenConsent();
    let pending: ReturnType<typeof post> | undefined;
    await ctx.database.db.transaction(async (tx) => {
      await tx.execute(sql`select id from consents where id = ${consent.id} for share`);
      pending = post(`/v1/consents/${consent.id}/revoke`, { reason: 'Withdrawn' });
      await untilSomeoneWaitsForALock(ctx.database.db);
      const [row] = await queryRows<{ revoked_at: string | null }>(
        tx,
        sql`select revoked_at from consents where id = ${consent.id}`,
      );
      expect(row!.revoked_at).toBeNull();
    });
    expect((await pending!).statusCode).toBe(200);
  });
});
