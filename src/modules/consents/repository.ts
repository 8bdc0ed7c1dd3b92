import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { consents } from '../../db/schema.js';

export type ConsentRow = typeof consents.$inferSelect;
export type NewConsentRow = typeof consents.$inferInsert;

export async function insertConsent(ex: Executor, row: NewConsentRow): Promise<ConsentRow> {
  const [stored] = await ex.insert(consents).values(row).returning();
  return stored!;
}

/** One consent by id; `lock` takes a row lock so a revoke and a void of the same consent serialise. */
export async function findConsent(ex: Executor, id: string, lock = false): Promise<ConsentRow | undefined> {
  const query = ex.select().from(consents).where(eq(consents.id, id));
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

/** Every consent of a patient within one care giver, all units, newest given first. */
export async function findPatientConsents(ex: Executor, careGiverId: string, patientId: string): Promise<ConsentRow[]> {
  return ex
    .select()
    .from(consents)
    .where(and(eq(consents.careGiverId, careGiverId), eq(consents.patientId, patientId)))
    .orderBy(desc(consents.givenOn), desc(consents.recordedAt));
}

/**
 * The patient's consents of the given kinds at one unit, the input of a check. With `share`, the rows are read
 * `FOR SHARE` inside the caller's transaction: a concurrent revoke or void (an UPDATE) waits for the caller's write
 * to commit, and the caller waits for a revoke already under way, so an effort is never stored against a consent
 * revoked at the same moment.
 */
export async function findConsentsForCheck(
  ex: Executor,
  careGiverId: string,
  unitId: string,
  patientId: string,
  kinds: readonly string[],
  share = false,
): Promise<ConsentRow[]> {
  const query = ex
    .select()
    .from(consents)
    .where(
      and(
        eq(consents.careGiverId, careGiverId),
        eq(consents.patientId, patientId),
        eq(consents.unitId, unitId),
        inArray(consents.kind, [...kinds]),
      ),
    );
  return share ? query.for('share') : query;
}

export async function markRevoked(ex: Executor, id: string, by: string, reason: string): Promise<ConsentRow> {
  const [row] = await ex
    .update(consents)
    .set({ revokedAt: new Date(), revokedBy: by, revokeReason: reason })
    .where(eq(consents.id, id))
    .returning();
  return row!;
}

export async function markVoided(ex: Executor, id: string, by: string, reason: string): Promise<ConsentRow> {
  const [row] = await ex
    .update(consents)
    .set({ voidedAt: new Date(), voidedBy: by, voidReason: reason })
    .where(eq(consents.id, id))
    .returning();
  return row!;
}

/** What a consent check asks about: one patient's consents of one kind at one unit. */
export interface ConsentKey {
  careGiverId: string;
  unitId: string;
  patientId: string;
  kind: string;
}

/** The columns a check decides on (no free text, no names): what `checkConsent` reads of each consent. */
const checkColumns = {
  id: consents.id,
  kind: consents.kind,
  actors: consents.actors,
  validFrom: consents.validFrom,
  validUntil: consents.validUntil,
  recordedAt: consents.recordedAt,
  revokedAt: consents.revokedAt,
  voidedAt: consents.voidedAt,
};
export type ConsentCheckRow = Pick<ConsentRow, keyof typeof checkColumns>;

/**
 * The hot path of POST /v1/consent-checks: the consents of many checks in one query (concurrent checks are batched),
 * as a named prepared statement that PostgreSQL parses and plans once per connection. Each row comes back with the
 * position of the key it answers, so the same key twice in a group is answered twice. Answers each key's rows, in
 * the order of the keys.
 */
export function prepareConsentsForChecks(ex: Executor) {
  const query = ex
    .select({ key: sql<number>`k.n`.mapWith(Number), ...checkColumns })
    .from(
      sql`jsonb_to_recordset(${sql.placeholder('keys')}::jsonb)
            as k(n integer, care_giver_id text, patient_id char(12), unit_id text, kind text)`,
    )
    .innerJoin(
      consents,
      sql`(${consents.careGiverId}, ${consents.patientId}, ${consents.unitId}, ${consents.kind})
          = (k.care_giver_id, k.patient_id, k.unit_id, k.kind)`,
    )
    .prepare('consents_for_checks');
  return async (keys: readonly ConsentKey[]): Promise<ConsentCheckRow[][]> => {
    const rows = await query.execute({
      keys: JSON.stringify(
        keys.map((k, n) => ({
          n,
          care_giver_id: k.careGiverId,
          patient_id: k.patientId,
          unit_id: k.unitId,
          kind: k.kind,
        })),
      ),
    });
    const answers: ConsentCheckRow[][] = keys.map(() => []);
    for (const { key, ...row } of rows) answers[key]?.push(row);
    return answers;
  };
}
