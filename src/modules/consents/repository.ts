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

/**
 * The hot path of POST /v1/consent-checks as a named prepared statement: PostgreSQL parses and plans it once per
 * connection instead of once per check.
 */
export function prepareConsentsOfKind(ex: Executor) {
  const query = ex
    .select()
    .from(consents)
    .where(
      and(
        eq(consents.careGiverId, sql.placeholder('careGiverId')),
        eq(consents.patientId, sql.placeholder('patientId')),
        eq(consents.unitId, sql.placeholder('unitId')),
        eq(consents.kind, sql.placeholder('kind')),
      ),
    )
    .prepare('consents_of_kind');
  return (careGiverId: string, unitId: string, patientId: string, kind: string): Promise<ConsentRow[]> =>
    query.execute({ careGiverId, unitId, patientId, kind });
}
