import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { bearer, UNIT } from '../helpers/tokens.js';

const ALLOWED = 'https://rehab.example';
const preflight = {
  origin: ALLOWED,
  'access-control-request-method': 'POST',
  'access-control-request-headers': 'authorization,content-type',
};

describe('CORS with CORS_ORIGINS set', () => {
  const ctx = useTestApp({ CORS_ORIGINS: ALLOWED });

  it('answers a preflight from an allowed origin, and names it on the answer', async () => {
    const res = await ctx.app.inject({ method: 'OPTIONS', url: '/v1/consent-checks', headers: preflight });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    const get = await ctx.app.inject({
      url: `/v1/units/${UNIT}/sick-leaves/summary`,
      headers: { ...bearer({ role: 'coordinator' }), origin: ALLOWED },
    });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it('answers an OPTIONS that is not a whole preflight 400 problem+json naming what is missing', async () => {
    for (const headers of [{}, { origin: ALLOWED }]) {
      const res = await ctx.app.inject({ method: 'OPTIONS', url: '/v1/consent-checks', headers });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors).toContainEqual(
        expect.objectContaining({ path: 'headers.access-control-request-method' }),
      );
    }
  });

  it('allows PATCH (an effort update) and lets a script read Retry-After and the request id', async () => {
    const res = await ctx.app.inject({
      method: 'OPTIONS',
      url: '/v1/coordination-efforts/00000000-0000-4000-8000-000000000000',
      headers: { ...preflight, 'access-control-request-method': 'PATCH' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-methods']).toContain('PATCH');
    const get = await ctx.app.inject({
      url: `/v1/units/${UNIT}/sick-leaves/summary`,
      headers: { ...bearer({ role: 'coordinator' }), origin: ALLOWED },
    });
    expect(String(get.headers['access-control-expose-headers'])).toMatch(/retry-after.*x-request-id.*etag.*location/);
  });

  it('gives another origin no CORS headers', async () => {
    const res = await ctx.app.inject({
      method: 'OPTIONS',
      url: '/v1/consent-checks',
      headers: { ...preflight, origin: 'https://elsewhere.example' },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS without CORS_ORIGINS', () => {
  const ctx = useTestApp();

  it('allows no browser origin: a preflight is a 4xx problem and no answer carries CORS headers', async () => {
    const res = await ctx.app.inject({ method: 'OPTIONS', url: '/v1/consent-checks', headers: preflight });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const get = await ctx.app.inject({
      url: `/v1/units/${UNIT}/sick-leaves/summary`,
      headers: { ...bearer({ role: 'coordinator' }), origin: ALLOWED },
    });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });
});
