import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { findLeaks } from '../../scripts/check-log-hygiene.js';
import { loggerOptions } from '../../src/lib/logger.js';
import { useTestApp } from '../helpers/app.js';
import { bearer } from '../helpers/tokens.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(String(chunk));
    done();
  },
});
const ctx = useTestApp({}, pino(loggerOptions('debug'), sink));

describe('request logs', () => {
  it('carry the route pattern and the request id, never the URL a client sent', async () => {
    await ctx.app.inject({
      url: '/v1/certificates/19121212-1212?q=Tolvan',
      headers: { ...bearer({ role: 'coordinator' }), 'x-request-id': 'log-test-1' },
    });
    await ctx.app.inject({ url: '/v1/no-such-route/191212121212', headers: { 'x-request-id': 'log-test-2' } });
    const text = lines.join('');
    expect(text).toContain('"route":"/v1/certificates/:id"');
    expect(text).toContain('log-test-1');
    expect(text).toContain('"route":"(no route)"');
    expect(findLeaks(text)).toEqual([]);
  });
});
