import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { useTestApp } from '../../helpers/app.js';
import { CARE_GIVER, EHR, OTHER_CARE_GIVER } from '../../helpers/tokens.js';
import { certificateBody, ehrHeaders, getCertificate, postCertificate } from './fixtures.js';

// Concurrent single posts share one transaction (group commit); each must still be answered as if it were alone.
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });

const OTHER_EHR = 'SE2321000099-EHR9';
const OTHER_UNIT = 'SE2321000099-U009';
const otherEhr = ehrHeaders({ sub: OTHER_EHR, careGiverId: OTHER_CARE_GIVER, units: [OTHER_UNIT] });
const otherBody = (id: string) =>
  certificateBody({
    id,
    careGiver: { id: OTHER_CARE_GIVER, name: 'Region Annan' },
    unit: { id: OTHER_UNIT, name: 'VC Annan' },
  });

describe('concurrent single posts (group commit)', () => {
  it('share transactions, yet each is stored, answered 201 and audited for its own poster and care giver', async () => {
    const posts = Array.from({ length: 30 }, (_, i) =>
      i % 2 === 0
        ? postCertificate(ctx.app, certificateBody({ id: `c-group-${i}` }))
        : postCertificate(ctx.app, otherBody(`c-group-${i}`), otherEhr),
    );
    const answers = await Promise.all(posts);
    expect(answers.map((a) => a.statusCode)).toEqual(Array(30).fill(201));
    answers.forEach((a, i) => {
      expect(a.json()).toMatchObject({ id: `c-group-${i}`, counts: true, revoked: null });
    });

    const rows = await queryRows<{ id: string; created_by: string; care_giver_id: string; tx: string }>(
      ctx.database.db,
      sql`select id, created_by, care_giver_id, xmin::text as tx from certificates order by id`,
    );
    expect(rows).toHaveLength(30);
    for (const row of rows) {
      const even = Number(row.id.split('-')[2]) % 2 === 0;
      expect(row).toMatchObject(
        even
          ? { created_by: EHR, care_giver_id: CARE_GIVER }
          : { created_by: OTHER_EHR, care_giver_id: OTHER_CARE_GIVER },
      );
    }
    // Fewer transactions than posts: they were written together.
    expect(new Set(rows.map((r) => r.tx)).size).toBeLessThan(30);

    const events = await queryRows<{ resource_id: string; actor_id: string; care_giver_id: string }>(
      ctx.database.db,
      sql`select resource_id, actor_id, care_giver_id from audit_events where action = 'create' order by resource_id`,
    );
    expect(events).toHaveLength(30);
    for (const e of events) {
      const poster = rows.find((r) => r.id === e.resource_id)!;
      expect(e).toMatchObject({ actor_id: poster.created_by, care_giver_id: poster.care_giver_id });
    }
  });

  it('one id posted concurrently with different content: one 201, the others 409, the first content kept', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        postCertificate(
          ctx.app,
          certificateBody({ id: 'c-contested', patient: { id: '191212121212', name: `P ${i}` } }),
        ),
      ),
    );
    const codes = answers.map((a) => a.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(9);
    const winner = answers.find((a) => a.statusCode === 201)!.json() as { patient: { name: string } };
    const [stored] = await queryRows<{ name: string }>(
      ctx.database.db,
      sql`select patient_name as name from certificates where id = 'c-contested'`,
    );
    expect(stored!.name).toBe(winner.patient.name);
    for (const a of answers.filter((x) => x.statusCode === 409)) {
      expect(a.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(a.json()).toMatchObject({ certificateId: 'c-contested' });
    }
  });

  it('a post that fails in the database fails alone; its neighbours in the group are stored', async () => {
    // A trigger stands in for any failure of one row (a constraint, a bug) that validation cannot foresee.
    await ctx.database.db.execute(sql`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin
        if new.id = 'c-poison' then raise exception 'poisoned row'; end if;
        return new;
      end $$`);
    await ctx.database.db.execute(
      sql`create trigger refuse_poison before insert on certificates for each row execute function refuse_poison()`,
    );
    try {
      const ids = Array.from({ length: 10 }, (_, i) => (i === 4 ? 'c-poison' : `c-neighbour-${i}`));
      const answers = await Promise.all(ids.map((id) => postCertificate(ctx.app, certificateBody({ id }))));
      expect(answers.map((a) => a.statusCode)).toEqual(ids.map((id) => (id === 'c-poison' ? 500 : 201)));
      const stored = await queryRows<{ id: string }>(ctx.database.db, sql`select id from certificates order by id`);
      expect(stored.map((r) => r.id)).toEqual(ids.filter((id) => id !== 'c-poison').sort());
      const events = await queryRows<{ n: number }>(
        ctx.database.db,
        sql`select count(*)::int as n from audit_events where action = 'create'`,
      );
      expect(events[0]!.n).toBe(9);
    } finally {
      await ctx.database.db.execute(sql`drop trigger refuse_poison on certificates`);
      await ctx.database.db.execute(sql`drop function refuse_poison()`);
    }
  });

  it('a step failing after the group committed: each post is still answered 201, and the target still settled', async () => {
    // The target arrives in a group without relations, which is inserted (and committed) in one statement before the
    // target's supersession is settled; the posts are then tried one by one and find their rows stored.
    await withStoredReplacementOf('c-target', async () => {
      const ids = ['c-target', ...Array.from({ length: 4 }, (_, i) => `c-beside-${i}`)];
      const answers = await Promise.all(ids.map((id) => postCertificate(ctx.app, certificateBody({ id }))));
      expect(answers.map((a) => a.statusCode)).toEqual(ids.map(() => 201));
      const [failures] = await queryRows<{ n: string }>(
        ctx.database.db,
        sql`select last_value::text as n from settle_failures`,
      );
      expect(Number(failures!.n)).toBeGreaterThan(1); // the settling failed, then ran again
      const target = (await getCertificate(ctx.app, 'c-target')).json();
      expect(target).toMatchObject({ counts: false });
      const events = await queryRows<{ n: number }>(
        ctx.database.db,
        sql`select count(*)::int as n from audit_events where action = 'create' and resource_id like 'c-%'`,
      );
      expect(events[0]!.n).toBe(ids.length + 1);
    });
  });

  it('a lone post whose settling failed once after its insert committed: tried again, answered 201, target settled', async () => {
    // Whether a post goes alone or in a group is a matter of timing; its answer must not depend on it.
    await withStoredReplacementOf('c-target-2', async () => {
      const first = await postCertificate(ctx.app, certificateBody({ id: 'c-target-2' }));
      expect(first.statusCode).toBe(201);
      expect((await getCertificate(ctx.app, 'c-target-2')).json()).toMatchObject({ counts: false });
    });
  });

  it('a lone post whose settling failed twice after its insert committed: 500, and the client’s retry settles the target', async () => {
    await withStoredReplacementOf(
      'c-target-3',
      async () => {
        const first = await postCertificate(ctx.app, certificateBody({ id: 'c-target-3' }));
        expect(first.statusCode).toBeGreaterThanOrEqual(500);
        // Stored, but not settled: it counts beside its replacement until a retry.
        expect((await getCertificate(ctx.app, 'c-target-3')).json()).toMatchObject({ counts: true });
        const retry = await postCertificate(ctx.app, certificateBody({ id: 'c-target-3' }));
        expect(retry.statusCode).toBe(200);
        expect((await getCertificate(ctx.app, 'c-target-3')).json()).toMatchObject({ counts: false });
      },
      2,
    );
  });
});

/**
 * Runs `test` with a replacement of `target` stored and the first `failures` updates of `target` (its settling)
 * failing, as a deadlock or a statement timeout would; later updates pass.
 */
async function withStoredReplacementOf(target: string, test: () => Promise<void>, failures = 1): Promise<void> {
  const replacement = await postCertificate(
    ctx.app,
    certificateBody({ id: `${target}-replacement`, relation: { kind: 'replaces', certificateId: target } }),
  );
  expect(replacement.statusCode).toBe(201);
  await ctx.database.db.execute(sql`create sequence settle_failures`);
  await ctx.database.db.execute(
    sql.raw(`create function fail_first_settle() returns trigger language plpgsql as $$
      begin
        if nextval('settle_failures') <= ${Number(failures)} then raise exception 'settling failed'; end if;
        return new;
      end $$`),
  );
  await ctx.database.db.execute(
    sql.raw(`create trigger fail_first_settle before update on certificates for each row
             when (new.id = '${target}') execute function fail_first_settle()`),
  );
  try {
    await test();
  } finally {
    await ctx.database.db.execute(sql`drop trigger fail_first_settle on certificates`);
    await ctx.database.db.execute(sql`drop function fail_first_settle()`);
    await ctx.database.db.execute(sql`drop sequence settle_failures`);
  }
}
