import { describe, expect, it } from 'vitest';
import { checkStandby, openDatabase, type ServerIdentity, standbyVerdict } from '../../src/db/client.js';
import { createScratchDatabase, TEST_DATABASE_URL } from '../helpers/database.js';
import { runScript } from '../helpers/process.js';

describe('the standby rule, on what the two servers say of themselves', () => {
  const primary: ServerIdentity = {
    recovering: false,
    database: 'samverkan',
    system: '7714',
    started: '2026-12-02 08:00:00+00',
  };
  const replica: ServerIdentity = { ...primary, recovering: true, started: '2026-12-02 09:00:00+00' };

  it('takes a replica of the primary’s cluster naming the same database', () => {
    expect(standbyVerdict(primary, replica)).toEqual({});
    expect(standbyVerdict(primary, { ...replica, system: null })).toEqual({});
  });

  it('refuses a replica naming another of its databases, or of another cluster', () => {
    expect(standbyVerdict(primary, { ...replica, database: 'other' }).refuse).toMatch(/names database other/);
    expect(standbyVerdict(primary, { ...replica, system: '9999' }).refuse).toMatch(/another PostgreSQL cluster/);
  });

  it('refuses a promoted standby (the cluster’s identifier, another postmaster), warns for the primary itself', () => {
    expect(standbyVerdict(primary, { ...replica, recovering: false }).refuse).toMatch(/promoted standby/);
    expect(standbyVerdict(primary, { ...primary })).toEqual({ warn: expect.stringMatching(/primary itself/) });
    expect(standbyVerdict(primary, { ...primary, database: 'other' }).refuse).toMatch(/writable/);
    expect(standbyVerdict(primary, { ...primary, system: null }).refuse).toMatch(/writable server/);
  });
});

// A real hot standby is measured in bench/ (bench/replica.sh); here, what must not pass for one.
describe.skipIf(!TEST_DATABASE_URL)('DATABASE_READ_URL that is not a standby of DATABASE_URL (PostgreSQL)', () => {
  it('a writable database other than the primary stops the start, naming DATABASE_READ_URL and why', async () => {
    const primary = await createScratchDatabase();
    const other = await createScratchDatabase();
    try {
      const server = runScript('src/server.ts', {
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DATABASE_URL: primary.url,
        DATABASE_READ_URL: other.url,
      });
      const code = await server.exited;
      const output = server.output();
      expect(code, output).toBe(1);
      expect(output).toMatch(/DATABASE_READ_URL \(127\.0\.0\.1:\d+\/samverkan_scratch_\w+\): is a writable server/);
      expect(output).not.toContain('samverkan listening');
    } finally {
      await primary.drop();
      await other.drop();
    }
  });

  it('the primary itself under another URL is allowed, with a warning that nothing is offloaded', async () => {
    const primary = await createScratchDatabase();
    const url = new URL(primary.url);
    url.hostname = 'localhost';
    const database = await openDatabase({ url: primary.url, readUrl: url.toString(), poolMax: 1 });
    try {
      expect(await checkStandby(database.db, database.readDb)).toEqual({
        warn: expect.stringMatching(/primary itself/),
      });
    } finally {
      await database.close();
      await primary.drop();
    }
  });
});
