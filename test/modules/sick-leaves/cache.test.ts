import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { loadConfig } from '../../../src/config.js';
import { CaseCache } from '../../../src/modules/sick-leaves/case-cache.js';
import { useTestApp } from '../../helpers/app.js';
import { bearer, OTHER_CARE_GIVER, OTHER_UNIT, UNIT } from '../../helpers/tokens.js';
import { certificateBody, ehrHeaders, postBatch, postCertificate, revoke } from '../certificates/fixtures.js';
import { personnummer } from './given.js';

// The overview and summary reuse built case lists while the unit's case version is unchanged; every write that
// changes a unit's cases must bump it, or these reads would answer from a stale list.
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' }); // no load shedding: other suites share the machine
const ON = '2026-03-15';
const TOLVAN = '191212121212';
const ANNA = '200001012384';
const coordinator = bearer({ role: 'coordinator', units: [UNIT, OTHER_UNIT] });
const ehr = ehrHeaders({ units: [UNIT, OTHER_UNIT] });

const march = (id: string, patientId: string, overrides: Record<string, unknown> = {}) =>
  certificateBody({
    id,
    patient: { id: patientId, name: 'Namn Namnsson' },
    signedAt: '2026-03-01T09:00:00Z',
    periods: [{ degree: 100, start: '2026-03-01', end: '2026-03-31' }],
    ...overrides,
  });

async function patientsOn(unit = UNIT, headers = coordinator): Promise<string[]> {
  const res = await ctx.app.inject({
    method: 'GET',
    url: `/v1/units/${unit}/sick-leaves?activeOn=${ON}`,
    headers,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items.map((i: { patient: { id: string } }) => i.patient.id);
}

async function summaryTotal(unit = UNIT): Promise<number> {
  const res = await ctx.app.inject({
    method: 'GET',
    url: `/v1/units/${unit}/sick-leaves/summary?activeOn=${ON}`,
    headers: coordinator,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().total;
}

describe('cached cases follow every write', () => {
  it('a certificate posted after a read shows on the next overview and summary', async () => {
    expect((await postCertificate(ctx.app, march('c-1', TOLVAN), ehr)).statusCode).toBe(201);
    expect(await patientsOn()).toEqual([TOLVAN]);
    expect(await summaryTotal()).toBe(1);
    expect((await postCertificate(ctx.app, march('c-2', ANNA), ehr)).statusCode).toBe(201);
    expect((await patientsOn()).sort()).toEqual([TOLVAN, ANNA].sort());
    expect(await summaryTotal()).toBe(2);
  });

  it('a unit id that tokens of two care givers name: only its own care giver files there or reads it', async () => {
    // A unit belongs to one care giver, but the service takes the care giver from the token; a second care giver's
    // certificates at the unit are refused (403), and so is its reader's overview of the unit.
    const theirs = bearer({ role: 'coordinator', units: [UNIT], careGiverId: OTHER_CARE_GIVER });
    const overview = () => ctx.app.inject({ url: `/v1/units/${UNIT}/sick-leaves?activeOn=${ON}`, headers: theirs });
    expect((await postCertificate(ctx.app, march('c-1', TOLVAN), ehr)).statusCode).toBe(201);
    expect((await overview()).statusCode).toBe(403);
    const body = march('c-2', ANNA, { careGiver: { id: OTHER_CARE_GIVER, name: 'Region Annan' } });
    const posted = await postCertificate(ctx.app, body, ehrHeaders({ units: [UNIT], careGiverId: OTHER_CARE_GIVER }));
    expect(posted.statusCode, posted.body).toBe(403);
    expect((await overview()).statusCode).toBe(403);
    expect(await patientsOn()).toEqual([TOLVAN]);
  });

  it('a batch shows on the next read', async () => {
    await patientsOn();
    const res = await postBatch(ctx.app, [march('b-1', TOLVAN), march('b-2', ANNA)], ehr);
    expect(res.statusCode, res.body).toBe(200);
    expect((await patientsOn()).sort()).toEqual([TOLVAN, ANNA].sort());
  });

  it('a revoked certificate leaves the next overview', async () => {
    await postCertificate(ctx.app, march('c-1', TOLVAN), ehr);
    expect(await patientsOn()).toEqual([TOLVAN]);
    expect((await revoke(ctx.app, 'c-1', { reason: 'wrong patient' }, ehr)).statusCode).toBe(200);
    expect(await patientsOn()).toEqual([]);
    expect(await summaryTotal()).toBe(0);
  });

  it('replacing a certificate of another unit updates that unit too, and revoking the replacement restores it', async () => {
    await postCertificate(ctx.app, march('old', TOLVAN, { unit: { id: OTHER_UNIT, name: 'Söder' } }), ehr);
    expect(await patientsOn(OTHER_UNIT)).toEqual([TOLVAN]);
    expect(await patientsOn(UNIT)).toEqual([]);
    const replacement = march('new', TOLVAN, {
      signedAt: '2026-03-02T09:00:00Z',
      relation: { kind: 'replaces', certificateId: 'old' },
    });
    expect((await postCertificate(ctx.app, replacement, ehr)).statusCode).toBe(201);
    expect(await patientsOn(OTHER_UNIT)).toEqual([]);
    expect(await patientsOn(UNIT)).toEqual([TOLVAN]);
    expect((await revoke(ctx.app, 'new', undefined, ehr)).statusCode).toBe(200);
    expect(await patientsOn(OTHER_UNIT)).toEqual([TOLVAN]);
    expect(await patientsOn(UNIT)).toEqual([]);
  });

  it('a case list built for one day or gap is not served for another', async () => {
    await postCertificate(
      ctx.app,
      march('c-1', TOLVAN, { periods: [{ degree: 100, start: '2026-03-01', end: '2026-03-10' }] }),
      ehr,
    );
    await postCertificate(
      ctx.app,
      march('c-2', TOLVAN, { periods: [{ degree: 50, start: '2026-03-18', end: '2026-03-31' }] }),
      ehr,
    );
    const read = async (query: string) =>
      (
        await ctx.app.inject({ method: 'GET', url: `/v1/units/${UNIT}/sick-leaves?${query}`, headers: coordinator })
      ).json();
    expect((await read('activeOn=2026-03-05')).items[0].end).toBe('2026-03-10');
    expect((await read('activeOn=2026-03-20')).items[0].start).toBe('2026-03-18');
    expect((await read('activeOn=2026-03-20&maxGapDays=7')).items[0].start).toBe('2026-03-01');
    expect((await read('activeOn=2026-03-12')).total).toBe(0);
    expect((await read('activeOn=2026-03-12&recentlyEndedDays=2')).items[0].status).toBe('ended');
  });
});

describe('a cached case list follows writes at the patient’s other units', () => {
  // A unit's case is built from the patient's counted certificates at every unit of the care giver, so a write at
  // U001 must move the version of U002 where the patient has certificates, and log the patient there.
  const atU002 = async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/v1/units/${OTHER_UNIT}/sick-leaves?activeOn=${ON}`,
      headers: coordinator,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res
      .json()
      .items.map((i: { start: string; days: number; certificateCount: number }) => [
        i.start,
        i.days,
        i.certificateCount,
      ]);
  };
  const atU001 = (id: string, overrides: Record<string, unknown> = {}) =>
    march(id, TOLVAN, { periods: [{ degree: 100, start: '2026-03-01', end: '2026-03-10' }], ...overrides });

  it('posting, revoking and replacing a certificate at U001 changes U002’s next overview', async () => {
    const b = march('b', TOLVAN, {
      unit: { id: OTHER_UNIT, name: 'Söder' },
      periods: [{ degree: 50, start: '2026-03-11', end: '2026-03-31' }],
    });
    expect((await postCertificate(ctx.app, b, ehr)).statusCode).toBe(201);
    expect(await atU002()).toEqual([['2026-03-11', 21, 1]]);
    expect((await postCertificate(ctx.app, atU001('a'), ehr)).statusCode).toBe(201);
    expect(await atU002()).toEqual([['2026-03-01', 31, 2]]);
    expect((await revoke(ctx.app, 'a', { reason: 'wrong patient' }, ehr)).statusCode).toBe(200);
    expect(await atU002()).toEqual([['2026-03-11', 21, 1]]);
    expect((await postCertificate(ctx.app, atU001('a2'), ehr)).statusCode).toBe(201);
    expect(await atU002()).toEqual([['2026-03-01', 31, 2]]);
    const replacement = atU001('a3', {
      signedAt: '2026-03-05T09:00:00Z',
      periods: [{ degree: 100, start: '2026-03-05', end: '2026-03-10' }],
      relation: { kind: 'replaces', certificateId: 'a2' },
    });
    expect((await postCertificate(ctx.app, replacement, ehr)).statusCode).toBe(201);
    expect(await atU002()).toEqual([['2026-03-05', 27, 2]]);
    // What the patched list answers is what a list built from scratch answers.
    const patched = await atU002();
    ctx.app.services.sickLeaves.caseCache.clear();
    expect(await atU002()).toEqual(patched);
  });

  it('a batch at U001 changes U002’s next overview and summary', async () => {
    const b = march('b', TOLVAN, {
      unit: { id: OTHER_UNIT, name: 'Söder' },
      periods: [{ degree: 50, start: '2026-03-11', end: '2026-03-31' }],
    });
    expect((await postCertificate(ctx.app, b, ehr)).statusCode).toBe(201);
    expect(await atU002()).toEqual([['2026-03-11', 21, 1]]);
    expect(await summaryTotal(OTHER_UNIT)).toBe(1);
    const res = await postBatch(ctx.app, [atU001('a'), march('x', ANNA)], ehr);
    expect(res.statusCode, res.body).toBe(200);
    expect(await atU002()).toEqual([['2026-03-01', 31, 2]]);
  });

  it('a write for a patient who left the unit’s window takes them out of the patched list', async () => {
    // Tolvan is U002's patient through b; once b is revoked, a write at U001 must not bring them back to U002.
    const b = march('b', TOLVAN, { unit: { id: OTHER_UNIT, name: 'Söder' } });
    expect((await postCertificate(ctx.app, b, ehr)).statusCode).toBe(201);
    expect(await atU002()).toHaveLength(1);
    expect((await revoke(ctx.app, 'b', undefined, ehr)).statusCode).toBe(200);
    expect((await postCertificate(ctx.app, march('a', TOLVAN), ehr)).statusCode).toBe(201);
    expect(await atU002()).toEqual([]);
    expect(await patientsOn(UNIT)).toEqual([TOLVAN]);
  });
});

describe('a case list a few writes old is patched, not rebuilt', () => {
  const overview = async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/v1/units/${UNIT}/sick-leaves?activeOn=${ON}&limit=100`,
      headers: coordinator,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const patient = (n: number) => personnummer('19800115', 100 + n);

  it('and answers exactly what a list built from scratch answers', async () => {
    const batch = Array.from({ length: 12 }, (_, n) => march(`p-${n}`, patient(n)));
    expect((await postBatch(ctx.app, batch, ehr)).statusCode).toBe(200);
    expect((await overview()).total).toBe(12);
    // Extend one case, end another early, revoke a third, add a patient, and move one to the other unit.
    const writes = [
      march('p-0b', patient(0), { periods: [{ degree: 50, start: '2026-04-01', end: '2026-04-30' }] }),
      march('p-1b', patient(1), {
        signedAt: '2026-03-05T09:00:00Z',
        periods: [{ degree: 25, start: '2026-03-01', end: '2026-03-10' }],
        relation: { kind: 'replaces', certificateId: 'p-1' },
      }),
      march('p-new', patient(40)),
      march('p-3b', patient(3), {
        unit: { id: OTHER_UNIT, name: 'Söder' },
        relation: { kind: 'replaces', certificateId: 'p-3' },
      }),
    ];
    for (const w of writes) expect((await postCertificate(ctx.app, w, ehr)).statusCode).toBe(201);
    expect((await revoke(ctx.app, 'p-2', { reason: 'wrong patient' }, ehr)).statusCode).toBe(200);

    const changed = await queryRows<{ patient_id: string }>(
      ctx.database.db,
      sql`select distinct patient_id from unit_case_changes where unit_id = ${UNIT} order by patient_id`,
    );
    expect(changed.map((r) => r.patient_id)).toEqual(
      [...new Set(batch.map((b) => (b.patient as { id: string }).id).concat(patient(40)))].sort(),
    );

    const patched = await overview();
    ctx.app.services.sickLeaves.caseCache.clear();
    const fromScratch = await overview();
    expect(patched).toEqual(fromScratch);
    expect(patched.total).toBe(10); // 12 + 1 new − 1 revoked − 1 moved to the other unit
  });

  it('keeps the changes of the newest versions only, pruning every 64th version', async () => {
    expect((await postCertificate(ctx.app, march('q-1', TOLVAN), ehr)).statusCode).toBe(201);
    await ctx.database.db.execute(sql`update unit_case_versions set version = 2047 where unit_id = ${UNIT}`);
    await ctx.database.db.execute(sql`delete from unit_case_changes`);
    await ctx.database.db.execute(
      sql`insert into unit_case_changes (unit_id, version, patient_id) values (${UNIT}, 1000, ${ANNA}), (${UNIT}, 1100, ${ANNA})`,
    );
    expect((await postCertificate(ctx.app, march('q-2', ANNA), ehr)).statusCode).toBe(201); // version 2048
    const kept = await queryRows<{ version: string }>(
      ctx.database.db,
      sql`select version::text from unit_case_changes where unit_id = ${UNIT} order by version`,
    );
    expect(kept.map((r) => r.version)).toEqual(['1100', '2048']);
  });
});

describe('CaseCache', () => {
  it('hands an entry behind the asked version to refresh, with the version it was built at', async () => {
    const cache = new CaseCache<string>(4);
    let builds = 0;
    const build = async () => `built ${++builds}`;
    const refresh = async (previous: string, version: string) => `${previous} + since ${version}`;
    expect(await cache.get('k', '1', build, refresh)).toBe('built 1');
    expect(await cache.get('k', '3', build, refresh)).toBe('built 1 + since 1');
    expect(await cache.get('k', '3', build, refresh)).toBe('built 1 + since 1');
    expect(builds).toBe(1);
  });

  it('serves a hit while the version is unchanged and rebuilds when it changes', async () => {
    const cache = new CaseCache<number>(4);
    let builds = 0;
    const build = async () => ++builds;
    expect(await cache.get('k', '1', build)).toBe(1);
    expect(await cache.get('k', '1', build)).toBe(1);
    expect(await cache.get('k', '2', build)).toBe(2);
    expect(await cache.get('k', '2', build)).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('a reader holding an older version is answered without replacing the newer entry', async () => {
    const cache = new CaseCache<string>(4);
    await cache.get('k', '5', async () => 'v5');
    expect(await cache.get('k', '4', async () => 'v4')).toBe('v4');
    expect(await cache.get('k', '5', async () => 'rebuilt')).toBe('v5');
  });

  it('concurrent misses on one key share one build', async () => {
    const cache = new CaseCache<number>(4);
    let builds = 0;
    const build = () => new Promise<number>((resolve) => setTimeout(() => resolve(++builds), 5));
    const answers = await Promise.all([cache.get('k', '1', build), cache.get('k', '1', build)]);
    expect(answers).toEqual([1, 1]);
    expect(builds).toBe(1);
  });

  it('evicts the least recently used key beyond its size', async () => {
    const cache = new CaseCache<string>(2);
    await cache.get('a', '1', async () => 'a');
    await cache.get('b', '1', async () => 'b');
    await cache.get('a', '1', async () => 'a again'); // a is now the most recent
    await cache.get('c', '1', async () => 'c');
    expect(await cache.get('a', '1', async () => 'a rebuilt')).toBe('a');
    expect(await cache.get('b', '1', async () => 'b rebuilt')).toBe('b rebuilt');
  });

  it('bounds the cases it holds in all, evicting the least recently used: memory follows cases, not keys', async () => {
    // Entries are sized by their value's length here (the service sizes a case list by its cases).
    const cache = new CaseCache<string>(10, { maxSize: 10, sizeOf: (v) => v.length });
    await cache.get('a', '1', async () => 'aaaa');
    await cache.get('b', '1', async () => 'bbbb');
    expect(cache.heldSize).toBe(8);
    await cache.get('c', '1', async () => 'cccc'); // 12 > 10: a, the least recent, goes
    expect(cache.heldSize).toBe(8);
    expect(await cache.get('a', '1', async () => 'a rebuilt')).toBe('a rebuilt');
    // One value larger than the whole bound is answered, not kept.
    expect(await cache.get('huge', '1', async () => 'x'.repeat(11))).toHaveLength(11);
    expect(await cache.get('huge', '1', async () => 'rebuilt')).toBe('rebuilt');
    expect(cache.heldSize).toBeLessThanOrEqual(10);
  });

  it('forgets a failed build', async () => {
    const cache = new CaseCache<string>(2);
    await expect(cache.get('k', '1', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', '1', async () => 'ok')).toBe('ok');
  });

  it('with size 0 builds every time', async () => {
    const cache = new CaseCache<number>(0);
    let builds = 0;
    await cache.get('k', '1', async () => ++builds);
    await cache.get('k', '1', async () => ++builds);
    expect(builds).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('SICK_LEAVE_CACHE_ENTRIES sets the size; nonsense stops start-up naming the variable', () => {
    expect(loadConfig({ SICK_LEAVE_CACHE_ENTRIES: '0' }).sickLeaveCacheEntries).toBe(0);
    expect(loadConfig({ SICK_LEAVE_CACHE_ENTRIES: '10' }).sickLeaveCacheEntries).toBe(10);
    expect(() => loadConfig({ SICK_LEAVE_CACHE_ENTRIES: 'many' })).toThrow(/SICK_LEAVE_CACHE_ENTRIES/);
    expect(loadConfig({}).sickLeaveCacheEntries).toBe(64);
  });
});
