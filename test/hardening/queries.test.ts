import { randomUUID } from 'node:crypto';
/**
 * Property-based hardening of query strings (every GET operation) and path parameters (every operation with one):
 * limits out of range, garbage cursors, impossible dates, repeated and unknown parameters, very long values — never a
 * 5xx, every non-2xx is problem+json, and nothing is written (reads only append audit events, and a rejected read
 * appends none).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exampleFor, type Operation, type Parameter } from '../security/openapi-walk.js';
import { useTestApp } from '../helpers/app.js';
import { UNIT } from '../helpers/tokens.js';
import {
  allowedRoles,
  auth,
  brief,
  collectionOf,
  exampleBody,
  label,
  rejectionTracker,
  type Method,
  type SeededIds,
  securedOperations,
  seed,
  urlFor,
} from './harness.js';
import { weirdString } from './hostile.js';

const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });
const RUNS = 120;

/** encodeURIComponent, except that a lone surrogate goes out as the bytes it would be (invalid UTF-8). */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return Buffer.from(value, 'utf16le').toString('hex').replace(/(..)/g, '%$1');
  }
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');

const garbageCursor = fc.oneof(
  fc.string({ minLength: 1, maxLength: 60 }).map((s) => s.replace(/[^A-Za-z0-9_-]/g, 'A') || 'A'),
  fc.jsonValue({ maxDepth: 3 }).map((v) => b64(JSON.stringify(v))),
  fc
    .record(
      { at: weirdString, id: fc.oneof(weirdString, fc.integer()), performedOn: weirdString, offset: fc.integer() },
      { requiredKeys: [] },
    )
    .map((v) => b64(JSON.stringify(v))),
  fc.constantFrom(b64('{'), b64('null'), b64('[]'), b64('{"__proto__":{"x":1}}'), 'A'.repeat(200), 'A'.repeat(201)),
);

const numberText = fc.oneof(
  fc.constantFrom('0', '-1', '1000000000', '1e3', '1.5', 'abc', '', ' 5', '0x10', 'Infinity', 'NaN', '1e999', '-0'),
  fc.integer().map(String),
  fc.double().map(String),
);

const dateText = fc.oneof(
  fc.constantFrom('2026-02-30', '2026-02-29', '2025-13-01', '2026-00-10', '0000-01-01', '9999-12-31', '20261125'),
  fc.constantFrom('2026-11-25T10:00:00Z', '2026-11-25T25:61:00Z', '2026-11-25 10:00', '+275760-09-13', 'today'),
);

/** A hostile value for one parameter, by what its schema says it is. */
function hostileFor(param: Parameter): fc.Arbitrary<string> {
  const s = param.schema;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  const long = fc.constantFrom(1_000, 10_000).map((n) => 'x'.repeat(n));
  const specific =
    param.name === 'cursor'
      ? garbageCursor
      : type === 'integer' || type === 'number'
        ? numberText
        : s.format === 'date' || s.format === 'date-time'
          ? dateText
          : fc.constantFrom(...((s.enum as string[] | undefined) ?? ['x']).map((v) => `${v} `), 'x');
  // Values the schema accepts, extremes included, so that most queries get past validation into the service.
  const valid = fc.constantFrom(
    String(exampleFor(s, {} as never) ?? 'x'),
    ...((s.enum as string[] | undefined) ?? []),
    ...(type === 'integer' ? [s.minimum, s.maximum].filter((v) => v !== undefined).map(String) : []),
    ...(s.format === 'date' ? ['0001-01-01', '1900-02-28', '2024-02-29', '9999-12-31'] : []),
  );
  return fc.oneof(
    { weight: 6, arbitrary: valid },
    { weight: 4, arbitrary: specific },
    { weight: 2, arbitrary: weirdString },
    long,
  );
}

/** A query string: some parameters hostile, some valid, some repeated, plus unknown ones. */
function queryOf(op: Operation): fc.Arbitrary<string> {
  const params = op.parameters.filter((p) => p.in === 'query');
  const pair = (p: Parameter) =>
    fc.tuple(fc.constant(p.name), hostileFor(p)).map(([name, value]) => `${name}=${encode(value)}`);
  const parts = fc.array(
    fc.oneof(
      { weight: 8, arbitrary: params.length ? fc.constantFrom(...params).chain(pair) : fc.constant('x=1') },
      { weight: 1, arbitrary: fc.constantFrom('__proto__[x]=1', 'constructor=1', 'limit[]=1', 'a=%zz', '&&', '=') },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.string({ maxLength: 10 }), weirdString).map(([k, v]) => `${encode(k)}=${encode(v)}`),
      },
    ),
    { minLength: 1, maxLength: 6 },
  );
  return parts.map((p) => p.join('&'));
}

/** One `it` per kind of input; each walks every operation and collects the failures of all of them. */
async function forEach(
  filter: (op: Operation) => boolean,
  request: (op: Operation, ids: SeededIds) => fc.Arbitrary<{ url: string; payload?: unknown }>,
) {
  const all = await securedOperations(ctx.app);
  const ids = await seed(ctx.app, all);
  const ops = all.filter(filter);
  expect(ops.length).toBeGreaterThan(0);
  const failures: string[] = [];
  for (const op of ops) {
    const roles = await allowedRoles(ctx.app, op);
    const tracker = await rejectionTracker(ctx.database);
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...roles), request(op, ids), async (role, { url, payload }) => {
          const requestId = randomUUID();
          const res = await ctx.app.inject({
            method: op.method.toUpperCase() as Method,
            url,
            ...(payload === undefined ? {} : { payload: payload as object }),
            headers: { ...auth(role), 'x-request-id': requestId },
          });
          await tracker.check(res, requestId, `${role} ${label(op)} ${url.slice(0, 300)}`, label(op));
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
      await tracker.expectNoAuditOfRejected(label(op));
    } catch (error) {
      failures.push(`${label(op)}: ${brief(error)}`);
    }
  }
  expect(failures).toEqual([]);
}

describe('hostile query strings and path parameters', () => {
  it('every GET operation: never a 5xx, always problem+json, nothing written', { timeout: 240_000 }, async () => {
    await forEach(
      (op) => op.method === 'get',
      (op, ids) => queryOf(op).map((query) => ({ url: `${urlFor(op, ids)}?${query}` })),
    );
  });

  it('every operation with a path parameter: the same for hostile ids and units', { timeout: 240_000 }, async () => {
    await forEach(
      (op) => op.parameters.some((p) => p.in === 'path'),
      (op, ids) =>
        fc
          .tuple(
            fc.oneof(
              weirdString.filter((s) => s.length < 5_000),
              fc.constantFrom(
                '..',
                '%2F',
                '%2e%2e',
                'a%00b',
                '%zz',
                ' ',
                'x'.repeat(201),
                ids[collectionOf(op) ?? ''] ?? 'x',
              ),
            ),
            fc.boolean(),
          )
          .map(([value, onUnit]) => {
            const segment = /^%|%[0-9a-z]{2}/i.test(value) ? value : encode(value);
            const url = op.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
              (name === 'unitId') === onUnit
                ? segment
                : name === 'unitId'
                  ? UNIT
                  : (ids[collectionOf(op) ?? ''] ?? 'x'),
            );
            return { url, payload: exampleBody(op) };
          }),
    );
  });
});
