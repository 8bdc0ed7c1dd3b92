import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { openDatabase } from '../../../src/db/client.js';
import { runMigrations } from '../../../src/db/migrate.js';
import { testConfig } from '../../helpers/app.js';
import { createScratchDatabase, TEST_DATABASE_URL } from '../../helpers/database.js';
import { certificateBody, postCertificate } from './fixtures.js';

// A lock held elsewhere needs another connection: PostgreSQL only (PGlite is one connection).
describe.skipIf(!TEST_DATABASE_URL)('a single post that the database makes wait (PostgreSQL)', () => {
  it('is answered 503 after one statement timeout: its group is not tried again post by post', async () => {
    const scratch = await createScratchDatabase();
    const database = await openDatabase({ url: scratch.url, poolMax: 4, statementTimeoutMs: 800 });
    await runMigrations(database);
    const app = await buildApp({ config: testConfig(), database });
    await app.ready();
    const blocker = new pg.Client({ connectionString: scratch.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table certificates in access exclusive mode');
      // Every write of the group goes through store(): once for the group, and once per post when it was retried.
      const store = vi.spyOn(app.services.certificates as unknown as { store: () => unknown }, 'store');
      const res = await postCertificate(app, certificateBody());
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(store).toHaveBeenCalledTimes(1);
      await blocker.query('rollback');
      // With the lock gone the same post is stored.
      const again = await postCertificate(app, certificateBody());
      expect(again.statusCode, again.body).toBe(201);
    } finally {
      await blocker.end();
      await app.close();
      await database.close();
      await scratch.drop();
    }
  });
});
