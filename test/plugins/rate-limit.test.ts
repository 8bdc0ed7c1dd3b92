import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { bearer } from '../helpers/tokens.js';

const ctx = useTestApp({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });

describe('rate limiting', () => {
  it('counts requests that fail authentication, then refuses even a good token with 429', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await ctx.app.inject({ url: '/v1/audit-events', headers: { authorization: 'Bearer wrong' } });
      expect(res.statusCode).toBe(401);
    }
    const res = await ctx.app.inject({ url: '/v1/audit-events', headers: bearer({ role: 'auditor' }) });
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.json()).toMatchObject({ status: 429, title: 'Too many requests' });
  });

  it('tells each answer the count as the contract declares it: the limit, what is left, seconds to the reset', async () => {
    const from = { remoteAddress: '192.0.2.21' };
    const first = await ctx.app.inject({ url: '/v1/audit-events', headers: bearer({ role: 'auditor' }), ...from });
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe('3');
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    expect(Number(first.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60);
    const refused = await ctx.app.inject({ url: '/v1/audit-events', headers: { authorization: 'Bearer x' }, ...from });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['x-ratelimit-remaining']).toBe('1');
    // A probe is not counted, and says nothing of a count.
    const probe = await ctx.app.inject({ url: '/health/live', ...from });
    expect(probe.headers).not.toHaveProperty('x-ratelimit-limit');
  });

  it('counts requests to routes that do not exist: probing for them is not free', async () => {
    const probe = (url: string) => ctx.app.inject({ url, remoteAddress: '192.0.2.7' });
    // Paths under /health/ that are not probes count too (only the probes themselves are let through).
    for (let i = 0; i < 3; i++) expect((await probe(i === 1 ? '/health/nope' : `/v1/nope-${i}`)).statusCode).toBe(404);
    const res = await probe('/v1/nope-3');
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect((await ctx.app.inject({ url: '/v1/audit-events', remoteAddress: '192.0.2.7' })).statusCode).toBe(429);
  });

  it('counts requests refused before routing (a path parameter too long, a bad percent-encoding)', async () => {
    const from = { remoteAddress: '192.0.2.11' };
    const urls = [`/v1/consents/${'x'.repeat(201)}`, '/v1/consents/%ff', `/v1/consents/${'y'.repeat(300)}`];
    expect((await ctx.app.inject({ url: urls[0]!, ...from })).statusCode).toBe(414);
    expect((await ctx.app.inject({ url: urls[1]!, ...from })).statusCode).toBe(400);
    expect((await ctx.app.inject({ url: urls[2]!, ...from })).statusCode).toBe(414);
    const limited = await ctx.app.inject({ url: urls[1]!, ...from });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(limited.json()).toMatchObject({ status: 429, title: 'Too many requests' });
    expect((await ctx.app.inject({ url: '/v1/audit-events', ...from })).statusCode).toBe(429);
  });

  it('does not limit health probes or the metrics scraper, also from a client that is limited', async () => {
    const from = { remoteAddress: '192.0.2.9' };
    for (let i = 0; i < 4; i++) await ctx.app.inject({ url: '/v1/audit-events', ...from });
    expect((await ctx.app.inject({ url: '/v1/audit-events', ...from })).statusCode).toBe(429);
    for (let i = 0; i < 5; i++) {
      expect((await ctx.app.inject({ url: '/health/live', ...from })).statusCode).toBe(200);
      expect((await ctx.app.inject({ url: '/metrics', ...from })).statusCode).toBe(200);
    }
    // Only their GET (and HEAD): a POST to a probe is a 405 that counts, as any other refused request.
    expect((await ctx.app.inject({ method: 'POST', url: '/health/ready', ...from })).statusCode).toBe(429);
  });
});

describe('rate limiting behind a load balancer (TRUST_PROXY)', () => {
  const behind = useTestApp({ RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '60000', TRUST_PROXY: '10.0.0.0/8' });
  const via = (proxy: string, client?: string) =>
    behind.app.inject({
      url: '/health/nope',
      remoteAddress: proxy,
      headers: client ? { 'x-forwarded-for': client } : {},
    });

  it('counts each client the trusted proxy names on its own, not all of them in the proxy’s bucket', async () => {
    for (let i = 0; i < 2; i++) expect((await via('10.1.2.3', '198.51.100.1')).statusCode).toBe(404);
    expect((await via('10.1.2.3', '198.51.100.1')).statusCode).toBe(429);
    // Another client through the same proxy (or another proxy of the balancer) has a bucket of its own.
    expect((await via('10.1.2.3', '198.51.100.2')).statusCode).toBe(404);
    expect((await via('10.9.9.9', '198.51.100.3')).statusCode).toBe(404);
  });

  it('counts an address a proxy passed with a port as the address, and one that is no address as the proxy', async () => {
    for (let i = 0; i < 2; i++) expect((await via('10.1.2.3', `198.51.100.40:${1000 + i}`)).statusCode).toBe(404);
    expect((await via('10.1.2.3', '198.51.100.40:1002')).statusCode).toBe(429);
    expect((await via('10.1.2.3', '[2001:db8::7]:1000')).statusCode).toBe(404);
    expect((await via('10.1.2.3', '2001:db8::7')).statusCode).toBe(404);
    expect((await via('10.1.2.3', '[2001:db8::7]:1001')).statusCode).toBe(429);
    // Not an address: the proxy's own bucket (10.7.7.7 here), not one per made-up value; nor is an IPv6 zone id.
    expect((await via('10.7.7.7', 'not-an-address')).statusCode).toBe(404);
    expect((await via('10.7.7.7', 'fe80::1%191212121212')).statusCode).toBe(404);
    expect((await via('10.7.7.7', '191212121212')).statusCode).toBe(429);
    // One address, one bucket, however it is spelt.
    expect((await via('10.1.2.3', '2001:DB8::9')).statusCode).toBe(404);
    expect((await via('10.1.2.3', '[2001:db8::9]')).statusCode).toBe(404);
    expect((await via('10.1.2.3', '2001:db8::9')).statusCode).toBe(429);
    expect((await via('10.1.2.3', '::ffff:198.51.100.50')).statusCode).toBe(404);
    expect((await via('10.1.2.3', '198.51.100.50')).statusCode).toBe(404);
    expect((await via('10.1.2.3', '198.51.100.50:7')).statusCode).toBe(429);
  });

  it('counts requests refused before routing in the bucket of the client the proxy names, too', async () => {
    const refused = (client: string) =>
      behind.app.inject({
        url: `/v1/consents/${'x'.repeat(201)}`,
        remoteAddress: '10.1.2.3',
        headers: { 'x-forwarded-for': client },
      });
    for (let i = 0; i < 2; i++) expect((await refused('198.51.100.60')).statusCode).toBe(414);
    expect((await refused('198.51.100.60')).statusCode).toBe(429);
    // The proxy's other clients are not limited for it (all of them shared the proxy's bucket).
    expect((await refused('198.51.100.61')).statusCode).toBe(414);
    expect((await via('10.1.2.3', '198.51.100.62')).statusCode).toBe(404);
    // And the limited client is limited on every route, as after any other refused request.
    expect((await via('10.1.2.3', '198.51.100.60')).statusCode).toBe(429);
  });

  it('ignores X-Forwarded-For from an address that is not a trusted proxy: a client cannot pick its bucket', async () => {
    for (let i = 0; i < 2; i++) expect((await via('203.0.113.5', `198.51.100.${10 + i}`)).statusCode).toBe(404);
    expect((await via('203.0.113.5', '198.51.100.99')).statusCode).toBe(429);
  });
});
