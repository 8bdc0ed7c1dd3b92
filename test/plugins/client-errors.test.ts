import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { findLeaks } from '../../scripts/check-log-hygiene.js';
import { useTestApp } from '../helpers/app.js';
import { captureLogs } from '../helpers/log-capture.js';
import { bearer } from '../helpers/tokens.js';

// Requests Node's HTTP parser refuses before Fastify sees them. Fastify's own handler logged the error whole at trace
// level, and the error carries the raw request: its bearer token and its body.
const { lines, logger } = captureLogs('trace');
const ctx = useTestApp({}, logger);
let port = 0;
beforeAll(async () => {
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  port = (ctx.app.server.address() as AddressInfo).port;
});

/** Sends raw bytes and reads until the server closes the connection. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

const BODY = JSON.stringify({ patientId: '191212121212', unitId: 'SE2321000016-U001', purpose: 'Tolvan Tolvansson' });
const TOKEN = bearer({ role: 'coordinator' }).authorization;

function parsed(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine?.split(' ')[1]), headers, body: JSON.parse(body) };
}

describe('a request the HTTP parser refuses', () => {
  it('headers too large: 431 problem+json with the headers of every answer, and the log keeps none of it', async () => {
    lines.length = 0;
    const answer = await raw(
      `POST /v1/consent-checks HTTP/1.1\r\nHost: x\r\nAuthorization: ${TOKEN}\r\nX-Pad: ${'p'.repeat(17_000)}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`,
    );
    const res = parsed(answer);
    expect(res.status).toBe(431);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(res.body).toMatchObject({ status: 431, type: expect.stringMatching(/headers-too-large$/) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = lines.join('');
    expect(text).toContain('"code":"HPE_HEADER_OVERFLOW"');
    expect(text).not.toContain('rawPacket');
    expect(text).not.toContain(TOKEN.slice(7, 40));
    expect(findLeaks(text)).toEqual([]);
  });

  it('malformed HTTP: 400 problem+json, and the log keeps none of it', async () => {
    lines.length = 0;
    const answer = await raw(
      `POST /v1/consent-checks HTTP/1.1\r\nHost: x\r\nAuthorization: ${TOKEN}\r\nBad Header Here\r\n` +
        `Content-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`,
    );
    const res = parsed(answer);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).toMatchObject({ status: 400, detail: 'The request is not valid HTTP' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = lines.join('');
    expect(text).not.toContain('rawPacket');
    expect(text).not.toContain('191212121212');
    expect(text).not.toContain(TOKEN.slice(7, 40));
  });
});
