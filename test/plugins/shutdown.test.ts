import { once } from 'node:events';
import { request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createScratchDatabase, openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../helpers/database.js';
import { testConfig } from '../helpers/app.js';
import { runScript } from '../helpers/process.js';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await openTestDatabase();
});
afterAll(() => testDb.close());

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, path, host: '127.0.0.1', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('graceful shutdown', () => {
  it('lets an in-flight request finish, then closes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const app = await buildApp({ config: testConfig(), database: testDb.database });
    // A slow route added to this test's app only: it answers once the test lets it.
    let started!: () => void;
    const inFlight = new Promise<void>((r) => {
      started = r;
    });
    app.get('/slow', async () => {
      started();
      await gate;
      return { done: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const pending = get(port, '/slow');
    await inFlight;
    const closing = app.close();
    release();
    const res = await pending;
    await closing;
    expect(res).toEqual({ status: 200, body: '{"done":true}' });
    await expect(get(port, '/health/live')).rejects.toThrow();
  });

  it('answers a request that arrives while closing with a problem+json 503, Retry-After and Connection: close', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const app = await buildApp({ config: testConfig(), database: testDb.database });
    app.get('/slow', async () => {
      await gate;
      return { done: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    // A connection busy with a request when close begins is kept open; a second request sent on it then arrives
    // while closing.
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    socket.on('data', (c) => {
      raw += c;
    });
    const ended = once(socket, 'close');
    socket.write('GET /slow HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 200));
    const closing = app.close();
    socket.write('GET /health/live HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 200));
    release();
    await ended;
    await closing;
    const second = raw.slice(raw.indexOf('HTTP/1.1', 1)).toLowerCase();
    expect(raw.startsWith('HTTP/1.1 200')).toBe(true);
    expect(second).toMatch(/^http\/1\.1 503/);
    expect(second).toContain('content-type: application/problem+json');
    expect(second).toContain('retry-after: 2');
    expect(second).toContain('connection: close');
    expect(second).toContain('"type":"https://');
    expect(second).toContain('shutting down');
  });

  // The second case is Ctrl-C on `npm start`: the terminal signals the process group and npm forwards the signal,
  // so the server gets it twice within milliseconds; that echo must not be taken for a second, forcing Ctrl-C.
  for (const [what, signals] of [
    ['on SIGTERM', ['SIGTERM']],
    ['on a SIGINT that arrives twice at once (Ctrl-C under npm start)', ['SIGINT', 'SIGINT']],
  ] as const) {
    it(`the server process exits cleanly ${what}`, async () => {
      const scratch = TEST_DATABASE_URL ? await createScratchDatabase() : undefined;
      const server = runScript(
        'src/server.ts',
        {
          PORT: '0',
          HOST: '127.0.0.1',
          DATA_DIR: `/tmp/samverkan-shutdown-${process.pid}-${signals.length}`,
          LOG_LEVEL: 'info',
          DATABASE_URL: scratch?.url ?? '',
        },
        [],
        60_000,
      );
      const { child } = server;
      const output = () => server.output();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not listening: ${output()}`)), 45_000);
        child.stdout?.on('data', () => {
          if (output().includes('samverkan listening')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      // npm's copy came 17 ms after the terminal's, while the server was shutting down: the second is sent as soon
      // as the first is being acted on (two sent at once would merge into one pending signal).
      child.kill(signals[0]);
      if (signals.length > 1) {
        while (!output().includes('shutting down')) await new Promise((r) => setTimeout(r, 1));
        child.kill(signals[1]);
      }
      const code = await server.exited;
      expect(code, output()).toBe(0);
      expect(output()).toContain('shutting down');
      expect(output()).not.toContain('exiting');
      await scratch?.drop();
    }, 60_000);
  }
});
