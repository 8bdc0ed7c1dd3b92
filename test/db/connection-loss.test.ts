import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { openDatabase, queryRows } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { testConfig } from '../helpers/app.js';
import { createScratchDatabase, TEST_DATABASE_URL } from '../helpers/database.js';
import { bearer } from '../helpers/tokens.js';

describe.skipIf(!TEST_DATABASE_URL)('a database dropped under the running service (PostgreSQL)', () => {
  it('answers 503 problem+json with Retry-After, as /health/ready does, not 500', async () => {
    const scratch = await createScratchDatabase();
    const database = await openDatabase({ url: scratch.url, connectTimeoutMs: 2_000 });
    await runMigrations(database);
    const app = await buildApp({ config: testConfig(), database });
    await app.ready();
    try {
      await scratch.drop();
      const res = await app.inject({ method: 'GET', url: '/v1/certificates/c-1', headers: bearer({ role: 'doctor' }) });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['retry-after']).toBe('2');
      expect(res.json().detail).toMatch(/database is not reachable/);
      expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);
    } finally {
      await app.close();
      await database.close();
    }
  });
});

describe.skipIf(!TEST_DATABASE_URL)('a pooled connection the server ended (PostgreSQL)', () => {
  it('does not make /health/ready fail: the probe tries a fresh connection', async () => {
    const scratch = await createScratchDatabase();
    const database = await openDatabase({ url: scratch.url, connectTimeoutMs: 2_000, poolMax: 1 });
    await runMigrations(database);
    const app = await buildApp({ config: testConfig(), database });
    await app.ready();
    try {
      expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      const admin = await openDatabase({ url: TEST_DATABASE_URL!, poolMax: 1 });
      const name = new URL(scratch.url).pathname.slice(1);
      await queryRows(admin.db, sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name}`);
      await admin.close();
      const res = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode, res.body).toBe(200);
    } finally {
      await app.close();
      await database.close();
      await scratch.drop();
    }
  });
});
