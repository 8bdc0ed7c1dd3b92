import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { errorsPlugin } from '../../src/plugins/errors.js';

/**
 * An app with the errors plugin whose route `/<code>` fails as drizzle throws a failed query: its own error around
 * the driver's, which carries the SQLSTATE. Runs `check` and closes the app.
 */
async function withFailingRoutes(codes: string[], check: (app: ReturnType<typeof Fastify>) => Promise<void>) {
  const app = Fastify();
  await app.register(errorsPlugin);
  for (const code of codes) {
    app.get(`/${code}`, () => {
      throw new Error('Failed query', { cause: Object.assign(new Error('the driver’s message'), { code }) });
    });
  }
  try {
    await check(app);
  } finally {
    await app.close();
  }
}

async function expectRetryable(app: ReturnType<typeof Fastify>, code: string, detail: string) {
  const res = await app.inject({ url: `/${code}` });
  expect(res.statusCode, code).toBe(503);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.headers['retry-after']).toBe('2');
  expect(res.json()).toMatchObject({ status: 503, detail });
}

describe('a statement PostgreSQL gave up on because it ran out of time', () => {
  it('is answered 503 problem+json with Retry-After for a statement timeout, a cancel and a lock timeout', () =>
    withFailingRoutes(['57014', '55P03'], async (app) => {
      for (const code of ['57014', '55P03']) {
        await expectRetryable(app, code, 'The database took too long to answer; retry shortly');
      }
    }));
});

describe('a statement PostgreSQL gave up on because of a concurrent one', () => {
  it('is answered 503 problem+json with Retry-After, not 500, for a deadlock and a serialisation failure', () =>
    withFailingRoutes(['40P01', '40001', '23505'], async (app) => {
      for (const code of ['40P01', '40001']) {
        await expectRetryable(app, code, 'A concurrent change got in the way; retry shortly');
      }
      expect((await app.inject({ url: '/23505' })).statusCode).toBe(500);
    }));
});
