import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { findLeaks } from '../../scripts/check-log-hygiene.js';
import { useTestApp } from '../helpers/app.js';
import { captureLogs } from '../helpers/log-capture.js';
import { bearer } from '../helpers/tokens.js';

const { lines, logger } = captureLogs('debug');
const ctx = useTestApp({}, logger);

const LOGGED_ID = 'a5e1c0de-0000-4000-8000-00000000001a';

describe('request logs', () => {
  it('carry the route pattern and the request id, never the URL a client sent', async () => {
    await ctx.app.inject({
      url: '/v1/certificates/19121212-1212?q=Tolvan',
      headers: { ...bearer({ role: 'coordinator' }), 'x-request-id': LOGGED_ID },
    });
    await ctx.app.inject({ url: '/v1/no-such-route/191212121212', headers: { 'x-request-id': 'log-test-2' } });
    const text = lines.join('');
    expect(text).toContain('"route":"/v1/certificates/:id"');
    expect(text).toContain(LOGGED_ID);
    expect(text).toContain('"route":"(no route)"');
    expect(findLeaks(text)).toEqual([]);
  });

  it('close a request refused before routing (414, a bad percent-encoding) as every other: a completion line', async () => {
    for (const [url, status] of [
      [`/v1/consents/${'x'.repeat(201)}`, 414],
      ['/v1/consents/%ff', 400],
    ] as const) {
      const id = `b1e1c0de-0000-4000-8000-00000000${String(status).padStart(4, '0')}`;
      lines.length = 0;
      const res = await ctx.app.inject({ url, headers: { ...bearer({ role: 'coordinator' }), 'x-request-id': id } });
      expect(res.statusCode).toBe(status);
      const ours = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === id);
      expect(ours.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
      expect(ours[1]).toMatchObject({ res: { statusCode: status } });
      expect(lines.join('')).not.toContain('xxxxxxxxxx');
    }
  });
});

/** A logger with the service's options, writing into `out`. */
function capture() {
  const { lines: out, logger: log } = captureLogs('info');
  return { out, log };
}

describe('a failed query in a log line', () => {
  it('keeps what failed (SQLSTATE, constraint, scrubbed message), never the parameters or the query text', () => {
    const cause = Object.assign(
      new Error('duplicate key value violates unique constraint "certificates_pkey" (id)=(c-191212121212)'),
      { code: '23505', constraint: 'certificates_pkey', table: 'certificates' },
    );
    const failed = new DrizzleQueryError(
      'insert into certificates (id, patient_id, patient_name) values ($1, $2, $3)',
      ['c-1', '191212121212', 'Tolvan Tolvansson'],
      cause,
    );
    const { out, log } = capture();
    log.error({ err: failed }, 'unhandled error');
    const line = JSON.parse(out.join('')) as { err: Record<string, unknown> };
    expect(line.err).toEqual({
      type: 'DrizzleQueryError',
      message: 'database query failed',
      code: '23505',
      constraint: 'certificates_pkey',
      table: 'certificates',
      cause: 'duplicate key value violates unique constraint "…" (…)=(…)',
    });
    expect(findLeaks(out.join(''))).toEqual([]);
    expect(out.join('')).not.toContain('insert into');
  });

  it('other errors keep their message and stack', () => {
    const { out, log } = capture();
    log.error({ err: new TypeError('boom') }, 'unhandled error');
    const line = JSON.parse(out.join('')) as { err: { type: string; message: string; stack: string } };
    expect(line.err).toMatchObject({ type: 'TypeError', message: 'boom' });
    expect(line.err.stack).toContain('TypeError: boom');
  });
});
