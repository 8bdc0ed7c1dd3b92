import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

const TOKEN = 'metrics-scraper-token-0123456789abcdef';

describe('/metrics with METRICS_TOKEN', () => {
  const ctx = useTestApp({ METRICS_TOKEN: TOKEN, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
  const scrape = (authorization?: string, remoteAddress = '192.0.2.30') =>
    ctx.app.inject({ url: '/metrics', remoteAddress, headers: authorization ? { authorization } : {} });

  it('answers the scraper that sends the token, and no one else (401 problem+json with the Bearer challenge)', async () => {
    const ok = await scrape(`Bearer ${TOKEN}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('http_request_duration_seconds');
    for (const [i, authorization] of [
      undefined,
      'Bearer wrong',
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      TOKEN,
    ].entries()) {
      const refused = await scrape(authorization, `192.0.2.${40 + i}`);
      expect(refused.statusCode, String(authorization)).toBe(401);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer realm="samverkan"/);
      expect(refused.body).not.toContain(TOKEN);
    }
  });

  it('counts a wrong token in the rate limit, as any failed authentication; the scraper with it is never limited', async () => {
    for (let i = 0; i < 3; i++) expect((await scrape('Bearer wrong', '192.0.2.32')).statusCode).toBe(401);
    expect((await scrape('Bearer wrong', '192.0.2.32')).statusCode).toBe(429);
    for (let i = 0; i < 5; i++) expect((await scrape(`Bearer ${TOKEN}`, '192.0.2.33')).statusCode).toBe(200);
  });

  it('is in the contract as it is served: optional bearer token, 401 and 429 declared', async () => {
    const op = (ctx.app.swagger() as unknown as { paths: Record<string, Record<string, Record<string, unknown>>> })
      .paths['/metrics']!.get!;
    expect(op.security).toEqual([{}, { metricsToken: [] }]);
    expect(Object.keys(op.responses as object)).toEqual(expect.arrayContaining(['200', '401', '429']));
  });

  it('leaves the probes open', async () => {
    expect((await ctx.app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await ctx.app.inject({ url: '/health/ready' })).statusCode).toBe(200);
  });
});
