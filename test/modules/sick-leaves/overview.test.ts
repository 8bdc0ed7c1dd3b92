import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../../src/db/client.js';
import { useTestApp } from '../../helpers/app.js';
import {
  bearer,
  CARE_GIVER,
  COORDINATOR,
  DOCTOR,
  OTHER_CARE_GIVER,
  OTHER_DOCTOR,
  OTHER_UNIT,
  UNIT,
} from '../../helpers/tokens.js';
import { auditReads, givenCertificate, givenCoordinationStatus, personnummer } from './given.js';

const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' }); // no load shedding: other suites share the machine
const ON = '2026-03-15';
const TOLVAN = '191212121212'; // man, 113 on ON
const ANNA = '200001012384'; // woman, 26
const BERTIL = '196408233234'; // man, 61
const coordinator = bearer({ role: 'coordinator' });
const doctor = bearer({ role: 'doctor' });

type Item = {
  patient: { id: string; name: string; age: number; gender: string };
  days: number;
  start: string;
  end: string;
  status: string;
  coordinationStatus?: string;
};

async function list(query: string, headers: Record<string, string> = coordinator, unit = UNIT) {
  const res = await ctx.app.inject({
    method: 'GET',
    url: `/v1/units/${unit}/sick-leaves?activeOn=${ON}${query ? `&${query}` : ''}`,
    headers,
  });
  return res;
}

async function ids(query: string, headers: Record<string, string> = coordinator): Promise<string[]> {
  const res = await list(query, headers);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items.map((i: Item) => i.patient.id);
}

/** Three patients at the unit on ON: Tolvan (F-diagnosis, 100 %, 15 days), Anna (M, 50 %, 46 days), Bertil (F, 25 %). */
async function givenThreeCases() {
  const db = ctx.database.db;
  await givenCertificate(db, {
    patientId: TOLVAN,
    patientName: 'Tolvan Tolvansson',
    periods: [[100, '2026-03-10', '2026-03-24']],
    diagnoses: ['F321', 'Z730'],
  });
  await givenCertificate(db, {
    patientId: ANNA,
    patientName: 'Anna Andersson',
    doctorId: OTHER_DOCTOR,
    doctorName: 'Dr Other',
    periods: [[50, '2026-02-01', '2026-03-18']],
    diagnoses: ['M545'],
  });
  await givenCertificate(db, {
    patientId: BERTIL,
    patientName: 'Bertil Berg',
    periods: [
      [100, '2025-12-01', '2026-01-31'],
      [25, '2026-02-01', '2026-04-30'],
    ],
    diagnoses: ['F432'],
    signedAt: '2025-11-30T10:00:00Z',
  });
}

// A unit of the other care giver (a unit belongs to one care giver).
const THEIR_UNIT = 'SE2321000099-U901';

describe('GET /v1/units/{unitId}/sick-leaves', () => {
  it('lists the unit’s active cases with the full item shape', async () => {
    await givenThreeCases();
    const res = await list('sort=start');
    expect(res.statusCode).toBe(200);
    const page = res.json();
    expect(page).toMatchObject({ total: 3, nextCursor: null, activeOn: ON, maxGapDays: 5 });
    expect(page.items.map((i: Item) => i.patient.id)).toEqual([BERTIL, ANNA, TOLVAN]);
    expect(page.items[2]).toEqual({
      patient: { id: TOLVAN, name: 'Tolvan Tolvansson', age: 113, gender: 'M' },
      start: '2026-03-10',
      end: '2026-03-24',
      days: 15,
      degree: 100,
      degrees: [{ degree: 100, start: '2026-03-10', end: '2026-03-24' }],
      diagnosis: { code: 'F321', chapter: 'F00-F99' },
      secondaryDiagnoses: [{ code: 'Z730', chapter: 'Z00-Z99' }],
      certificateCount: 1,
      doctors: [{ id: DOCTOR, name: 'Dr Lisa Läkare' }],
      status: 'active',
    });
    expect(page.items[0]).toMatchObject({
      days: 151,
      degree: 25,
      degrees: [
        { degree: 100, start: '2025-12-01', end: '2026-01-31' },
        { degree: 25, start: '2026-02-01', end: '2026-04-30' },
      ],
    });
  });

  it('lists the patients with a counted certificate at the unit, each case built from all their counted certificates within the caller’s care giver', async () => {
    const db = ctx.database.db;
    await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2026-03-01', '2026-03-31']] });
    // Only at another unit, or only at this unit uncounted, or at another care giver: not this unit's patient.
    await givenCertificate(db, { patientId: ANNA, unitId: OTHER_UNIT, periods: [[100, '2026-03-01', '2026-03-31']] });
    await givenCertificate(db, {
      patientId: BERTIL,
      careGiverId: OTHER_CARE_GIVER,
      unitId: THEIR_UNIT,
      periods: [[100, '2026-03-01', '2026-03-31']],
    });
    await givenCertificate(db, { patientId: ANNA, counts: false, periods: [[100, '2026-03-01', '2026-03-31']] });
    // A counted certificate of another unit of the care giver that chains lengthens this unit's case; one of another
    // care giver, or one that does not count, does not.
    await givenCertificate(db, { patientId: TOLVAN, unitId: OTHER_UNIT, periods: [[100, '2026-02-01', '2026-02-28']] });
    await givenCertificate(db, {
      patientId: TOLVAN,
      careGiverId: OTHER_CARE_GIVER,
      unitId: THEIR_UNIT,
      periods: [[100, '2026-01-20', '2026-01-31']],
    });
    await givenCertificate(db, {
      patientId: TOLVAN,
      unitId: OTHER_UNIT,
      counts: false,
      periods: [[100, '2026-01-20', '2026-01-31']],
    });
    const res = await list('');
    expect(
      res.json().items.map((i: Item & { certificateCount: number }) => [i.patient.id, i.start, i.certificateCount]),
    ).toEqual([[TOLVAN, '2026-02-01', 2]]);
  });

  it('defaults activeOn to today in Sweden', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: `/v1/units/${UNIT}/sick-leaves`, headers: coordinator });
    expect(res.statusCode).toBe(200);
    expect(res.json().activeOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('a doctor sees only the cases whose active certificate they signed; a coordinator sees all', async () => {
    await givenThreeCases();
    expect((await ids('', doctor)).sort()).toEqual([BERTIL, TOLVAN].sort());
    expect(await ids('', bearer({ role: 'doctor', sub: OTHER_DOCTOR }))).toEqual([ANNA]);
    expect((await ids('', coordinator)).sort()).toEqual([ANNA, BERTIL, TOLVAN].sort());
  });

  it('a doctor who signed an earlier certificate but not the active one does not see the case', async () => {
    const db = ctx.database.db;
    await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2026-03-01', '2026-03-10']] });
    await givenCertificate(db, {
      patientId: TOLVAN,
      doctorId: OTHER_DOCTOR,
      signedAt: '2026-03-10T08:00:00Z',
      periods: [[50, '2026-03-11', '2026-03-31']],
    });
    expect(await ids('', doctor)).toEqual([]);
    expect(await ids('', bearer({ role: 'doctor', sub: OTHER_DOCTOR }))).toEqual([TOLVAN]);
  });

  describe('403 matrix', () => {
    const paths = [`/v1/units/${UNIT}/sick-leaves`, `/v1/units/${UNIT}/sick-leaves/summary`];
    it.each([
      ['a coordinator of another unit', bearer({ role: 'coordinator', units: [OTHER_UNIT] })],
      ['a doctor of another unit', bearer({ role: 'doctor', units: [OTHER_UNIT] })],
      ['an EHR system of the unit', bearer({ role: 'ehr' })],
      ['an auditor of the unit', bearer({ role: 'auditor' })],
    ])('%s gets 403 on the overview, the summary and the history', async (_who, headers) => {
      for (const url of paths) {
        const res = await ctx.app.inject({ method: 'GET', url, headers });
        expect(res.statusCode).toBe(403);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      const history = await ctx.app.inject({
        method: 'POST',
        url: '/v1/patients/sick-leave-history',
        headers,
        payload: { patientId: TOLVAN, unitId: UNIT },
      });
      expect(history.statusCode).toBe(403);
    });

    it('no token is 401', async () => {
      const res = await ctx.app.inject({ method: 'GET', url: paths[0]! });
      expect(res.statusCode).toBe(401);
    });

    it('writes no audit event when refused', async () => {
      await givenThreeCases();
      await list('', bearer({ role: 'coordinator', units: [OTHER_UNIT] }));
      expect(await auditReads(ctx.database.db)).toEqual([]);
    });
  });

  describe('filters', () => {
    it('doctorId: the doctor who signed the active certificate', async () => {
      await givenThreeCases();
      expect(await ids(`doctorId=${OTHER_DOCTOR}`)).toEqual([ANNA]);
    });

    it('diagnosisChapter: chapter of the main diagnosis', async () => {
      await givenThreeCases();
      expect((await ids('diagnosisChapter=F00-F99')).sort()).toEqual([BERTIL, TOLVAN].sort());
      expect(await ids('diagnosisChapter=M00-M99')).toEqual([ANNA]);
      expect(await ids('diagnosisChapter=Z00-Z99')).toEqual([]);
    });

    it('minDays and maxDays are inclusive', async () => {
      await givenThreeCases();
      expect((await ids('minDays=46')).sort()).toEqual([ANNA, BERTIL].sort());
      expect(await ids('minDays=47&maxDays=150')).toEqual([]);
      expect(await ids('maxDays=15')).toEqual([TOLVAN]);
      expect(await ids('minDays=46&maxDays=46')).toEqual([ANNA]);
    });

    it('a range whose least is over its most is 400 naming it, on the overview, the summary and the search', async () => {
      await givenThreeCases();
      const days = await list('minDays=50&maxDays=10');
      expect(days.statusCode).toBe(400);
      expect(days.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(days.json().errors).toEqual([{ path: 'query.minDays', message: 'must not be over maxDays' }]);
      const summary = await ctx.app.inject({
        method: 'GET',
        url: `/v1/units/${UNIT}/sick-leaves/summary?activeOn=${ON}&minAge=60&maxAge=20&minDays=2&maxDays=1`,
        headers: coordinator,
      });
      expect(summary.statusCode).toBe(400);
      expect(summary.json().errors.map((e: { path: string }) => e.path)).toEqual(['query.minDays', 'query.minAge']);
      const search = await ctx.app.inject({
        method: 'POST',
        url: `/v1/units/${UNIT}/sick-leaves/search`,
        headers: coordinator,
        payload: { activeOn: ON, minAge: 30, maxAge: 29 },
      });
      expect(search.statusCode).toBe(400);
      expect(search.json().errors).toEqual([{ path: 'minAge', message: 'must not be over maxAge' }]);
      // Equal ends are one value, not empty.
      expect(await ids('minDays=46&maxDays=46')).toEqual([ANNA]);
    });

    it('a query parameter given twice is 400 saying so (it was told "must be a whole number in digits")', async () => {
      for (const query of ['limit=1&limit=2', 'gender=F&gender=M', 'degree=25&degree=50', 'minDays=1&minDays=1']) {
        const res = await list(query);
        expect(res.statusCode, query).toBe(400);
        const name = query.split('=')[0];
        expect(res.json().errors, query).toEqual([
          { path: `query.${name}`, message: 'is given more than once (it takes one value)' },
        ]);
      }
      // activeOn is given by list() already: given again, it is named too.
      expect((await list(`activeOn=${ON}`)).json().errors[0].path).toBe('query.activeOn');
    });

    it('minAge and maxAge on activeOn', async () => {
      await givenThreeCases();
      expect(await ids('maxAge=26')).toEqual([ANNA]);
      expect(await ids('minAge=27&maxAge=61')).toEqual([BERTIL]);
      expect(await ids('minAge=62')).toEqual([TOLVAN]);
    });

    it('gender from the personal identity number', async () => {
      await givenThreeCases();
      expect(await ids('gender=F')).toEqual([ANNA]);
      expect((await ids('gender=M')).sort()).toEqual([BERTIL, TOLVAN].sort());
    });

    it('degree: the degree on activeOn', async () => {
      await givenThreeCases();
      expect(await ids('degree=25')).toEqual([BERTIL]);
      expect(await ids('degree=50')).toEqual([ANNA]);
      expect(await ids('degree=75')).toEqual([]);
    });

    it('q: part of the patient’s name, any case, only in a POST body (a name never travels in a URL)', async () => {
      await givenThreeCases();
      const search = async (body: Record<string, unknown>) => {
        const res = await ctx.app.inject({
          method: 'POST',
          url: `/v1/units/${UNIT}/sick-leaves/search`,
          headers: coordinator,
          payload: { activeOn: ON, ...body },
        });
        expect(res.statusCode, res.body).toBe(200);
        return res.json();
      };
      const names = async (body: Record<string, unknown>) => (await search(body)).items.map((i: Item) => i.patient.id);
      expect(await names({ q: 'ANDERS' })).toEqual([ANNA]);
      expect((await names({ q: 'er' })).sort()).toEqual([ANNA, BERTIL].sort());
      expect(await names({ q: 'nobody' })).toEqual([]);
      // The same answer as the GET without q, pages included (the cursor goes back in the body).
      expect(await names({ sort: 'start' })).toEqual(await ids('sort=start'));
      const first = await search({ q: 'er', sort: 'start', limit: 1 });
      const second = await search({ q: 'er', sort: 'start', limit: 1, cursor: first.nextCursor });
      expect([first.items[0].patient.id, second.items[0].patient.id]).toEqual([BERTIL, ANNA]);
      expect(second.nextCursor).toBeNull();
      const inUrl = await list('q=ANDERS');
      expect(inUrl.statusCode).toBe(400);
      expect(inUrl.json().errors[0].message).toMatch(/POST \/v1\/units\/\{unitId\}\/sick-leaves\/search/);
      // Nor on the POST itself: a q in its URL was ignored and the unfiltered page answered.
      const postInUrl = await ctx.app.inject({
        method: 'POST',
        url: `/v1/units/${UNIT}/sick-leaves/search?q=ANDERS`,
        headers: coordinator,
        payload: { activeOn: ON },
      });
      expect(postInUrl.statusCode).toBe(400);
      expect(postInUrl.json().errors[0]).toMatchObject({ path: 'query.q', message: expect.stringMatching(/body/) });
      // Names are stored composed (NFC); a query spelled decomposed (a and a combining ring, as macOS input may send
      // it) finds them too, and one that shows nothing is refused as a name that shows nothing is.
      const asa = personnummer('19800101', 1);
      await givenCertificate(ctx.database.db, {
        patientId: asa,
        patientName: 'Åsa Öberg',
        periods: [[100, '2026-03-10', '2026-03-24']],
        diagnoses: ['F321'],
      });
      expect(await names({ q: 'a\u030asa' })).toEqual([asa]);
      expect(await names({ q: 'O\u0308berg' })).toEqual([asa]);
      for (const q of ['\u200b', '\u3164']) {
        const res = await ctx.app.inject({
          method: 'POST',
          url: `/v1/units/${UNIT}/sick-leaves/search`,
          headers: coordinator,
          payload: { activeOn: ON, q },
        });
        expect(res.statusCode, q).toBe(400);
        expect(res.json().errors[0]).toMatchObject({ path: 'q', message: 'must hold a character that shows' });
      }
    });

    it('the search body takes JSON numbers as numbers, and nothing else for them', async () => {
      await givenThreeCases();
      const search = (body: Record<string, unknown>) =>
        ctx.app.inject({
          method: 'POST',
          url: `/v1/units/${UNIT}/sick-leaves/search`,
          headers: coordinator,
          payload: { activeOn: ON, ...body },
        });
      const badDegree = await search({ degree: 60 });
      expect(badDegree.json().errors[0].message).toMatch(/25.*50.*75.*100/);
      const byDegree = await search({ degree: 50 });
      expect(byDegree.statusCode, byDegree.body).toBe(200);
      expect(byDegree.json().items.map((i: Item) => i.patient.id)).toEqual([ANNA]);
      expect((await search({ limit: 2, minAge: 20 })).statusCode).toBe(200);
      // Coerced, these read as 0, 1 or 5: null took the gap's default away.
      for (const bad of [
        { maxGapDays: null },
        { minDays: '' },
        { limit: true },
        { maxGapDays: [5] },
        { degree: '50' },
      ]) {
        const res = await search(bad);
        expect(res.statusCode, JSON.stringify(bad)).toBe(400);
        expect(res.json().errors[0].path, JSON.stringify(bad)).toBe(Object.keys(bad)[0]);
      }
      const cursor = await search({ cursor: 'not-a-cursor-of-ours-at-all-0123456789abcdef' });
      expect(cursor.statusCode).toBe(400);
      expect(cursor.json().errors[0].path).toBe('cursor');
    });

    it('a parameter given as nothing counts as not given (it read as 0: maxDays= answered an empty list)', async () => {
      await givenThreeCases();
      const all = await ids('');
      expect(all).toHaveLength(3);
      expect(await ids('maxDays=&maxAge=%20&degree=')).toEqual(all);
      const page = (await list('maxGapDays=')).json();
      expect(page.maxGapDays).toBe(5);
      // Only a parameter the operation has: an unknown one given as nothing is still refused (a personnummer as a
      // bare key was dropped and the unfiltered list answered), and so is the GET's q however empty.
      for (const query of ['191212121212', 'Tolvan%20Tolvansson=', 'q=%20', 'q=']) {
        const res = await list(query);
        expect(res.statusCode, query).toBe(400);
      }
    });

    it('a number in the query string is digits only: 0x10, 1e1, +5, 5.0 and " 5" are 400 (Number() read 0x10 as 16)', async () => {
      for (const query of [
        'maxGapDays=0x10',
        'maxGapDays=1e1',
        'maxGapDays=%2B5',
        'limit=5.0',
        'minAge=%205',
        'limit=0x2',
      ]) {
        const res = await list(query);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().errors[0], query).toEqual({
          path: `query.${query.split('=')[0]}`,
          message: 'must be a whole number in digits',
        });
      }
      expect((await list('maxGapDays=05')).json().maxGapDays).toBe(5);
      expect((await list('maxGapDays=91')).json().errors[0].message).toMatch(/90/);
      // Digits, but too many: the answer names the bound, not the form.
      expect((await list('limit=99999999999999999999')).json().errors[0].message).toMatch(/500/);
    });

    it('a parameter the operation does not have is a 400 naming it, not an unfiltered answer', async () => {
      for (const query of ['gendr=F', 'q=Anna']) {
        const res = await list(query);
        expect(res.statusCode, query).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(JSON.stringify(res.json().errors), query).toContain(query.split('=')[0]);
      }
      const summary = await ctx.app.inject({
        url: `/v1/units/${UNIT}/sick-leaves/summary?activeOn=${ON}&limit=5`,
        headers: coordinator,
      });
      expect(summary.statusCode).toBe(400);
    });

    it('recentlyEndedDays also shows cases that ended at most that many days before, as ended', async () => {
      const db = ctx.database.db;
      await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2026-03-01', '2026-03-12']] });
      expect(await ids('')).toEqual([]);
      expect(await ids('recentlyEndedDays=2')).toEqual([]);
      const res = await list('recentlyEndedDays=3');
      expect(res.json().items.map((i: Item) => [i.patient.id, i.status])).toEqual([[TOLVAN, 'ended']]);
    });

    it('maxGapDays decides whether two certificates make one case', async () => {
      const db = ctx.database.db;
      await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2026-03-01', '2026-03-05']] });
      await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2026-03-12', '2026-03-31']] });
      const wide = (await list('maxGapDays=6')).json();
      expect(wide).toMatchObject({ maxGapDays: 6, items: [{ start: '2026-03-01', days: 25 }] });
      const narrow = (await list('maxGapDays=5')).json();
      expect(narrow).toMatchObject({ maxGapDays: 5, items: [{ start: '2026-03-12', days: 20 }] });
    });

    it('chains on the latest end so far when loading, not on the previous certificate’s end', async () => {
      const db = ctx.database.db;
      await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2025-10-01', '2026-02-28']] });
      await givenCertificate(db, { patientId: TOLVAN, periods: [[50, '2025-10-10', '2025-10-20']] });
      await givenCertificate(db, { patientId: TOLVAN, periods: [[25, '2026-03-04', '2026-03-31']] });
      // An older case, more than maxGapDays before: not part of this one.
      await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2025-08-01', '2025-09-20']] });
      const page = (await list('')).json();
      expect(page.items).toMatchObject([{ start: '2025-10-01', end: '2026-03-31', certificateCount: 3, degree: 25 }]);
    });

    it('coordinationStatus: the latest status set inside the case’s dates', async () => {
      await givenThreeCases();
      const db = ctx.database.db;
      await givenCoordinationStatus(db, { patientId: TOLVAN, status: 'contacted', setOn: '2026-03-11' });
      await givenCoordinationStatus(db, {
        patientId: TOLVAN,
        status: 'active',
        setOn: '2026-03-12',
        setAt: '2026-03-12T10:00:00Z',
      });
      // Before Anna's case started: does not apply to it.
      await givenCoordinationStatus(db, { patientId: ANNA, status: 'closed', setOn: '2026-01-10' });
      // Another unit's status does not show here.
      await givenCoordinationStatus(db, {
        patientId: BERTIL,
        status: 'closed',
        setOn: '2026-03-01',
        unitId: OTHER_UNIT,
      });
      expect(await ids('coordinationStatus=active')).toEqual([TOLVAN]);
      expect(await ids('coordinationStatus=closed')).toEqual([]);
      const items: Item[] = (await list('sort=start')).json().items;
      expect(items.map((i) => [i.patient.id, i.coordinationStatus])).toEqual([
        [BERTIL, undefined],
        [ANNA, undefined],
        [TOLVAN, 'active'],
      ]);
    });

    it('coordinationStatus as of activeOn: a status set on a later day of the case is not yet seen', async () => {
      const db = ctx.database.db;
      await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2026-03-01', '2026-04-30']] });
      const set = (status: string, setOn: string) =>
        givenCoordinationStatus(db, { patientId: TOLVAN, status, setOn, setAt: `${setOn}T10:00:00Z` });
      await set('contacted', '2026-03-10');
      await set('closed', '2026-03-20');
      const items: Item[] = (await list('')).json().items;
      expect(items.map((i) => [i.patient.id, i.coordinationStatus])).toEqual([[TOLVAN, 'contacted']]);
      expect(await ids('coordinationStatus=closed')).toEqual([]);
      const later: Item[] = (
        await ctx.app.inject({ url: `/v1/units/${UNIT}/sick-leaves?activeOn=2026-03-20`, headers: coordinator })
      ).json().items;
      expect(later.map((i) => i.coordinationStatus)).toEqual(['closed']);
    });

    it('coordinationStatus as of activeOn goes by the day each applies from, not by when it was recorded', async () => {
      const db = ctx.database.db;
      await givenCertificate(db, { patientId: TOLVAN, periods: [[100, '2026-03-01', '2026-04-30']] });
      const set = (status: string, setOn: string, recordedOn = setOn) =>
        givenCoordinationStatus(db, { patientId: TOLVAN, status, setOn, setAt: `${recordedOn}T10:00:00Z` });
      await set('contacted', '2026-03-05');
      await set('closed', '2026-03-12');
      // Recorded last, but backdated to a day before the closing: on the 15th the case is closed.
      await set('follow_up', '2026-03-08', '2026-03-14');
      const items: Item[] = (await list('')).json().items;
      expect(items.map((i) => i.coordinationStatus)).toEqual(['closed']);
      expect(await ids('coordinationStatus=closed')).toEqual([TOLVAN]);
      expect(await ids('coordinationStatus=follow_up')).toEqual([]);
    });

    it('coordinationStatus of a recently ended case: also one set after its end, up to activeOn', async () => {
      const db = ctx.database.db;
      await givenCertificate(db, { patientId: BERTIL, periods: [[100, '2026-02-20', '2026-03-12']] });
      const set = (status: string, setOn: string) =>
        givenCoordinationStatus(db, { patientId: BERTIL, status, setOn, setAt: `${setOn}T10:00:00Z` });
      await set('contacted', '2026-03-01');
      // Closed two days after the case ended; one set after activeOn is not yet seen on it.
      await set('closed', '2026-03-14');
      await set('follow_up', '2026-03-16');
      const items: Item[] = (await list('recentlyEndedDays=5')).json().items;
      expect(items.map((i) => [i.patient.id, i.status, i.coordinationStatus])).toEqual([[BERTIL, 'ended', 'closed']]);
      expect(await ids('recentlyEndedDays=5&coordinationStatus=closed')).toEqual([BERTIL]);
    });

    it.each([
      'maxGapDays=91',
      'maxGapDays=-1',
      'recentlyEndedDays=15',
      'limit=0',
      'limit=501',
      'gender=X',
      'degree=30',
      'diagnosisChapter=F00',
      'sort=name',
      'activeOn=2026-02-30',
      'coordinationStatus=happy',
      'minAge=abc',
      'cursor=not*a*cursor',
    ])('%s is a 400 problem naming the parameter', async (query) => {
      const res = await list(query);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors[0].path).toMatch(new RegExp(`^query\\.${query.split('=')[0]}`));
    });
  });

  describe('sorting and pagination', () => {
    it.each([
      ['start', [BERTIL, ANNA, TOLVAN]],
      ['-start', [TOLVAN, ANNA, BERTIL]],
      ['days', [TOLVAN, ANNA, BERTIL]],
      ['-days', [BERTIL, ANNA, TOLVAN]],
      ['end', [ANNA, TOLVAN, BERTIL]],
      ['-end', [BERTIL, TOLVAN, ANNA]],
      ['age', [ANNA, BERTIL, TOLVAN]],
      ['-age', [TOLVAN, BERTIL, ANNA]],
    ])('sort=%s', async (sort, expected) => {
      await givenThreeCases();
      expect(await ids(`sort=${sort}`)).toEqual(expected);
    });

    it('pages neither skip nor repeat a case, ties broken by patient id', async () => {
      const db = ctx.database.db;
      const patients: string[] = [];
      for (let i = 0; i < 11; i++) {
        const id = personnummer(`1980${String((i % 12) + 1).padStart(2, '0')}15`, 100 + i);
        patients.push(id);
        // Four distinct lengths, so many ties on days.
        await givenCertificate(db, { patientId: id, periods: [[100, `2026-03-0${1 + (i % 4)}`, '2026-03-31']] });
      }
      for (const sort of ['days', '-days', 'start', '-age']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res = await list(`sort=${sort}&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
          expect(res.statusCode).toBe(200);
          const page = res.json();
          expect(page.total).toBe(11);
          seen.push(...page.items.map((i: Item) => i.patient.id));
          cursor = page.nextCursor;
          pages += 1;
        } while (cursor && pages < 10);
        expect(pages).toBe(3);
        expect(seen).toHaveLength(11);
        expect(new Set(seen)).toEqual(new Set(patients));
        expect(seen).toEqual(await ids(`sort=${sort}&limit=500`));
      }
    });

    it('a case added between pages is neither skipped nor repeated among the ones already seen', async () => {
      const db = ctx.database.db;
      await givenThreeCases();
      const first = (await list('sort=start&limit=2')).json();
      expect(first.items.map((i: Item) => i.patient.id)).toEqual([BERTIL, ANNA]);
      await givenCertificate(db, {
        patientId: personnummer('19900101', 555),
        periods: [[100, '2026-01-15', '2026-03-31']],
      });
      const second = (await list(`sort=start&limit=2&cursor=${first.nextCursor}`)).json();
      expect(second.items.map((i: Item) => i.patient.id)).toEqual([TOLVAN]);
    });

    it('a cursor used with other filters or another sort is refused', async () => {
      await givenThreeCases();
      const first = (await list('sort=start&limit=1')).json();
      for (const other of ['sort=-start', 'sort=start&gender=F', 'sort=start&maxGapDays=7']) {
        const res = await list(`${other}&limit=1&cursor=${first.nextCursor}`);
        expect(res.statusCode).toBe(400);
        expect(res.json().errors[0].path).toBe('query.cursor');
      }
      const garbage = await list('limit=1&cursor=eyJmb28iOjF9');
      expect(garbage.statusCode).toBe(400);
      // Same query, another page size: still valid.
      expect((await list(`sort=start&limit=2&cursor=${first.nextCursor}`)).statusCode).toBe(200);
      // Another caller's request, a doctor's list or another coordinator's, refuses it: it pages the list it came from.
      for (const headers of [bearer({ role: 'doctor' }), bearer({ role: 'coordinator', sub: 'SE2321000016-K002' })]) {
        const res = await list(`sort=start&limit=1&cursor=${first.nextCursor}`, headers);
        expect(res.statusCode).toBe(400);
        expect(res.json().errors[0].path).toBe('query.cursor');
      }
    });

    it('a cursor shows nothing of the page it follows, and one altered is refused', async () => {
      await givenThreeCases();
      const first = (await list('sort=start&limit=1')).json();
      expect(first.items[0].patient.id).toBe(BERTIL);
      const cursor: string = first.nextCursor;
      // The cursor goes into a URL; it used to carry the page's last patient (the tie-break) in plain base64.
      const opened = Buffer.from(cursor, 'base64url');
      for (const text of [cursor, opened.toString('latin1'), opened.toString('utf8')]) {
        expect(text).not.toContain(BERTIL);
        expect(text).not.toContain('2026-');
      }
      expect((await list('sort=start&limit=1')).json().nextCursor).not.toBe(cursor);
      const at = Math.floor(cursor.length / 2);
      const altered = `${cursor.slice(0, at)}${cursor[at] === 'A' ? 'B' : 'A'}${cursor.slice(at + 1)}`;
      const refused = await list(`sort=start&limit=1&cursor=${altered}`);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().errors[0].path).toBe('query.cursor');
      expect((await list(`sort=start&limit=1&cursor=${cursor}`)).json().items[0].patient.id).toBe(ANNA);
    });
  });

  describe('audit', () => {
    it('writes one read event per patient on the page, none for the others', async () => {
      await givenThreeCases();
      await list('sort=start&limit=2');
      const events = await auditReads(ctx.database.db);
      expect(events).toEqual([
        { patient_id: BERTIL, resource: 'sick_leave', action: 'read' },
        { patient_id: ANNA, resource: 'sick_leave', action: 'read' },
      ]);
    });

    it('writes none for an empty page', async () => {
      await givenThreeCases();
      await list('gender=F&minAge=90');
      expect(await auditReads(ctx.database.db)).toEqual([]);
    });
  });
});

describe('GET /v1/units/{unitId}/sick-leaves/summary', () => {
  async function summary(query: string, headers: Record<string, string> = coordinator) {
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/v1/units/${UNIT}/sick-leaves/summary?activeOn=${ON}${query ? `&${query}` : ''}`,
      headers,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  it('counts by gender, chapter, degree and length', async () => {
    await givenThreeCases();
    expect(await summary('')).toEqual({
      total: 3,
      byGender: { F: 1, M: 2 },
      byDiagnosisChapter: [
        { chapter: 'F00-F99', count: 2 },
        { chapter: 'M00-M99', count: 1 },
      ],
      byDegree: { '25': 1, '50': 1, '75': 0, '100': 1 },
      byLength: [
        { bucket: '0-14', count: 0 },
        { bucket: '15-30', count: 1 },
        { bucket: '31-90', count: 1 },
        { bucket: '91-180', count: 1 },
        { bucket: '181-365', count: 0 },
        { bucket: '366+', count: 0 },
      ],
    });
  });

  it.each([
    '',
    'gender=M',
    'diagnosisChapter=F00-F99',
    'minDays=20',
    'degree=100',
    'maxAge=70',
    `doctorId=${DOCTOR}`,
    'recentlyEndedDays=14&maxGapDays=0',
  ])('its total equals the list total for the same filters (%s)', async (query) => {
    await givenThreeCases();
    const listed = await list(query);
    expect((await summary(query)).total).toBe(listed.json().total);
  });

  it('follows the doctor/coordinator split', async () => {
    await givenThreeCases();
    expect((await summary('', doctor)).total).toBe(2);
    expect((await summary('', bearer({ role: 'coordinator', sub: COORDINATOR }))).total).toBe(3);
  });

  it('is audited for the unit; a summary of at most five cases also as a read of each of its patients', async () => {
    await givenThreeCases();
    // minAge narrows it to one patient: that patient's chapter, degree and length, as good as shown.
    await summary('minAge=62');
    const one = await auditReads(ctx.database.db);
    expect(one).toEqual([
      { action: 'read', resource: 'sick_leave_summary', patient_id: null },
      { action: 'read', resource: 'sick_leave_summary', patient_id: TOLVAN },
    ]);

    for (let i = 0; i < 3; i++) {
      await givenCertificate(ctx.database.db, {
        patientId: personnummer('19800101', 10 + i),
        periods: [[100, '2026-03-01', '2026-03-31']],
      });
    }
    await summary('');
    const six = (await auditReads(ctx.database.db)).slice(one.length);
    expect(six).toEqual([{ action: 'read', resource: 'sick_leave_summary', patient_id: null }]);
  });

  it('names in its audit event the day and filters it counted, so that two summaries an auditor sees can be compared', async () => {
    await givenThreeCases();
    await summary('maxAge=66&gender=F');
    const [row] = await queryRows<{ resource_id: string | null }>(
      ctx.database.db,
      sql`select resource_id from audit_events where resource = 'sick_leave_summary' and patient_id is null`,
    );
    expect(row?.resource_id).toBe(`activeOn=${ON}&gender=F&maxAge=66&maxGapDays=5&recentlyEndedDays=0`);
  });

  it('is scoped to the caller’s care giver', async () => {
    await givenThreeCases();
    // Another care giver's coordinator whose token names this unit: it is not theirs (a unit has one care giver).
    const other = bearer({ role: 'coordinator', careGiverId: OTHER_CARE_GIVER });
    const res = await ctx.app.inject({ url: `/v1/units/${UNIT}/sick-leaves/summary?activeOn=${ON}`, headers: other });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().detail).toMatch(/unit of another care giver/);
    expect(CARE_GIVER).not.toBe(OTHER_CARE_GIVER);
  });
});
