import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { errorsPlugin } from '../../src/plugins/errors.js';

describe('a statement PostgreSQL gave up on because it ran out of time', () => {
  it('is answered 503 problem+json with Retry-After for a statement timeout, a cancel and a lock timeout', async () => {
    const app = Fastify();
    await app.register(errorsPlugin);
    const failing = (code: string) => () => {
      throw new Error('Failed query', { cause: Object.assign(new Error('canceling statement'), { code }) });
    };
    app.get('/statement-timeout', failing('57014'));
    app.get('/lock-timeout', failing('55P03'));
    try {
      for (const url of ['/statement-timeout', '/lock-timeout']) {
        const res = await app.inject({ url });
        expect(res.statusCode, url).toBe(503);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.headers['retry-after']).toBe('2');
        expect(res.json()).toMatchObject({
          status: 503,
          detail: 'The database took too long to answer; retry shortly',
        });
      }
    } finally {
      await app.close();
    }
  });
});

describe('a statement PostgreSQL gave up on because of a concurrent one', () => {
  it('is answered 503 problem+json with Retry-After, not 500, for a deadlock and a serialisation failure', async () => {
    const app = Fastify();
    await app.register(errorsPlugin);
    // As drizzle throws them: its own error around the driver's, which carries the SQLSTATE.
    const failing = (code: string) => () => {
      throw new Error('Failed query', { cause: Object.assign(new Error('deadlock detected'), { code }) });
    };
    app.get('/deadlock', failing('40P01'));
    app.get('/serialisation', failing('40001'));
    app.get('/other', failing('23505'));
    try {
      for (const url of ['/deadlock', '/serialisation']) {
        const res = await app.inject({ url });
        expect(res.statusCode).toBe(503);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.headers['retry-after']).toBe('2');
        expect(res.json()).toMatchObject({ status: 503, detail: 'A concurrent change got in the way; retry shortly' });
      }
      expect((await app.inject({ url: '/other' })).statusCode).toBe(500);
    } finally {
      await app.close();
    }
  });
});
