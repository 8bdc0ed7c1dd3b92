import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateOpenApiYaml } from '../scripts/openapi-document.js';
import { useTestApp } from './helpers/app.js';

describe('openapi.yaml', () => {
  it('is what the app generates (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');
    expect(committed).toBe(await generateOpenApiYaml());
  });
});

describe('the contract’s error answers', () => {
  const ctx = useTestApp();

  it('holds the probes’ HEAD, without a body, and no other HEAD', async () => {
    const paths = (ctx.app.swagger() as unknown as { paths: Record<string, Record<string, { responses: object }>> })
      .paths;
    const heads = Object.entries(paths).filter(([, ops]) => ops.head);
    expect(heads.map(([path]) => path)).toEqual(['/health/live', '/health/ready']);
    for (const [, ops] of heads) {
      for (const response of Object.values(ops.head!.responses)) expect(response).not.toHaveProperty('content');
    }
    expect((await ctx.app.inject({ method: 'HEAD', url: '/health/live' })).statusCode).toBe(200);
  });

  it('reads the same as the served document in YAML 1.1 too (no bare on: key read as true, no date read as a date)', () => {
    const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');
    const served = JSON.parse(JSON.stringify(ctx.app.swagger()));
    expect(parse(committed, { version: '1.1' })).toEqual(served);
    expect(parse(committed)).toEqual(served);
  });

  it('are problem+json on every operation, and an operation that takes a body declares 413 and 415', () => {
    type Op = { requestBody?: unknown; responses: Record<string, { content?: Record<string, unknown> }> };
    const paths = (ctx.app.swagger() as unknown as { paths: Record<string, Record<string, Op>> }).paths;
    let bodies = 0;
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400 || !response.content) continue;
          expect(Object.keys(response.content), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        }
        // The HTTP server answers headers over its limit before any route: every operation can get it.
        expect(Object.keys(op.responses), `${method} ${path}`).toContain('431');
        if (op.requestBody) {
          bodies += 1;
          expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['408', '413', '415']));
        }
      }
    }
    expect(bodies).toBeGreaterThanOrEqual(10);
    // A body is required, but for a certificate's revocation, whose reason is optional.
    const required = (path: string) => (paths[path]?.post?.requestBody as { required?: boolean } | undefined)?.required;
    expect(required('/v1/certificates/{id}/revoke')).toBe(false);
    expect(required('/v1/consents/{id}/revoke')).toBe(true);
    // The effort's answers declare the ETag they carry (a generated client would not see it otherwise).
    type Answer = { headers?: Record<string, unknown> };
    const answer = (path: string, method: string, status: string) =>
      (paths[path]?.[method]?.responses as Record<string, Answer> | undefined)?.[status];
    // A 201 of what has a GET of its own names it in Location; every answer but a probe's carries the rate limit's
    // count.
    const limit = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
    for (const [path, method, status, headers] of [
      ['/v1/coordination-efforts', 'post', '201', ['ETag', 'Location', ...limit, 'X-Request-Id']],
      ['/v1/coordination-efforts/{id}', 'get', '200', ['ETag', ...limit, 'X-Request-Id']],
      ['/v1/coordination-efforts/{id}', 'patch', '200', ['ETag', ...limit, 'X-Request-Id']],
      ['/v1/certificates', 'post', '201', ['Location', ...limit, 'X-Request-Id']],
      ['/v1/certificates', 'post', '200', [...limit, 'X-Request-Id']],
      ['/v1/certificates', 'post', '408', ['X-Request-Id']],
      ['/v1/certificates', 'post', '431', ['X-Request-Id']],
      ['/v1/consents', 'post', '201', ['Location', ...limit, 'X-Request-Id']],
      ['/v1/patients/coordination-status', 'post', '201', [...limit, 'X-Request-Id']],
      ['/health/ready', 'get', '200', ['X-Request-Id']],
    ] as const) {
      expect(Object.keys(answer(path, method, status)?.headers ?? {}).sort(), `${method} ${path}`).toEqual(headers);
    }
    // Every 429 and 503 declares the Retry-After it carries.
    let retried = 0;
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(operations)) {
        for (const status of ['429', '503'] as const) {
          if (!op.responses[status]) continue;
          retried += 1;
          // The probes' and the scrape's GET and HEAD are not limited (exactly those paths).
          const probe =
            ['/health/live', '/health/ready', '/metrics'].includes(path) && ['get', 'head'].includes(method);
          expect(
            Object.keys(answer(path, method, status)?.headers ?? {}).sort(),
            `${method} ${path} ${status}`,
          ).toEqual(probe ? ['Retry-After', 'X-Request-Id'] : ['Retry-After', ...limit, 'X-Request-Id']);
        }
      }
    }
    expect(retried).toBeGreaterThanOrEqual(20);
    // Every answer declares the request id it carries, and every 401 its Bearer challenge; both are declared once.
    const document = ctx.app.swagger() as unknown as { components: { headers: Record<string, unknown> } };
    expect(Object.keys(document.components.headers).sort()).toEqual([
      'Location',
      'Retry-After',
      'WWW-Authenticate',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'X-Request-Id',
    ]);
    let unauthorised = 0;
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(operations)) {
        for (const status of Object.keys(op.responses)) {
          const headers = answer(path, method, status)?.headers ?? {};
          expect(headers['X-Request-Id'], `${method} ${path} ${status}`).toEqual({
            $ref: '#/components/headers/X-Request-Id',
          });
          if (status !== '401') continue;
          unauthorised += 1;
          expect(headers['WWW-Authenticate'], `${method} ${path}`).toEqual({
            $ref: '#/components/headers/WWW-Authenticate',
          });
        }
      }
    }
    expect(unauthorised).toBeGreaterThanOrEqual(20);
    // An empty patch is refused (400), so the contract says so too.
    const schemas = (ctx.app.swagger() as unknown as { components: { schemas: Record<string, unknown> } }).components
      .schemas;
    expect(schemas.CoordinationEffortPatchInput).toMatchObject({ minProperties: 1 });
    // A batch's items are validated one by one, but the contract shows what each must be (a generated client types
    // them); the batch answers a status per item, forbidden among them.
    expect(schemas.CertificateBatchInput).toMatchObject({
      properties: { certificates: { items: { $ref: '#/components/schemas/NewCertificateInput' } } },
    });
    expect(JSON.stringify(ctx.app.swagger())).not.toContain('x-schema-ref');
    expect(schemas.CertificateBatchResult).toMatchObject({
      properties: { results: { items: { properties: { status: { enum: expect.arrayContaining(['forbidden']) } } } } },
    });
  });

  it('declares /metrics as the text it is (Prometheus exposition), and the served answer is that type', async () => {
    type Op = { responses: Record<string, { content?: Record<string, unknown> }> };
    const paths = (ctx.app.swagger() as unknown as { paths: Record<string, Record<string, Op>> }).paths;
    expect(Object.keys(paths['/metrics']?.get?.responses['200']?.content ?? {})).toEqual(['text/plain']);
    const res = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });
});
