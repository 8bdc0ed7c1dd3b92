import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/client.js';

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
