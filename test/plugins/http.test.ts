import { describe, expect, it } from 'vitest';
import { assertActsFor } from '../../src/lib/actor.js';
import { Forbidden } from '../../src/lib/errors.js';
import { useTestApp } from '../helpers/app.js';
import { bearer, CARE_GIVER, OTHER_UNIT, UNIT } from '../helpers/tokens.js';

const ctx = useTestApp({ BODY_LIMIT_BYTES: '2048' });
const auditor = bearer({ role: 'auditor' });
const ROUTER_ID = '0c0ffee0-1234-4abc-8def-000000000042';

describe('HTTP behaviour shared by every route', () => {
  it('health: live and ready', async () => {
    expect((await ctx.app.inject({ url: '/health/live' })).json()).toEqual({ status: 'ok' });
    const ready = await ctx.app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready' });
  });

  it('404 problem+json for an unknown route', async () => {
    const res = await ctx.app.inject({ url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 404, title: 'Not found' });
    expect(res.json().type).toMatch(/\/not-found$/);
    expect(res.json().detail).toBe('No operation has this path (the contract is at /openapi.json)');
  });

  it('400 problem+json with errors[] for a bad query', async () => {
    const res = await ctx.app.inject({ url: '/v1/audit-events?limit=0', headers: auditor });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, title: 'Validation failed' });
    expect(res.json().errors).toEqual([{ path: 'query.limit', message: expect.any(String) }]);
  });

  it('400 for a date outside 1900–2199, as a date or an instant', async () => {
    for (const from of ['9999-12-31', '1899-12-31T23:00:00Z']) {
      const res = await ctx.app.inject({ url: `/v1/audit-events?from=${from}`, headers: auditor });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].path).toBe('query.from');
    }
  });

  it('has no implicit HEAD routes (a HEAD would read patient data without showing it)', async () => {
    const res = await ctx.app.inject({ method: 'HEAD', url: '/v1/audit-events', headers: auditor });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET');
  });

  it('405 with Allow on a path under a wildcard route too (the API reference’s files)', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/docs/static/index.html' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toMatch(/GET/);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('answers HEAD on the health probes, which show no patient data (monitors probe with HEAD)', async () => {
    for (const url of ['/health/live', '/health/ready']) {
      const res = await ctx.app.inject({ method: 'HEAD', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe('');
    }
  });

  it('400 naming the field for a NUL character anywhere in a body, before any module sees it', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: { ...auditor, 'content-type': 'application/json' },
      payload: JSON.stringify({ patientId: '191212121212', extra: { deep: ['ok', 'bad\u0000'] } }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'extra.deep.1', message: 'must not contain NUL characters' }]);
  });

  it('400 naming the field for an unpaired surrogate (jsonb and UTF-8 cannot hold one); a paired one is text', async () => {
    const post = (name: string) =>
      ctx.app.inject({
        method: 'POST',
        url: '/v1/audit-events/search',
        headers: { ...auditor, 'content-type': 'application/json' },
        payload: JSON.stringify({ patientId: '191212121212', extra: { name } }),
      });
    for (const lone of ['\uD800', 'a\uDFFF', '\uDE00\uD83D']) {
      const res = await post(lone);
      expect(res.statusCode, JSON.stringify(lone)).toBe(400);
      expect(res.json().errors).toEqual([
        { path: 'extra.name', message: 'must be well-formed Unicode (an unpaired surrogate cannot be stored)' },
      ]);
    }
    // An escaped pair is one character, so the body passes this check (and fails the search schema, not this one).
    const paired = await post('\uD83D\uDE00');
    expect(paired.json().errors ?? []).not.toContainEqual(expect.objectContaining({ path: 'extra.name' }));
  });

  it('400 for a body that tries prototype poisoning', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: { ...auditor, 'content-type': 'application/json' },
      payload: '{"patientId":"191212121212","__proto__":{"admin":true}}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    // The body is valid JSON: the answer names the key it refuses, not a syntax error.
    expect(res.json().errors).toEqual([
      { path: '__proto__', message: 'is a key that is refused (__proto__ or constructor.prototype)' },
    ]);
    const nested = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: { ...auditor, 'content-type': 'application/json' },
      payload: '{"patientId":"191212121212","x":{"constructor":{"prototype":{"admin":true}}}}',
    });
    expect(nested.statusCode).toBe(400);
    expect(nested.json().detail).toMatch(/__proto__ or constructor\.prototype/);
    expect(nested.json().errors[0].path).toBe('x.constructor');
  });

  it('400 for a key given twice in one object, naming it (JSON.parse kept the last; a proxy may read the first)', async () => {
    const send = (payload: string) =>
      ctx.app.inject({
        method: 'POST',
        url: '/v1/audit-events/search',
        headers: { ...auditor, 'content-type': 'application/json' },
        payload,
      });
    const twice = await send('{"patientId":"191212121212","patientId":"200001012384"}');
    expect(twice.statusCode).toBe(400);
    expect(twice.headers['content-type']).toContain('application/problem+json');
    expect(twice.json().errors).toEqual([{ path: 'patientId', message: 'is given twice' }]);
    // Escapes are compared decoded; the same key in two objects, or a value repeated, is fine.
    expect((await send('{"patientId":"191212121212","patient\\u0049d":"200001012384"}')).json().errors).toEqual([
      { path: 'patientId', message: 'is given twice' },
    ]);
    expect((await send('{"patientId":"191212121212"}')).statusCode).toBe(200);
  });

  it('400 for malformed JSON', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: { ...auditor, 'content-type': 'application/json' },
      payload: '{"patientId": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().type).toMatch(/\/malformed-json$/);
  });

  it('413 problem+json for a body over the limit', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: { ...auditor, 'content-type': 'application/json' },
      payload: JSON.stringify({ patientId: '191212121212', pad: 'x'.repeat(4096) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 413 });
  });

  it('415 problem+json for a body that is not JSON', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/audit-events/search',
      headers: { ...auditor, 'content-type': 'text/plain' },
      payload: 'patientId=191212121212',
    });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 415 });
  });

  it('echoes a given x-request-id that is a UUID and makes one otherwise (a free-form one reached logs and audit)', async () => {
    const uuid = '3f2b8c1e-9d4a-4e7b-8a6c-0b1d2e3f4a5b';
    const given = await ctx.app.inject({ url: '/health/live', headers: { 'x-request-id': uuid } });
    expect(given.headers['x-request-id']).toBe(uuid);
    for (const free of ['bad id with spaces', '191212121212', 'Tolvan-Tolvansson', 'ehr-42.abc']) {
      const made = await ctx.app.inject({ url: '/health/live', headers: { 'x-request-id': free } });
      expect(made.headers['x-request-id'], free).toMatch(/^[0-9a-f-]{36}$/);
      expect(made.headers['x-request-id'], free).not.toBe(free);
    }
    // A UUID in form that holds a personal identity number (19121212-1212, 121212-1212, 1912-1212-1212 in the middle
    // groups, or 12 or 10 digits in the last group) is not taken either: the id is written into every log line and audit event of the request.
    for (const carrier of [
      '19121212-1212-4000-8000-000000000000',
      'ab121212-1212-4000-8000-000000000000',
      '3f2b8c1e-9d4a-4e7b-8a6c-191212121212',
      '3f2b8c1e-1912-1212-1212-0b1d2e3f4a5b',
      '3f2b8c1e-9d4a-4e7b-8a6c-a1212121212b',
    ]) {
      const made = await ctx.app.inject({ url: '/health/live', headers: { 'x-request-id': carrier } });
      expect(made.headers['x-request-id'], carrier).toMatch(/^[0-9a-f-]{36}$/);
      expect(made.headers['x-request-id'], carrier).not.toBe(carrier);
    }
    // Digits that are no valid number (a date that does not exist, a wrong check digit) are an ordinary id.
    const digits = '19121312-1212-4000-8000-000000000000';
    expect(
      (await ctx.app.inject({ url: '/health/live', headers: { 'x-request-id': digits } })).headers['x-request-id'],
    ).toBe(digits);
  });

  it('sets security headers, and no answer may be cached', async () => {
    const res = await ctx.app.inject({ url: '/health/live' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['cache-control']).toBe('no-store');
    const refused = await ctx.app.inject({ method: 'POST', url: '/v1/consent-checks', payload: {} });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['cache-control']).toBe('no-store');
  });

  it('a URL the router refuses carries the same headers as every answer', async () => {
    const res = await ctx.app.inject({ url: '/v1/certificates/%zz', headers: { 'x-request-id': ROUTER_ID } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toBe(ROUTER_ID);
  });

  it('serves Prometheus metrics with request counts by route', async () => {
    await ctx.app.inject({ url: '/health/live' });
    const res = await ctx.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} \d+/,
    );
  });

  it('serves the OpenAPI document and the interactive reference', async () => {
    const doc = await ctx.app.inject({ url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json().openapi).toBe('3.1.0');
    const docs = await ctx.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });

  it('a unit guard refuses a unit that is not in the token', () => {
    const actor = { id: 'x', role: 'coordinator' as const, careGiverId: CARE_GIVER, units: [UNIT], requestId: 'r' };
    expect(() => assertActsFor(actor, UNIT)).not.toThrow();
    expect(() => assertActsFor(actor, OTHER_UNIT)).toThrow(Forbidden);
  });
});

describe('with DOCS_ENABLED=false', () => {
  const off = useTestApp({ DOCS_ENABLED: 'false' });
  it('a 404 does not point to a contract that is not served', async () => {
    expect((await off.app.inject({ url: '/openapi.json' })).statusCode).toBe(404);
    const res = await off.app.inject({ url: '/v1/nothing-here' });
    expect(res.json().detail).toBe('No operation has this path');
  });
});
