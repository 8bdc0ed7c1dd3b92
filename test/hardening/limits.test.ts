/**
 * Limits, for every operation of the served contract: a body over BODY_LIMIT_BYTES is 413, a page size over the
 * operation's maximum is 400, JSON nested 10,000–100,000 levels deep is a 4xx and the process keeps answering, and
 * router-level URL errors are problem+json too.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CERTIFICATE_EXAMPLE } from '../../src/modules/certificates/schemas.js';
import { useTestApp } from '../helpers/app.js';
import {
  allowedRoles,
  auth,
  exampleBody,
  expectWellFormed,
  label,
  type Method,
  securedOperations,
  seed,
  tableCounts,
  urlFor,
} from './harness.js';
import { deeplyNested, toJson } from './hostile.js';

const LIMIT = 1024 * 1024;
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0', BODY_LIMIT_BYTES: String(LIMIT) });

async function writeOperations() {
  const all = await securedOperations(ctx.app);
  const ids = await seed(ctx.app, all);
  const ops = all.filter((op) => op.method === 'post' || op.method === 'patch');
  expect(ops.length).toBeGreaterThanOrEqual(10);
  // Probed before any snapshot: probing a create operation creates.
  const roles = new Map(await Promise.all(ops.map(async (op) => [op, (await allowedRoles(ctx.app, op))[0]!] as const)));
  return { ops, ids, roles };
}

/** The example body as JSON text, padded with trailing whitespace (still valid JSON) to exactly `bytes`. */
function padded(body: unknown, bytes: number): string {
  const text = JSON.stringify(body);
  return text + ' '.repeat(bytes - Buffer.byteLength(text));
}

describe('body limit', () => {
  it('a body one byte over BODY_LIMIT_BYTES is 413 problem+json on every POST/PATCH and writes nothing', async () => {
    const { ops, ids, roles } = await writeOperations();
    const before = await tableCounts(ctx.database);
    for (const op of ops) {
      const role = roles.get(op);
      const res = await ctx.app.inject({
        method: op.method.toUpperCase() as Method,
        url: urlFor(op, ids),
        payload: padded(exampleBody(op), LIMIT + 1),
        headers: { ...auth(role!), 'content-type': 'application/json' },
      });
      expect.soft(res.statusCode, label(op)).toBe(413);
      expect.soft(res.headers['content-type'], label(op)).toMatch(/^application\/problem\+json/);
      expect.soft(res.json().type, label(op)).toMatch(/payload-too-large$/);
    }
    expect(await tableCounts(ctx.database)).toEqual(before);
  });

  it('a body of exactly BODY_LIMIT_BYTES is read (not 413)', async () => {
    const { ops, ids } = await writeOperations();
    const op = ops.find((o) => o.path === '/v1/consent-checks')!;
    const res = await ctx.app.inject({
      method: 'POST',
      url: urlFor(op, ids),
      payload: padded(exampleBody(op), LIMIT),
      headers: { ...auth('coordinator'), 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('page-size caps', () => {
  it('every operation with a `limit` answers 400 above its maximum and 0, and accepts the maximum', async () => {
    const all = await securedOperations(ctx.app);
    const ids = await seed(ctx.app, all);
    let checked = 0;
    for (const op of all) {
      const inQuery = op.parameters.find((p) => p.in === 'query' && p.name === 'limit');
      const inBody = op.body?.properties?.limit;
      const schema = inQuery?.schema ?? inBody;
      if (!schema) continue;
      checked++;
      expect(schema.maximum, `${label(op)} documents a maximum page size`).toBeGreaterThan(0);
      const [role] = await allowedRoles(ctx.app, op);
      const send = (limit: number | string) =>
        ctx.app.inject({
          method: op.method.toUpperCase() as Method,
          url: inQuery ? `${urlFor(op, ids)}?limit=${limit}` : urlFor(op, ids),
          ...(inQuery ? {} : { payload: { ...exampleBody(op), limit } }),
          headers: auth(role!),
        });
      const path = inQuery ? 'query.limit' : 'limit';
      for (const bad of [schema.maximum! + 1, 1_000_000_000, 0, -1]) {
        const res = await send(bad);
        expect.soft(res.statusCode, `${label(op)} limit=${bad}`).toBe(400);
        expect
          .soft(
            res.json().errors?.map((e: { path: string }) => e.path),
            `${label(op)} limit=${bad}`,
          )
          .toContain(path);
      }
      const atMax = await send(schema.maximum!);
      expect.soft(atMax.statusCode, `${label(op)} limit=${schema.maximum}`).toBe(200);
    }
    expect(checked, 'operations with a limit (overview, efforts, audit events, audit search)').toBeGreaterThanOrEqual(
      3,
    );
  });
});

describe('deep nesting', () => {
  const shapes = {
    'a body of 10,000 nested arrays': () => deeplyNested(10_000, 'array').text,
    'a body of 10,000 nested objects': () => deeplyNested(10_000, 'object').text,
    'a body of 100,000 nested arrays': () => deeplyNested(100_000, 'array').text,
  };

  it('is a 4xx problem+json (a batch: every item invalid) on every POST/PATCH, writes nothing, and the process keeps answering', async () => {
    const { ops, ids, roles } = await writeOperations();
    const before = await tableCounts(ctx.database);
    for (const op of ops) {
      const role = roles.get(op);
      const example = exampleBody(op) ?? {};
      const payloads: Record<string, string> = Object.fromEntries(
        Object.entries(shapes).map(([name, make]) => [name, make()]),
      );
      // The same depth in each field of the example in turn.
      for (const field of Object.keys(example))
        payloads[`${field} nested 50,000 deep`] = toJson({ ...example, [field]: deeplyNested(50_000, 'array') });
      for (const [name, payload] of Object.entries(payloads)) {
        const res = await ctx.app.inject({
          method: op.method.toUpperCase() as Method,
          url: urlFor(op, ids),
          payload,
          headers: { ...auth(role!), 'content-type': 'application/json' },
        });
        expectWellFormed(res, `${label(op)}: ${name}`);
        // A batch answers 200 with each item `invalid`; everything else refuses the whole body.
        if (op.path.endsWith('/batch') && res.statusCode === 200)
          expect(res.json().results.every((r: { status: string }) => r.status === 'invalid')).toBe(true);
        else expect(res.statusCode, `${label(op)}: ${name}`).toBeGreaterThanOrEqual(400);
      }
    }
    expect(await tableCounts(ctx.database)).toEqual(before);
    expect((await ctx.app.inject({ url: '/health/live' })).statusCode).toBe(200);
  });
});

describe('router-level URL errors', () => {
  it('malformed percent-encoding and an over-long path parameter are problem+json that do not echo the URL', async () => {
    for (const url of [
      '/v1/consents/%zz',
      `/v1/coordination-efforts/${'x'.repeat(201)}`,
      '/v1/units/%E0%A4%A/sick-leaves',
    ]) {
      const res = await ctx.app.inject({ url, headers: auth('coordinator') });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      expect(res.json().status).toBe(res.statusCode);
      expect(res.body).not.toContain('xxxxxxxx');
      expect(res.body).not.toContain('%zz');
    }
  });
});

describe('transport oddities', () => {
  const CONTENT_TYPES = [
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'text/plain',
    'application/xml',
    ';;;',
    '',
  ];

  it('a body that is not declared JSON is 415 problem+json on every POST/PATCH and writes nothing', async () => {
    const { ops, ids, roles } = await writeOperations();
    const before = await tableCounts(ctx.database);
    for (const op of ops) {
      for (const type of CONTENT_TYPES) {
        const res = await ctx.app.inject({
          method: op.method.toUpperCase() as Method,
          url: urlFor(op, ids),
          payload: Buffer.from(JSON.stringify(exampleBody(op))),
          headers: { ...auth(roles.get(op)!), 'content-type': type },
        });
        expect.soft(res.statusCode, `${label(op)} as '${type}'`).toBe(415);
        expect.soft(res.headers['content-type'], `${label(op)} as '${type}'`).toMatch(/^application\/problem\+json/);
      }
    }
    expect(await tableCounts(ctx.database)).toEqual(before);
  });

  it('a compressed or non-UTF-8 JSON body is 415 naming why, on every POST/PATCH, and writes nothing', async () => {
    const { ops, ids, roles } = await writeOperations();
    const before = await tableCounts(ctx.database);
    for (const op of ops) {
      const text = JSON.stringify(exampleBody(op));
      const sent = [
        {
          what: 'gzip',
          payload: gzipSync(text),
          headers: { 'content-encoding': 'gzip' },
          detail: /Content-Encoding gzip/,
        },
        {
          what: 'br, identity',
          payload: Buffer.from(text),
          headers: { 'content-encoding': 'identity, br' },
          detail: /br/,
        },
        {
          // Latin-1 sent without a charset: decoded as a string, the é would have been stored as U+FFFD.
          what: 'latin-1 bytes',
          payload: Buffer.from(text.replace('"', '"\u00e9'), 'latin1'),
          headers: {},
          detail: /not valid UTF-8/,
        },
        {
          what: 'utf-16',
          payload: Buffer.from(text, 'utf16le'),
          headers: { 'content-type': 'application/json; charset=UTF-16' },
          detail: /charset=utf-16/,
        },
      ];
      for (const { what, payload, headers, detail } of sent) {
        const res = await ctx.app.inject({
          method: op.method.toUpperCase() as Method,
          url: urlFor(op, ids),
          payload,
          headers: { ...auth(roles.get(op)!), 'content-type': 'application/json', ...headers },
        });
        expect.soft(res.statusCode, `${label(op)} ${what}`).toBe(415);
        expect.soft(res.headers['content-type'], `${label(op)} ${what}`).toMatch(/^application\/problem\+json/);
        expect.soft(res.json().detail, `${label(op)} ${what}`).toMatch(detail);
      }
    }
    expect(await tableCounts(ctx.database)).toEqual(before);
  });

  it('a body with a field the contract does not name is 400 naming it, on every POST/PATCH, and writes nothing', async () => {
    // A misspelt optional field ("validUntill") used to be dropped in silence, and the default taken instead.
    const { ops, ids, roles } = await writeOperations();
    const before = await tableCounts(ctx.database);
    for (const op of ops) {
      const res = await ctx.app.inject({
        method: op.method.toUpperCase() as Method,
        url: urlFor(op, ids),
        payload: { ...(exampleBody(op) as object), validUntill: '2026-12-31' },
        headers: { ...auth(roles.get(op)!), 'content-type': 'application/json' },
      });
      expect.soft(res.statusCode, label(op)).toBe(400);
      expect.soft(res.headers['content-type'], label(op)).toMatch(/^application\/problem\+json/);
      expect.soft(JSON.stringify(res.json().errors), label(op)).toContain('validUntill');
    }
    expect(await tableCounts(ctx.database)).toEqual(before);
  });

  it('thousands of unknown fields are answered with a bounded problem, not one that lists every field back', async () => {
    // 350,000 unknown keys in 4 MB were answered 4.4 MB of errors: more CPU to build and send than to make.
    const { ops, ids, roles } = await writeOperations();
    const unknown = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`field${i}`, 1]));
    for (const op of ops) {
      const payload = JSON.stringify({ ...(exampleBody(op) as object), ...unknown });
      const res = await ctx.app.inject({
        method: op.method.toUpperCase() as Method,
        url: urlFor(op, ids),
        payload,
        headers: { ...auth(roles.get(op)!), 'content-type': 'application/json' },
      });
      expect.soft(res.statusCode, label(op)).toBe(400);
      expect.soft(res.body.length, label(op)).toBeLessThan(20_000);
      expect.soft(res.body, label(op)).toContain('field0');
    }
    // A batch answers per item: each item's errors are bounded the same way.
    const items = Array.from({ length: 3 }, (_, i) => ({ ...CERTIFICATE_EXAMPLE, id: `c-amp-${i}`, ...unknown }));
    const batch = await ctx.app.inject({
      method: 'POST',
      url: '/v1/certificates/batch',
      payload: { certificates: items },
      headers: auth('ehr'),
    });
    expect(batch.statusCode).toBe(200);
    expect(batch.body.length).toBeLessThan(3 * 20_000);
    expect(batch.json().results.map((r: { status: string }) => r.status)).toEqual(Array(3).fill('invalid'));
  });

  it('a query parameter an operation does not have is 400 naming it, on every operation, and writes nothing', async () => {
    const all = await securedOperations(ctx.app);
    const ids = await seed(ctx.app, all);
    const roles = new Map(
      await Promise.all(all.map(async (op) => [op, (await allowedRoles(ctx.app, op))[0]!] as const)),
    );
    const before = await tableCounts(ctx.database);
    for (const op of all) {
      const res = await ctx.app.inject({
        method: op.method.toUpperCase() as Method,
        url: `${urlFor(op, ids)}?limitt=5`,
        headers: { ...auth(roles.get(op)!), ...(op.body ? { 'content-type': 'application/json' } : {}) },
        ...(op.body ? { payload: exampleBody(op) as object } : {}),
      });
      expect.soft(res.statusCode, label(op)).toBe(400);
      expect
        .soft(res.json().errors?.[0], label(op))
        .toEqual({ path: 'query.limitt', message: 'is not a parameter of this operation' });
    }
    expect(await tableCounts(ctx.database)).toEqual(before);
  });

  it('charset=utf-8 in any spelling is read as usual', async () => {
    for (const type of [
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
      'application/json; charset=utf8',
    ]) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/v1/certificates',
        payload: JSON.stringify({ ...CERTIFICATE_EXAMPLE, id: `c-${type.length}-${type.charCodeAt(26)}` }),
        headers: { ...auth('ehr'), 'content-type': type, 'content-encoding': 'identity' },
      });
      expect(res.statusCode, type).toBe(201);
    }
  });

  it('a method the contract does not declare on a path is 405 problem+json naming the ones it has in Allow', async () => {
    const all = await securedOperations(ctx.app);
    const ids = await seed(ctx.app, all);
    // The methods of every operation whose path template the URL fits (POST …/batch also fits GET …/{id}).
    const fits = (template: string, url: string) =>
      new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(url);
    for (const path of new Set(all.map((op) => op.path))) {
      const op = all.find((o) => o.path === path)!;
      const url = urlFor(op, ids);
      const declared = [...new Set(all.filter((o) => fits(o.path, url)).map((o) => o.method.toUpperCase()))];
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].filter((m) => !declared.includes(m))) {
        const res = await ctx.app.inject({ method: method as Method, url, headers: auth('coordinator') });
        expect.soft(res.statusCode, `${method} ${path}`).toBe(405);
        expect.soft(res.headers.allow, `${method} ${path}`).toBe([...declared].sort().join(', '));
        expect.soft(res.headers['content-type'], `${method} ${path}`).toMatch(/^application\/problem\+json/);
      }
    }
  });

  it('a path no operation has is 404 problem+json that does not echo the path', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/v1/191212121212?name=Tolvan', headers: auth('doctor') });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).not.toMatch(/191212121212|Tolvan/);
  });
});
