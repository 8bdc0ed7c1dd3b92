import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { useTestApp } from '../../helpers/app.js';
import { bearer, CARE_GIVER, OTHER_CARE_GIVER, UNIT } from '../../helpers/tokens.js';
import {
  certificateBody,
  ehrHeaders,
  getCertificate,
  PATIENT,
  postBatch,
  postCertificate,
  revoke,
} from './fixtures.js';

/**
 * A certificate's id is its id in the issuing system, so two care givers' EHR systems may both issue
 * `c-2026-000123`: a certificate is identified by (care giver, id), and neither care giver's id says anything about,
 * or gets in the way of, the other's.
 */
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });

const THEIR_UNIT = 'SE2321000099-U001';
const ID = 'c-2026-000123';
const ours = (overrides: Record<string, unknown> = {}) => certificateBody({ id: ID, ...overrides });
const theirs = (overrides: Record<string, unknown> = {}) =>
  certificateBody({
    id: ID,
    careGiver: { id: OTHER_CARE_GIVER, name: 'Region Annan' },
    unit: { id: THEIR_UNIT, name: 'Vårdcentralen Annan' },
    issuedBy: { id: 'SE2321000099-D001', name: 'Dr Annan' },
    diagnoses: [{ code: 'M54.5' }],
    periods: [{ degree: 25, start: '2026-11-18', end: '2026-11-30' }],
    ...overrides,
  });
const theirEhr = ehrHeaders({ careGiverId: OTHER_CARE_GIVER, units: [THEIR_UNIT] });
const ourReader = bearer({ role: 'coordinator' });
const theirReader = bearer({ role: 'coordinator', careGiverId: OTHER_CARE_GIVER, units: [THEIR_UNIT] });

const stored = () =>
  queryRows<{ care_giver_id: string; id: string; counts: boolean; superseded_by: string | null }>(
    ctx.database.db,
    sql`select care_giver_id, id, counts, superseded_by from certificates order by care_giver_id, id`,
  );

describe('certificate ids are scoped per care giver', () => {
  it('care giver B stores its own certificate with an id care giver A already used (201), and each reads its own', async () => {
    expect((await postCertificate(ctx.app, ours())).statusCode).toBe(201);
    const res = await postCertificate(ctx.app, theirs(), theirEhr);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: ID, careGiver: { id: OTHER_CARE_GIVER }, counts: true });
    expect((await stored()).map((r) => [r.care_giver_id, r.id])).toEqual([
      [CARE_GIVER, ID],
      [OTHER_CARE_GIVER, ID],
    ]);
    // Re-posts are judged against the poster's own certificate: identical is 200, different content 409.
    expect((await postCertificate(ctx.app, theirs(), theirEhr)).statusCode).toBe(200);
    expect((await postCertificate(ctx.app, ours())).statusCode).toBe(200);
    const conflicting = await postCertificate(ctx.app, theirs({ diagnoses: [{ code: 'F32.1' }] }), theirEhr);
    expect(conflicting.statusCode).toBe(409);

    const mine = await getCertificate(ctx.app, ID, ourReader);
    const their = await getCertificate(ctx.app, ID, theirReader);
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ careGiver: { id: CARE_GIVER }, unit: { id: UNIT } });
    expect(their.statusCode).toBe(200);
    expect(their.json()).toMatchObject({ careGiver: { id: OTHER_CARE_GIVER }, unit: { id: THEIR_UNIT } });
  });

  it('in a batch too: B’s item with A’s id is created, and a re-post of it unchanged', async () => {
    await postBatch(ctx.app, [ours(), ours({ id: 'c-2' })]);
    const res = await postBatch(ctx.app, [theirs(), theirs({ id: 'c-2' }), theirs({ id: 'c-3' })], theirEhr);
    expect(res.statusCode).toBe(200);
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(['created', 'created', 'created']);
    const again = await postBatch(ctx.app, [theirs(), theirs({ id: 'c-2', test: true })], theirEhr);
    expect(again.json().results.map((r: { status: string }) => r.status)).toEqual(['unchanged', 'conflict']);
    expect(await stored()).toHaveLength(5);
  });

  it('single posts of one id by two care givers at the same moment (one group commit) are both created', async () => {
    const [a, b] = await Promise.all([postCertificate(ctx.app, ours()), postCertificate(ctx.app, theirs(), theirEhr)]);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(a.json().careGiver.id).toBe(CARE_GIVER);
    expect(b.json().careGiver.id).toBe(OTHER_CARE_GIVER);
  });

  it('an id only another care giver holds is 404 to read and to revoke, as any id the caller does not have', async () => {
    await postCertificate(ctx.app, ours());
    const read = await getCertificate(ctx.app, ID, theirReader);
    expect(read.statusCode).toBe(404);
    expect(read.body).not.toContain(PATIENT);
    expect((await revoke(ctx.app, ID, { reason: 'x' }, theirEhr)).statusCode).toBe(404);
    expect((await stored())[0]).toMatchObject({ counts: true });
  });

  it('each care giver revokes only its own certificate', async () => {
    await postCertificate(ctx.app, ours());
    await postCertificate(ctx.app, theirs(), theirEhr);
    const res = await revoke(ctx.app, ID, { reason: 'Fel patient' }, theirEhr);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ careGiver: { id: OTHER_CARE_GIVER }, counts: false });
    expect((await stored()).map((r) => [r.care_giver_id, r.counts])).toEqual([
      [CARE_GIVER, true],
      [OTHER_CARE_GIVER, false],
    ]);
    expect((await getCertificate(ctx.app, ID, ourReader)).json().revoked).toBeNull();
  });

  it('a relation of B’s certificate to id X supersedes only B’s X, whichever arrives first', async () => {
    await postCertificate(ctx.app, ours());
    const replacement = theirs({
      id: 'c-new',
      signedAt: '2026-11-21T09:00:00Z',
      relation: { kind: 'replaces', certificateId: ID },
    });
    await postCertificate(ctx.app, theirs(), theirEhr);
    expect((await postCertificate(ctx.app, replacement, theirEhr)).statusCode).toBe(201);
    expect(await stored()).toEqual([
      { care_giver_id: CARE_GIVER, id: ID, counts: true, superseded_by: null },
      { care_giver_id: OTHER_CARE_GIVER, id: ID, counts: false, superseded_by: 'c-new' },
      { care_giver_id: OTHER_CARE_GIVER, id: 'c-new', counts: true, superseded_by: null },
    ]);
    // Revoking the replacement lets B's own target count again; A's is untouched throughout.
    await revoke(ctx.app, 'c-new', {}, theirEhr);
    expect((await stored()).map((r) => r.counts)).toEqual([true, true, false]);

    // The other order: A's relation stored first, then A's target arrives (in a batch) and is settled.
    await postBatch(ctx.app, [
      ours({ id: 'c-repl', signedAt: '2026-11-22T09:00:00Z', relation: { kind: 'replaces', certificateId: 'c-t' } }),
    ]);
    await postBatch(ctx.app, [theirs({ id: 'c-t' })], theirEhr);
    await postBatch(ctx.app, [ours({ id: 'c-t' })]);
    const rows = await stored();
    expect(rows.find((r) => r.care_giver_id === CARE_GIVER && r.id === 'c-t')).toMatchObject({
      counts: false,
      superseded_by: 'c-repl',
    });
    expect(rows.find((r) => r.care_giver_id === OTHER_CARE_GIVER && r.id === 'c-t')).toMatchObject({
      counts: true,
      superseded_by: null,
    });
  });

  it('the overview and the history of each care giver show only its own certificates', async () => {
    await postCertificate(ctx.app, ours());
    await postCertificate(ctx.app, theirs(), theirEhr);
    const overview = async (unitId: string, headers: Record<string, string>) => {
      const res = await ctx.app.inject({
        url: `/v1/units/${unitId}/sick-leaves?activeOn=2026-11-25`,
        headers,
      });
      expect(res.statusCode).toBe(200);
      return res.json().items;
    };
    const history = async (unitId: string, headers: Record<string, string>) => {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/v1/patients/sick-leave-history',
        headers,
        payload: { patientId: PATIENT, unitId },
      });
      expect(res.statusCode).toBe(200);
      return res.json();
    };
    const [mine] = await overview(UNIT, ourReader);
    const [their] = await overview(THEIR_UNIT, theirReader);
    expect(mine).toMatchObject({ start: '2026-11-20', end: '2026-12-17', degree: 100, certificateCount: 1 });
    expect(mine.diagnosis.code).toBe('F321');
    expect(their).toMatchObject({ start: '2026-11-18', end: '2026-11-30', degree: 25, certificateCount: 1 });
    expect(their.diagnosis.code).toBe('M545');

    const ourHistory = JSON.stringify(await history(UNIT, ourReader));
    const theirHistory = JSON.stringify(await history(THEIR_UNIT, theirReader));
    expect(ourHistory).toContain('2026-12-17');
    expect(ourHistory).not.toContain('2026-11-18');
    expect(theirHistory).toContain('2026-11-18');
    expect(theirHistory).not.toContain('2026-12-17');
  });
});
