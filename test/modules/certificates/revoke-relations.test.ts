import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { useTestApp } from '../../helpers/app.js';
import { bearer, EHR, OTHER_CARE_GIVER, OTHER_UNIT, UNIT } from '../../helpers/tokens.js';
import {
  certificateBody,
  ehrHeaders,
  getCertificate,
  PATIENT,
  postBatch,
  postCertificate,
  revoke,
} from './fixtures.js';

// Load shedding is tested elsewhere; here a busy CI machine must not turn an answer into 503.
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });

const rows = async () => {
  const found = await queryRows<{ id: string; counts: boolean; superseded_by: string | null }>(
    ctx.database.db,
    sql`select id, counts, superseded_by from certificates order by id`,
  );
  return Object.fromEntries(found.map((r) => [r.id, { counts: r.counts, supersededBy: r.superseded_by }]));
};

const related = (id: string, kind: string, target: string, extra: Record<string, unknown> = {}) =>
  certificateBody({ id, relation: { kind, certificateId: target }, signedAt: '2026-11-21T09:00:00Z', ...extra });

describe('revocation', () => {
  it('marks the certificate revoked with who, when and why, and it stops counting', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    const res = await revoke(ctx.app, 'c-1', { reason: 'Fel patient' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.revoked).toEqual({ at: expect.any(String), by: EHR, reason: 'Fel patient' });
    expect(Number.isNaN(Date.parse(body.revoked.at))).toBe(false);
    expect(body.counts).toBe(false);
    expect(await rows()).toEqual({ 'c-1': { counts: false, supersededBy: null } });
  });

  it('is idempotent: a second revoke answers the first revocation, audited as a read of it, not a revocation', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    const first = await revoke(ctx.app, 'c-1', { reason: 'Fel patient' });
    const second = await revoke(ctx.app, 'c-1', { reason: 'Annat skäl' });
    const third = await revoke(ctx.app, 'c-1');
    expect(second.statusCode).toBe(200);
    expect(second.json().revoked).toEqual(first.json().revoked);
    expect(third.json().revoked).toEqual(first.json().revoked);
    const events = await queryRows<{ action: string; resource_id: string; patient_id: string }>(
      ctx.database.db,
      sql`select action, resource_id, patient_id from audit_events where action in ('revoke', 'read') order by id`,
    );
    // The repeats hand the caller the whole certificate again: each is a read of patient data.
    expect(events.map((e) => e.action)).toEqual(['revoke', 'read', 'read']);
    expect(events.every((e) => e.resource_id === 'c-1' && e.patient_id === PATIENT)).toBe(true);
  });

  it('works without a body', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    const res = await revoke(ctx.app, 'c-1');
    expect(res.statusCode).toBe(200);
    expect(res.json().revoked).toEqual({ at: expect.any(String), by: EHR });
  });

  it('works with an empty body sent as application/json (a client that always sets the type)', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/certificates/c-1/revoke',
      headers: { ...ehrHeaders(), 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().revoked).toEqual({ at: expect.any(String), by: EHR });
    // Whitespace that JSON does not know (a no-break space, a BOM) is no empty body: malformed, nothing revoked.
    await postCertificate(ctx.app, certificateBody({ id: 'c-2' }));
    for (const payload of ['\u00a0', '\ufeff']) {
      const odd = await ctx.app.inject({
        method: 'POST',
        url: '/v1/certificates/c-2/revoke',
        headers: { ...ehrHeaders(), 'content-type': 'application/json' },
        payload,
      });
      expect(odd.statusCode).toBe(400);
    }
    expect((await getCertificate(ctx.app, 'c-2')).json().revoked).toBeNull();
  });

  it('an operation that needs a body, sent none, says that a JSON object is required', async () => {
    for (const payload of [undefined, '']) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/v1/certificates',
        headers: { ...ehrHeaders(), ...(payload === '' ? { 'content-type': 'application/json' } : {}) },
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ path: '', message: 'is required: the body is a JSON object' }]);
    }
  });

  it('an identical re-post of a revoked certificate does not bring it back', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    await revoke(ctx.app, 'c-1');
    const again = await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ counts: false, revoked: { by: EHR } });
  });

  it('is for the EHR role of the certificate’s care giver and unit only', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    for (const role of ['doctor', 'coordinator', 'auditor']) {
      expect((await revoke(ctx.app, 'c-1', undefined, bearer({ role }))).statusCode).toBe(403);
    }
    expect((await revoke(ctx.app, 'c-1', undefined, ehrHeaders({ units: [OTHER_UNIT] }))).statusCode).toBe(403);
    // Ids are unique within a care giver: another care giver has no certificate c-1 of its own, so it is 404 there
    // (it was 403 while ids were shared by all care givers), and A's certificate is untouched.
    expect((await revoke(ctx.app, 'c-1', undefined, ehrHeaders({ careGiverId: OTHER_CARE_GIVER }))).statusCode).toBe(
      404,
    );
    expect((await revoke(ctx.app, 'c-missing')).statusCode).toBe(404);
    expect((await rows())['c-1']).toEqual({ counts: true, supersededBy: null });
  });

  it('refuses a reason that is not text', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    const res = await revoke(ctx.app, 'c-1', { reason: 42 });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('reason');
    expect((await rows())['c-1']!.counts).toBe(true);
  });

  it('writes a revoke audit event naming the certificate, unit and patient', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'c-1' }));
    await revoke(ctx.app, 'c-1');
    const events = await queryRows<{ action: string; resource_id: string; unit_id: string; patient_id: string }>(
      ctx.database.db,
      sql`select action, resource_id, unit_id, patient_id from audit_events order by id`,
    );
    expect(events.map((e) => e.action)).toEqual(['create', 'revoke']);
    expect(events[1]).toMatchObject({ resource_id: 'c-1', unit_id: UNIT, patient_id: '191212121212' });
  });
});

describe('relations', () => {
  it('a replacing certificate takes its target out of counting', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'old' }));
    await postCertificate(ctx.app, related('new', 'replaces', 'old'));
    expect(await rows()).toEqual({
      new: { counts: true, supersededBy: null },
      old: { counts: false, supersededBy: 'new' },
    });
    const relation = await queryRows<{ kind: string; target_id: string }>(
      ctx.database.db,
      sql`select kind, target_id from certificate_relations`,
    );
    expect(relation).toEqual([{ kind: 'replaces', target_id: 'old' }]);
  });

  it('so does a supplementing one; an extension only chains', async () => {
    await postBatch(ctx.app, [
      certificateBody({ id: 'a' }),
      certificateBody({ id: 'b' }),
      related('a2', 'supplements', 'a'),
      related('b2', 'extends', 'b'),
    ]);
    expect(await rows()).toMatchObject({
      a: { counts: false, supersededBy: 'a2' },
      b: { counts: true, supersededBy: null },
      a2: { counts: true },
      b2: { counts: true },
    });
  });

  it('a target that arrives after its replacement is stored as not counting', async () => {
    await postCertificate(ctx.app, related('new', 'replaces', 'old'));
    const created = await postCertificate(ctx.app, certificateBody({ id: 'old' }));
    expect(created.statusCode).toBe(201);
    // The 201 answers the target as settled, not as inserted.
    expect(created.json().counts).toBe(false);
    expect((await rows()).old).toEqual({ counts: false, supersededBy: 'new' });
    expect((await getCertificate(ctx.app, 'old')).json().counts).toBe(false);
  });

  it('a target and its replacement in one batch: the target is stored as not counting', async () => {
    const res = await postBatch(ctx.app, [related('new', 'replaces', 'old'), certificateBody({ id: 'old' })]);
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(['created', 'created']);
    expect(await rows()).toEqual({
      new: { counts: true, supersededBy: null },
      old: { counts: false, supersededBy: 'new' },
    });
  });

  it('revoking the replacement makes the target count again', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'old' }));
    await postCertificate(ctx.app, related('new', 'replaces', 'old'));
    await revoke(ctx.app, 'new');
    expect(await rows()).toEqual({
      new: { counts: false, supersededBy: null },
      old: { counts: true, supersededBy: null },
    });
  });

  it('a revoked target stays out when its replacement is revoked', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'old' }));
    await postCertificate(ctx.app, related('new', 'replaces', 'old'));
    await revoke(ctx.app, 'old');
    await revoke(ctx.app, 'new');
    expect((await rows()).old).toEqual({ counts: false, supersededBy: null });
  });

  it('a revoked replacement posted later does not supersede; another replacement still does', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'old' }));
    await postCertificate(ctx.app, related('r1', 'replaces', 'old'));
    await postCertificate(ctx.app, related('r2', 'replaces', 'old', { signedAt: '2026-11-22T09:00:00Z' }));
    expect((await rows()).old).toEqual({ counts: false, supersededBy: 'r2' });
    await revoke(ctx.app, 'r2');
    expect((await rows()).old).toEqual({ counts: false, supersededBy: 'r1' });
    await revoke(ctx.app, 'r1');
    expect((await rows()).old).toEqual({ counts: true, supersededBy: null });
  });

  it('a target that is not counted anyway (AG) stays uncounted when its replacement is revoked', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'ag', type: 'AG7804' }));
    await postCertificate(ctx.app, related('new', 'replaces', 'ag'));
    await revoke(ctx.app, 'new');
    expect((await rows()).ag).toEqual({ counts: false, supersededBy: null });
  });

  it('an AG or test certificate does not take an FK certificate out of counting (they are never counted themselves)', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'fk' }));
    await postCertificate(ctx.app, related('ag', 'replaces', 'fk', { type: 'AG7804' }));
    await postCertificate(ctx.app, related('trial', 'supplements', 'fk', { test: true }));
    await postBatch(ctx.app, [related('ag-batch', 'replaces', 'fk', { type: 'AG7804' })]);
    expect((await rows()).fk).toEqual({ counts: true, supersededBy: null });
    // Within their own kind they still supersede: an AG certificate replacing an AG one, an FK one replacing an FK one.
    await postCertificate(ctx.app, certificateBody({ id: 'ag-old', type: 'AG7804' }));
    await postCertificate(ctx.app, related('ag-new', 'replaces', 'ag-old', { type: 'AG7804' }));
    expect((await rows())['ag-old']).toEqual({ counts: false, supersededBy: 'ag-new' });
    await postCertificate(ctx.app, related('fk-new', 'replaces', 'fk'));
    expect((await rows()).fk).toEqual({ counts: false, supersededBy: 'fk-new' });
  });

  it('in a batch beside certificates the caller may write, such a relation is that item’s refusal (forbidden)', async () => {
    const otherUnitEhr = ehrHeaders({ units: [OTHER_UNIT] });
    await postCertificate(ctx.app, certificateBody({ id: 'theirs' }));
    const at = { unit: { id: OTHER_UNIT, name: 'Vårdcentralen Syd' } };
    const batch = await postBatch(
      ctx.app,
      [related('mine-replaces', 'replaces', 'theirs', at), certificateBody({ id: 'mine-plain', ...at })],
      otherUnitEhr,
    );
    expect(batch.statusCode).toBe(200);
    expect(batch.json().results).toEqual([
      {
        id: 'mine-replaces',
        status: 'forbidden',
        errors: [{ path: 'relation.certificateId', message: expect.stringMatching(/not in the token/) }],
      },
      { id: 'mine-plain', status: 'created' },
    ]);
    expect(await rows()).toEqual({
      'mine-plain': { counts: true, supersededBy: null },
      theirs: { counts: true, supersededBy: null },
    });
  });

  it('a relation to a certificate of a unit outside the token is 403, as revoking it is, and changes nothing', async () => {
    const otherUnitEhr = ehrHeaders({ units: [OTHER_UNIT] });
    await postCertificate(ctx.app, certificateBody({ id: 'theirs' }));
    for (const kind of ['replaces', 'supplements']) {
      const body = related(`mine-${kind}`, kind, 'theirs', { unit: { id: OTHER_UNIT, name: 'Vårdcentralen Syd' } });
      const res = await postCertificate(ctx.app, body, otherUnitEhr);
      expect(res.statusCode, kind).toBe(403);
      expect(res.json().detail).toMatch(/relation/);
      // A batch of nothing else is refused as a whole, as the single post is.
      expect((await postBatch(ctx.app, [body], otherUnitEhr)).statusCode, kind).toBe(403);
    }
    expect(await rows()).toEqual({ theirs: { counts: true, supersededBy: null } });
    // An extension only chains, and a target not stored (yet) or of another care giver gives nothing away.
    const extension = related('mine-ext', 'extends', 'theirs', { unit: { id: OTHER_UNIT, name: 'Vårdcentralen Syd' } });
    expect((await postCertificate(ctx.app, extension, otherUnitEhr)).statusCode).toBe(201);
    const unknown = related('mine-unknown', 'replaces', 'nowhere', {
      unit: { id: OTHER_UNIT, name: 'Vårdcentralen Syd' },
    });
    expect((await postCertificate(ctx.app, unknown, otherUnitEhr)).statusCode).toBe(201);
  });

  it('a relation posted before its target supersedes it only at a unit the poster’s token covered', async () => {
    const u2 = { unit: { id: OTHER_UNIT, name: 'Vårdcentralen Syd' } };
    // An EHR system of U002 names a certificate of U001 that is not stored yet; U001's system then posts it.
    expect(
      (await postCertificate(ctx.app, related('z2', 'replaces', 'z1', u2), ehrHeaders({ units: [OTHER_UNIT] })))
        .statusCode,
    ).toBe(201);
    expect((await postCertificate(ctx.app, certificateBody({ id: 'z1' }))).statusCode).toBe(201);
    expect((await rows()).z1).toEqual({ counts: true, supersededBy: null });
    // A system whose token covers both units may: the target then stops counting when it arrives.
    const both = ehrHeaders({ units: [UNIT, OTHER_UNIT] });
    expect((await postCertificate(ctx.app, related('y2', 'replaces', 'y1', u2), both)).statusCode).toBe(201);
    expect((await postCertificate(ctx.app, certificateBody({ id: 'y1' }))).statusCode).toBe(201);
    expect((await rows()).y1).toEqual({ counts: false, supersededBy: 'y2' });
  });

  it('an infection-control certificate, never counted itself, does not take a counted one out of counting', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'fk' }));
    await postCertificate(ctx.app, related('smitta', 'replaces', 'fk', { infectionControl: true }));
    expect((await rows()).fk).toEqual({ counts: true, supersededBy: null });
  });

  it('a relation to another patient’s stored certificate is 400 naming it, writes nothing, and the target counts on', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'old' }));
    const res = await postCertificate(ctx.app, related('new', 'replaces', 'old', { patient: { id: '200001012384' } }));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors).toEqual([
      { path: 'relation.certificateId', message: 'is a certificate of another patient' },
    ]);
    expect(await rows()).toEqual({ old: { counts: true, supersededBy: null } });
  });

  it('in a batch that item alone is invalid; the others stand', async () => {
    await postCertificate(ctx.app, certificateBody({ id: 'old' }));
    const res = await postBatch(ctx.app, [
      related('wrong', 'supplements', 'old', { patient: { id: '200001012384' } }),
      related('right', 'replaces', 'old'),
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().results).toEqual([
      {
        id: 'wrong',
        status: 'invalid',
        errors: [{ path: 'relation.certificateId', message: 'is a certificate of another patient' }],
      },
      { id: 'right', status: 'created' },
    ]);
    expect(await rows()).toEqual({
      old: { counts: false, supersededBy: 'right' },
      right: { counts: true, supersededBy: null },
    });
  });

  it('in a batch, a target of another patient earlier or later in the same batch makes that item invalid', async () => {
    const other = { patient: { id: '200001012384' } };
    const res = await postBatch(ctx.app, [
      certificateBody({ id: 'a' }),
      related('b', 'replaces', 'a', other),
      related('c', 'replaces', 'd', other),
      certificateBody({ id: 'd' }),
    ]);
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual([
      'created',
      'invalid',
      'invalid',
      'created',
    ]);
    expect(await rows()).toEqual({ a: { counts: true, supersededBy: null }, d: { counts: true, supersededBy: null } });
  });

  it('an extension of another patient’s certificate is 400 too (stored at a unit of the token, or in the batch)', async () => {
    const other = { patient: { id: '200001012384' } };
    await postCertificate(ctx.app, certificateBody({ id: 'first' }));
    const res = await postCertificate(ctx.app, related('ext', 'extends', 'first', other));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { path: 'relation.certificateId', message: 'is a certificate of another patient' },
    ]);
    const batch = await postBatch(ctx.app, [certificateBody({ id: 'a' }), related('b', 'extends', 'a', other)]);
    expect(batch.json().results.map((r: { status: string }) => r.status)).toEqual(['created', 'invalid']);
    expect((await postCertificate(ctx.app, related('ext', 'extends', 'first'))).statusCode).toBe(201);
  });

  it('two certificates that would replace each other: the second is refused, and the first one’s target counts on', async () => {
    // Single posts: b replaces a (not stored yet), then a replacing b is refused (neither would count).
    expect((await postCertificate(ctx.app, related('b', 'replaces', 'a'))).statusCode).toBe(201);
    const loop = await postCertificate(ctx.app, related('a', 'replaces', 'b'));
    expect(loop.statusCode).toBe(400);
    expect(loop.json().errors).toEqual([
      { path: 'relation.certificateId', message: expect.stringMatching(/^b itself replaces/) },
    ]);
    // In one batch: the later of the two is invalid.
    const res = await postBatch(ctx.app, [related('x', 'supplements', 'y'), related('y', 'replaces', 'x')]);
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(['created', 'invalid']);
    expect((await rows()).x).toEqual({ counts: true, supersededBy: null });
  });

  it('a loop of three or more through stored and batched certificates is refused where it would close', async () => {
    // Single posts: a replaces b, b supplements c (neither target stored yet); c replacing a would close the loop.
    expect((await postCertificate(ctx.app, related('a', 'replaces', 'b'))).statusCode).toBe(201);
    expect((await postCertificate(ctx.app, related('b', 'supplements', 'c'))).statusCode).toBe(201);
    const loop = await postCertificate(ctx.app, related('c', 'replaces', 'a'));
    expect(loop.statusCode).toBe(400);
    expect(loop.json().errors).toEqual([
      {
        path: 'relation.certificateId',
        message: 'a replaces or supplements this certificate through b: none of them would count',
      },
    ]);
    // c replacing something else is fine, and then the chain a → b → c leaves only a counting.
    expect((await postCertificate(ctx.app, related('c', 'replaces', 'z'))).statusCode).toBe(201);
    expect(await rows()).toMatchObject({
      a: { counts: true, supersededBy: null },
      b: { counts: false, supersededBy: 'a' },
      c: { counts: false, supersededBy: 'b' },
    });
    // In one batch, through a stored link: y replaces x (stored), then [x replaces w, w replaces y] closes at w.
    expect((await postCertificate(ctx.app, related('y', 'replaces', 'x'))).statusCode).toBe(201);
    const res = await postBatch(ctx.app, [related('x', 'replaces', 'w'), related('w', 'replaces', 'y')]);
    expect(res.json().results).toEqual([
      { id: 'x', status: 'created' },
      {
        id: 'w',
        status: 'invalid',
        errors: [
          {
            path: 'relation.certificateId',
            message: 'y replaces or supplements this certificate through x: none of them would count',
          },
        ],
      },
    ]);
  });

  it('a link that supersedes nothing closes no loop: a revoked certificate’s, or an AG or test certificate’s', async () => {
    // A revoked replacement takes its target out of counting no more.
    expect((await postCertificate(ctx.app, related('ra', 'replaces', 'rb'))).statusCode).toBe(201);
    expect((await revoke(ctx.app, 'ra')).statusCode).toBe(200);
    expect((await postCertificate(ctx.app, related('rb', 'replaces', 'ra'))).statusCode).toBe(201);
    // An AG certificate, never counted, supersedes no FK certificate; nor does a test certificate.
    expect((await postCertificate(ctx.app, related('aga', 'replaces', 'agb', { type: 'AG7804' }))).statusCode).toBe(
      201,
    );
    expect((await postCertificate(ctx.app, related('agb', 'replaces', 'aga'))).statusCode).toBe(201);
    expect((await postCertificate(ctx.app, related('ta', 'replaces', 'tb', { test: true }))).statusCode).toBe(201);
    expect((await postCertificate(ctx.app, related('tb', 'replaces', 'ta'))).statusCode).toBe(201);
    // And one that supersedes nothing closes none itself.
    expect((await postCertificate(ctx.app, related('fa', 'replaces', 'fb'))).statusCode).toBe(201);
    expect((await postCertificate(ctx.app, related('fb', 'replaces', 'fa', { test: true }))).statusCode).toBe(201);
  });

  it('an identical re-post is answered as stored, whatever its relation now finds', async () => {
    const first = await postCertificate(ctx.app, related('new', 'replaces', 'old'));
    expect(first.statusCode).toBe(201);
    // The target arrives later, of another patient: the replacement was valid when posted, and a retry of it is 200.
    expect(
      (await postCertificate(ctx.app, certificateBody({ id: 'old', patient: { id: '200001012384' } }))).statusCode,
    ).toBe(201);
    expect((await postCertificate(ctx.app, related('new', 'replaces', 'old'))).statusCode).toBe(200);
    const batch = await postBatch(ctx.app, [related('new', 'replaces', 'old')]);
    expect(batch.json().results).toEqual([{ id: 'new', status: 'unchanged' }]);
  });

  it('a target of another patient that arrives after its replacement is not taken out of counting', async () => {
    await postCertificate(ctx.app, related('new', 'replaces', 'old', { patient: { id: '200001012384' } }));
    expect((await postCertificate(ctx.app, certificateBody({ id: 'old' }))).statusCode).toBe(201);
    expect((await rows()).old).toEqual({ counts: true, supersededBy: null });
  });
});
