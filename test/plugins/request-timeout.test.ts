import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { openDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { testConfig } from '../helpers/app.js';
import { bearer } from '../helpers/tokens.js';

describe('a request that does not arrive in time', () => {
  it('is answered 408 problem+json and its socket closed: a body sent a byte at a time no longer holds it', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    await runMigrations(database);
    const app = await buildApp({ config: testConfig({ REQUEST_TIMEOUT_MS: '400' }), database });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const started = Date.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let received = '';
        const drip = setInterval(() => socket.write('{'), 100);
        socket.on('data', (chunk) => {
          received += chunk.toString();
        });
        socket.on('close', () => {
          clearInterval(drip);
          resolve(received);
        });
        socket.on('error', (err) => {
          clearInterval(drip);
          if (received) resolve(received);
          else reject(err);
        });
        const auth = bearer({ role: 'coordinator' }).authorization;
        socket.write(
          `POST /v1/consent-checks HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n',
        );
        setTimeout(() => socket.destroy(new Error('still open after 8 s')), 8_000);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(answer).toMatch(/application\/problem\+json/);
      expect(Date.now() - started).toBeLessThan(7_000);
    } finally {
      await app.close();
      await database.close();
    }
  });
});
