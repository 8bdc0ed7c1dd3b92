import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../../src/db/migrate.js';

/**
 * Migration 0011 moves the certificates' key to (care_giver_id, id) on a database that already holds certificates
 * and relations: each relation takes its certificate's care giver, and from then on a second care giver may store
 * an id the first one holds. Run on PGlite alone (the SQL is the same on PostgreSQL, where the suites apply it too).
 */
const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as {
  entries: { tag: string }[];
};
const apply = async (db: PGlite, tag: string) => {
  for (const statement of readFileSync(`${migrationsFolder}/${tag}.sql`, 'utf8').split('--> statement-breakpoint')) {
    if (statement.trim()) await db.exec(statement);
  }
};
const insert = (db: PGlite, id: string, careGiverId: string) =>
  db.query(
    `insert into certificates (id, type, care_giver_id, unit_id, patient_id, doctor_id, signed_at, start_date,
       end_date, occupations, counts, content_hash, content, created_by)
     values ($1, 'FK7804', $2, 'U', '191212121212', 'D', now(), '2026-01-01', '2026-01-02', '{}', true, 'x', '{}', 't')`,
    [id, careGiverId],
  );

describe('migration 0011 (certificate ids per care giver)', () => {
  it('keeps stored relations, keyed on their certificate’s care giver, and lets another care giver use an id', async () => {
    const index = journal.entries.findIndex((e) => e.tag.startsWith('0011_'));
    const db = new PGlite();
    try {
      for (const e of journal.entries.slice(0, index)) await apply(db, e.tag);
      await insert(db, 'a', 'CG01');
      await insert(db, 'b', 'CG01');
      await insert(db, 'c', 'CG02');
      await db.exec(
        `insert into certificate_relations (certificate_id, kind, target_id) values ('b', 'replaces', 'a'), ('c', 'replaces', 'a')`,
      );
      await apply(db, journal.entries[index]!.tag);
      const relations = await db.query(
        'select care_giver_id, certificate_id, target_id from certificate_relations order by 1, 2',
      );
      expect(relations.rows).toEqual([
        { care_giver_id: 'CG01', certificate_id: 'b', target_id: 'a' },
        { care_giver_id: 'CG02', certificate_id: 'c', target_id: 'a' },
      ]);
      await insert(db, 'a', 'CG02');
      await expect(insert(db, 'a', 'CG02')).rejects.toThrow(/duplicate key/);
      const stored = await db.query('select care_giver_id, id from certificates order by 1, 2');
      expect(stored.rows).toHaveLength(4);
    } finally {
      await db.close();
    }
  });
});
