import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { openDatabase, queryRows } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { testConfig } from '../helpers/app.js';
import { createScratchDatabase, TEST_DATABASE_URL } from '../helpers/database.js';
import { captureLogs } from '../helpers/log-capture.js';
import { bearer } from '../helpers/tokens.js';
import { certificateBody } from '../modules/certificates/fixtures.js';

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

describe.skipIf(!TEST_DATABASE_URL)('every connection of the pool in use (PostgreSQL)', () => {
  it('is told as that, not as a database out of reach or unmigrated, and readiness waits once, not twice', async () => {
    const scratch = await createScratchDatabase();
    const database = await openDatabase({ url: scratch.url, connectTimeoutMs: 1_000, poolMax: 1 });
    await runMigrations(database);
    const logs = captureLogs('warn');
    const app = await buildApp({ config: testConfig(), database, logger: logs.logger });
    await app.ready();
    try {
      const busy = database.withSession((s) => s.execute(sql`select pg_sleep(3)`));
      await new Promise((r) => setTimeout(r, 100));
      const started = performance.now();
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      const waited = performance.now() - started;
      expect(ready.statusCode).toBe(503);
      expect(ready.json().detail).toMatch(/every database connection .* in use/i);
      // Logged for the operator as the API's own 503s are.
      const lines = logs.lines.map((l) => JSON.parse(l) as { code?: string; reqId?: string });
      expect(
        lines.filter((l) => l.code === 'pool-exhausted' && l.reqId === ready.headers['x-request-id']),
      ).toHaveLength(1);
      // One connection timeout (1 s), not a second try on top: a 3 s healthcheck gave up before the answer came.
      expect(waited).toBeLessThan(1_900);
      const res = await app.inject({ method: 'GET', url: '/v1/certificates/c-1', headers: bearer({ role: 'doctor' }) });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('2');
      expect(res.json().detail).toMatch(/every database connection .* in use/i);
      await busy;
      expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await database.close();
      await scratch.drop();
    }
  });
});

/**
 * A migrated app whose database then runs `statements` (dropping what the service made), ready before them; `check`
 * runs against it after. On PostgreSQL with TEST_DATABASE_URL, else PGlite in memory.
 */
async function withDatabaseEmptied(
  statements: readonly string[],
  check: (app: Awaited<ReturnType<typeof buildApp>>) => Promise<void>,
): Promise<void> {
  const scratch = TEST_DATABASE_URL ? await createScratchDatabase() : undefined;
  const database = await openDatabase(scratch ? { url: scratch.url, poolMax: 2 } : { dataDir: 'memory://' });
  await runMigrations(database);
  const app = await buildApp({ config: testConfig(), database });
  await app.ready();
  try {
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    for (const statement of statements) await database.db.execute(sql.raw(statement));
    await check(app);
  } finally {
    await app.close();
    await database.close();
    await scratch?.drop();
  }
}

describe('a database emptied under the running service (its tables gone, the server up)', () => {
  it('is not ready, and a request is 503 problem+json saying so, not 500', async () => {
    await withDatabaseEmptied(
      ['drop schema drizzle cascade', 'drop schema public cascade', 'create schema public'],
      async (app) => {
        const ready = await app.inject({ method: 'GET', url: '/health/ready' });
        expect(ready.statusCode).toBe(503);
        expect(ready.json().detail).toMatch(/migrations are not applied/);
        expect(ready.headers['retry-after']).toBe('2');
        const res = await app.inject({
          method: 'GET',
          url: '/v1/certificates/c-1',
          headers: bearer({ role: 'doctor' }),
        });
        expect(res.statusCode).toBe(503);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().detail).toMatch(/not migrated/);
      },
    );
  });
});

describe('a database whose tables are dropped while its migration records stay', () => {
  it('is not ready on any probe, however often asked (it said ready once a seal pass had failed)', async () => {
    await withDatabaseEmptied(['drop schema public cascade', 'create schema public'], async (app) => {
      // A seal pass fails on the missing tables; readiness must not read that as "ready, sealing failing".
      await app.services.audit.sealer.sealNow().catch(() => undefined);
      for (let probe = 0; probe < 3; probe++) {
        const ready = await app.inject({ method: 'GET', url: '/health/ready' });
        expect(ready.statusCode, `probe ${probe}`).toBe(503);
        expect(ready.json().detail).toMatch(/tables are missing/);
      }
    });
  });
});

describe.skipIf(!TEST_DATABASE_URL)('a standby (DATABASE_READ_URL) that fails (PostgreSQL)', () => {
  const overview = (app: Awaited<ReturnType<typeof buildApp>>) =>
    app.inject({
      url: '/v1/units/SE2321000016-U001/sick-leaves?activeOn=2026-11-25',
      headers: bearer({ role: 'coordinator' }),
    });

  for (const [what, standbyUrl] of [
    ['not reachable', async () => 'postgres://postgres@127.0.0.1:1/none'],
    [
      // As a standby promoted while the service runs: migrated, answering, but taking writes of its own.
      'no longer in recovery',
      async () => {
        const { url } = await createScratchDatabase();
        const standby = await openDatabase({ url, poolMax: 1 });
        await runMigrations(standby);
        await standby.close();
        return url;
      },
    ],
    ['without the schema', async () => (await createScratchDatabase()).url],
    [
      'migrated but missing a table',
      async () => {
        const { url } = await createScratchDatabase();
        const standby = await openDatabase({ url, poolMax: 1 });
        await runMigrations(standby);
        await standby.db.execute(sql`alter table unit_case_versions rename to gone`);
        await standby.close();
        return url;
      },
    ],
  ] as const) {
    it(`${what}: the overview is read from the primary, and the process stays ready, saying the standby fails`, async () => {
      const primary = await createScratchDatabase();
      const readUrl = await standbyUrl();
      const database = await openDatabase({ url: primary.url, readUrl, connectTimeoutMs: 2_000, poolMax: 2 });
      await runMigrations(database);
      const app = await buildApp({ config: testConfig(), database });
      await app.ready();
      try {
        const post = await app.inject({
          method: 'POST',
          url: '/v1/certificates',
          headers: bearer({ role: 'ehr' }),
          payload: certificateBody(),
        });
        expect(post.statusCode).toBe(201);
        const res = await overview(app);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().total).toBe(1);
        // And again, now without trying the standby first.
        expect((await overview(app)).json().total).toBe(1);
        const ready = await app.inject({ method: 'GET', url: '/health/ready' });
        expect(ready.statusCode).toBe(200);
        expect(ready.json()).toEqual({ status: 'ready', database: 'pg', auditSealing: 'ok', standby: 'failing' });
      } finally {
        await app.close();
        await database.close();
        await primary.drop();
        if (readUrl.includes('samverkan_scratch_')) {
          const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
          await admin.connect();
          await admin.query(`drop database if exists ${new URL(readUrl).pathname.slice(1)} with (force)`);
          await admin.end();
        }
      }
    });
  }
});
