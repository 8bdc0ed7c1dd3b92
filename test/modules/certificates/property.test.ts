import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { isValidDate } from '../../../src/domain/calendar.js';
import { parseSignedAt } from '../../../src/domain/certificate-rules.js';
import { isHsaId } from '../../../src/domain/hsa-id.js';
import { normaliseDiagnosisCode } from '../../../src/domain/icd10.js';
import { parsePersonalIdentity } from '../../../src/domain/personal-identity.js';
import { useTestApp } from '../../helpers/app.js';
import { certificateBody, ehrHeaders } from './fixtures.js';

// Load shedding is tested elsewhere; here a busy CI machine must not turn an answer into 503.
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });
const headers = { ...ehrHeaders(), 'content-type': 'application/json' };

type Json = unknown;
type Path = (string | number)[];
type Body = Record<string, Json>;
/** One change that on its own makes a valid certificate invalid. */
type Mutation = (body: Body) => void;

const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object());
const notNumber = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer()), fc.object());
const notBoolean = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.boolean()));
const notArray = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.object());
const notObject = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.integer()));

function set(body: Body, path: (string | number)[], value: Json): void {
  let node: Json = body;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string | number, Json>)[key];
  }
  if (node !== null && typeof node === 'object')
    (node as Record<string | number, Json>)[path[path.length - 1]!] = value;
}

function remove(body: Body, path: string[]): void {
  let node: Json = body;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string, Json>)[key];
  }
  if (node !== null && typeof node === 'object') delete (node as Record<string, Json>)[path[path.length - 1]!];
}

const at =
  (path: (string | number)[]) =>
  (value: Json): Mutation =>
  (b) =>
    set(b, path, value);

const STRING_FIELDS = [
  ['id'],
  ['type'],
  ['patient', 'id'],
  ['patient', 'name'],
  ['issuedBy', 'id'],
  ['unit', 'id'],
  ['unit', 'name'],
  ['careGiver', 'id'],
  ['careGiver', 'name'],
  ['signedAt'],
  ['diagnoses', 0, 'code'],
  ['periods', 0, 'start'],
  ['periods', 1, 'end'],
];
const REQUIRED = [
  ['id'],
  ['type'],
  ['patient'],
  ['patient', 'id'],
  ['issuedBy'],
  ['issuedBy', 'id'],
  ['unit'],
  ['unit', 'name'],
  ['careGiver'],
  ['careGiver', 'id'],
  ['signedAt'],
  ['diagnoses'],
  ['periods'],
  ['occupations'],
];
const OBJECTS = [[], ['patient'], ['issuedBy'], ['unit'], ['careGiver']];
const KNOWN_KEYS = new Set([
  'id',
  'type',
  'patient',
  'issuedBy',
  'unit',
  'careGiver',
  'signedAt',
  'diagnoses',
  'periods',
  'occupations',
  'relation',
  'infectionControl',
  'test',
  'name',
]);

const period = (degree: Json, start: Json, end: Json) => ({ degree, start, end });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom(...STRING_FIELDS).chain((path) => notString.map(at(path))),
  fc.constantFrom<Path>(['periods', 0, 'degree'], ['periods', 1, 'degree']).chain((path) => notNumber.map(at(path))),
  fc.constantFrom<Path>(['infectionControl'], ['test']).chain((path) => notBoolean.map(at(path))),
  fc.constantFrom<Path>(['diagnoses'], ['periods'], ['occupations']).chain((path) => notArray.map(at(path))),
  fc
    .constantFrom<Path>(['patient'], ['issuedBy'], ['unit'], ['careGiver'], ['relation'])
    .chain((path) => notObject.map(at(path))),
  fc.constantFrom(...REQUIRED).map(
    (path): Mutation =>
      (b) =>
        remove(b, path),
  ),
  fc
    .tuple(
      fc.constantFrom(...OBJECTS),
      fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !KNOWN_KEYS.has(k)),
      fc.jsonValue(),
    )
    .map(([path, key, value]) => at([...path, key])(value)),
  fc
    .string()
    .filter((s) => !/^[A-Za-z0-9._:-]{1,64}$/.test(s))
    .map(at(['id'])),
  fc
    .string()
    .filter((s) => !['FK7804', 'FK7263', 'AG7804', 'AG114'].includes(s))
    .map(at(['type'])),
  fc
    .string({ maxLength: 14 })
    .filter((s) => !parsePersonalIdentity(s))
    .map(at(['patient', 'id'])),
  fc
    .oneof(fc.stringMatching(/^\d{8}-?\d{4}$/), fc.stringMatching(/^\d{6}[-+]\d{4}$/))
    .filter((s) => !parsePersonalIdentity(s))
    .map(at(['patient', 'id'])),
  fc
    .string()
    .filter((s) => !isHsaId(s))
    .map(at(['issuedBy', 'id'])),
  fc
    .string()
    .filter((s) => !isHsaId(s))
    .map(at(['unit', 'id'])),
  fc
    .string()
    .filter((s) => !parseSignedAt(s))
    .map(at(['signedAt'])),
  fc
    .stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$/)
    .filter((s) => !parseSignedAt(s))
    .map(at(['signedAt'])),
  fc
    .string({ maxLength: 8 })
    .filter((s) => 'problem' in normaliseDiagnosisCode(s))
    .map(at(['diagnoses', 1, 'code'])),
  fc
    .stringMatching(/^\d{4}-\d{2}-\d{2}$/)
    .filter((s) => !isValidDate(s))
    .map(at(['periods', 0, 'start'])),
  fc
    .integer()
    .filter((d) => ![25, 50, 75, 100].includes(d))
    .map(at(['periods', 0, 'degree'])),
  fc
    .double({ noNaN: true, min: 0, max: 100 })
    .filter((d) => !Number.isInteger(d))
    .map(at(['periods', 1, 'degree'])),
  fc
    .string()
    .filter((s) => !['CURRENT_JOB', 'JOB_SEEKER', 'PARENTAL_LEAVE', 'STUDIES'].includes(s))
    .map(at(['occupations', 0])),
  fc.constantFrom<Mutation>(
    at(['diagnoses'])([]),
    at(['diagnoses'])([{ code: 'J06' }, { code: 'J07' }, { code: 'J08' }, { code: 'J09' }]),
    at(['periods'])([]),
    at(['periods'])([25, 50, 75, 100, 25].map((d, i) => period(d, `2026-03-0${i + 1}`, `2026-03-0${i + 1}`))),
    at(['periods'])([period(50, '2026-01-01', '2026-01-05'), period(50, '2026-01-06', '2026-01-09')]),
    at(['periods'])([period(100, '2026-01-01', '2026-01-10'), period(50, '2026-01-10', '2026-01-20')]),
    at(['periods'])([period(100, '2026-01-10', '2026-01-01')]),
    at(['occupations'])([]),
    at(['occupations'])(['STUDIES', 'STUDIES']),
    at(['relation'])({ kind: 'replaces', certificateId: 'c-2026-000123' }),
    at(['relation'])({ kind: 'cancels', certificateId: 'c-1' }),
    (b) => {
      b.type = 'AG114';
      b.periods = [period(10, '2026-01-01', '2026-01-05'), period(20, '2026-01-06', '2026-01-07')];
    },
  ),
);

const malformedCertificate = fc.array(mutation, { minLength: 1, maxLength: 3 }).map((mutations) => {
  const body = structuredClone(certificateBody()) as Body;
  for (const m of mutations) m(body);
  return JSON.stringify(body);
});
// Anything at all that JSON can say (never a valid certificate by chance: that needs a dozen exact fields).
const arbitraryJson = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v));

const countRows = async (table: string) =>
  (await queryRows<{ n: number }>(ctx.database.db, sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n;

describe('malformed bodies (property)', () => {
  it('every malformed certificate is a 4xx problem+json, never a 5xx, and nothing is written', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 6, arbitrary: malformedCertificate }, { weight: 1, arbitrary: arbitraryJson }),
        async (payload) => {
          const res = await ctx.app.inject({ method: 'POST', url: '/v1/certificates', headers, payload });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          expect(res.statusCode).toBeGreaterThanOrEqual(400);
          expect(res.statusCode).toBeLessThan(500);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          const problem = res.json();
          expect(problem.status).toBe(res.statusCode);
          expect(typeof problem.type).toBe('string');
        },
      ),
      { numRuns: 2000 },
    );
    expect(statuses.get(400)).toBeGreaterThan(1800);
    expect(await countRows('certificates')).toBe(0);
    expect(await countRows('audit_events')).toBe(0);
    expect(await countRows('units')).toBe(0);
  });

  it('a batch of malformed certificates answers each as invalid (or forbidden) and writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(malformedCertificate, { minLength: 1, maxLength: 8 }), async (items) => {
        const res = await ctx.app.inject({
          method: 'POST',
          url: '/v1/certificates/batch',
          headers,
          payload: `{"certificates":[${items.join(',')}]}`,
        });
        // A body that is hostile as JSON (prototype poisoning, a NUL or an unpaired surrogate) is 400 before any item
        // is looked at; otherwise each is invalid, or forbidden when it names another unit or care giver.
        if (res.statusCode === 400) {
          expect(res.headers['content-type']).toContain('application/problem+json');
          expect(/__proto__|constructor|\\u0000|\\ud[89a-f]/i.test(items.join(','))).toBe(true);
          return;
        }
        expect(res.statusCode).toBe(200);
        const results = res.json().results as { status: string; errors: unknown[] }[];
        expect(results).toHaveLength(items.length);
        expect(results.every((r) => ['invalid', 'forbidden'].includes(r.status) && r.errors.length > 0)).toBe(true);
      }),
      { numRuns: 200 },
    );
    expect(await countRows('certificates')).toBe(0);
  });
});
