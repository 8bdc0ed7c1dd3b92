import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeChangedTables, openDatabase, queryRows } from '../../src/db/client.js';

const root = mkdtempSync(path.join(tmpdir(), 'samverkan-client-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the embedded database directory', () => {
  it('is held by one process at a time: a second open is refused naming DATA_DIR, and it opens again once closed', async () => {
    const dataDir = path.join(root, 'one');
    const first = await openDatabase({ dataDir });
    await first.db.execute(sql`create table kept (n int)`);
    await first.db.execute(sql`insert into kept values (1)`);
    await expect(openDatabase({ dataDir })).rejects.toThrow(/DATA_DIR .*one is in use by another samverkan process/);
    await first.close();

    const again = await openDatabase({ dataDir });
    expect(await queryRows(again.db, sql`select n from kept`)).toEqual([{ n: 1 }]);
    await again.close();
  });

  it('that cannot be a directory is refused at once, naming DATA_DIR', async () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(openDatabase({ dataDir: file })).rejects.toThrow(
      /^DATA_DIR .*a-file cannot be created or is not a directory/,
    );
    await expect(openDatabase({ dataDir: path.join(file, 'below') })).rejects.toThrow(/^DATA_DIR .* cannot be created/);
  });
});

describe('the embedded database’s statistics (PGlite runs no autovacuum)', () => {
  const analyzedAt = async (db: Awaited<ReturnType<typeof openDatabase>>['db']) =>
    (
      await queryRows<{ last_analyze: string | null }>(
        db,
        sql`select last_analyze::text from pg_stat_user_tables where relname = 'counted'`,
      )
    )[0]?.last_analyze ?? null;

  it('a table changed by more than 50 rows and 10 % is analyzed, once, and one barely changed is not', async () => {
    const database = await openDatabase({ dataDir: 'memory://', autoAnalyzeMs: 0 });
    try {
      // The counts reach pg_stat_user_tables a moment after the statements (PostgreSQL flushes them lazily).
      const changed = async () =>
        (
          await queryRows<{ n: number }>(
            database.db,
            sql`select n_mod_since_analyze::int as n from pg_stat_user_tables where relname = 'counted'`,
          )
        )[0]?.n ?? 0;
      await database.db.execute(sql`create table counted (n int)`);
      await database.db.execute(sql`insert into counted select generate_series(1, 40)`);
      await expect.poll(changed, { timeout: 5_000, interval: 50 }).toBe(40);
      expect(await analyzeChangedTables(database.db)).toEqual([]);
      await database.db.execute(sql`insert into counted select generate_series(41, 200)`);
      await expect.poll(changed, { timeout: 5_000, interval: 50 }).toBe(200);
      expect(await analyzeChangedTables(database.db)).toEqual(['public.counted']);
      expect(await analyzedAt(database.db)).not.toBeNull();
      expect(await analyzeChangedTables(database.db)).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('is kept by the database itself, on a timer, without anyone asking', async () => {
    const database = await openDatabase({ dataDir: 'memory://', autoAnalyzeMs: 50 });
    try {
      await database.db.execute(sql`create table counted (n int)`);
      await database.db.execute(sql`insert into counted select generate_series(1, 500)`);
      await expect.poll(() => analyzedAt(database.db), { timeout: 5_000, interval: 50 }).not.toBeNull();
    } finally {
      await database.close();
    }
  });
});
