import { and, desc, eq, gte, lte, type SQL, sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../../db/client.js';
import { coordinationEfforts, coordinationStatuses } from '../../db/schema.js';

export type EffortRow = typeof coordinationEfforts.$inferSelect;
export type NewEffortRow = typeof coordinationEfforts.$inferInsert;
export type StatusRow = typeof coordinationStatuses.$inferSelect;

export async function insertEffort(ex: Executor, row: NewEffortRow): Promise<EffortRow> {
  const [stored] = await ex.insert(coordinationEfforts).values(row).returning();
  return stored!;
}

/** One effort; `lock` serialises concurrent updates of it (read-check-write inside one transaction). */
export async function findEffort(ex: Executor, id: string, lock = false): Promise<EffortRow | undefined> {
  const query = ex.select().from(coordinationEfforts).where(eq(coordinationEfforts.id, id));
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

export async function updateEffort(
  ex: Executor,
  id: string,
  changes: Pick<NewEffortRow, 'status' | 'note' | 'performedOn' | 'consentId' | 'sharingConsentId'>,
  by: string,
): Promise<EffortRow> {
  const [row] = await ex
    .update(coordinationEfforts)
    .set({
      ...changes,
      updatedBy: by,
      updatedAt: new Date(),
      version: sql`${coordinationEfforts.version} + 1`,
    })
    .where(eq(coordinationEfforts.id, id))
    .returning();
  return row!;
}

export interface UnitEffortFilter {
  careGiverId: string;
  unitId: string;
  kind?: string;
  status?: string;
  from?: string;
  to?: string;
  /** Keyset: only efforts after this one in (performedOn desc, id desc) order. */
  after?: { performedOn: string; createdAt: string; id: string };
  limit: number;
}

/** A unit's efforts, newest performedOn first, keyset-paged on (performed_on, id) to match the unit index. */
export async function findUnitEfforts(ex: Executor, f: UnitEffortFilter): Promise<EffortRow[]> {
  const e = coordinationEfforts;
  const conditions: (SQL | undefined)[] = [eq(e.careGiverId, f.careGiverId), eq(e.unitId, f.unitId)];
  if (f.kind) conditions.push(eq(e.kind, f.kind));
  if (f.status) conditions.push(eq(e.status, f.status));
  if (f.from) conditions.push(gte(e.performedOn, f.from));
  if (f.to) conditions.push(lte(e.performedOn, f.to));
  if (f.after) {
    conditions.push(
      sql`(${e.performedOn}, ${e.createdAt}, ${e.id}) < (${f.after.performedOn}::date, ${f.after.createdAt}::timestamptz, ${f.after.id}::uuid)`,
    );
  }
  // Newest first: by day, then by when it was recorded (as the patient's list), the id only breaking exact ties.
  return ex
    .select()
    .from(e)
    .where(and(...conditions))
    .orderBy(desc(e.performedOn), desc(e.createdAt), desc(e.id))
    .limit(f.limit);
}

/** A patient's efforts at one unit, newest performedOn first. */
export async function findPatientEfforts(
  ex: Executor,
  careGiverId: string,
  unitId: string,
  patientId: string,
): Promise<EffortRow[]> {
  const e = coordinationEfforts;
  return ex
    .select()
    .from(e)
    .where(and(eq(e.careGiverId, careGiverId), eq(e.patientId, patientId), eq(e.unitId, unitId)))
    .orderBy(desc(e.performedOn), desc(e.createdAt), desc(e.id));
}

export async function insertStatus(ex: Executor, row: typeof coordinationStatuses.$inferInsert): Promise<StatusRow> {
  const [stored] = await ex.insert(coordinationStatuses).values(row).returning();
  return stored!;
}

export async function findStatusHistory(
  ex: Executor,
  careGiverId: string,
  unitId: string,
  patientId: string,
): Promise<StatusRow[]> {
  const s = coordinationStatuses;
  return ex
    .select()
    .from(s)
    .where(and(eq(s.careGiverId, careGiverId), eq(s.unitId, unitId), eq(s.patientId, patientId)))
    .orderBy(desc(s.setAt), desc(s.id));
}

export interface CaseWindow {
  patientId: string;
  start: string;
  end: string;
}

/**
 * One query for a whole page of cases: per patient, the latest status (by set_at) whose set_on lies inside that
 * patient's case. The cases travel as one JSON parameter (works the same on pg and PGlite).
 */
export async function findLatestStatuses(
  ex: Executor,
  careGiverId: string,
  unitId: string,
  cases: readonly CaseWindow[],
): Promise<{ patient_id: string; status: string }[]> {
  if (cases.length === 0) return [];
  return queryRows<{ patient_id: string; status: string }>(
    ex,
    sql`select distinct on (s.patient_id) s.patient_id, s.status
        from jsonb_to_recordset(${JSON.stringify(cases)}::jsonb) as c("patientId" text, "start" date, "end" date)
        join coordination_statuses s
          on s.care_giver_id = ${careGiverId}
         and s.unit_id = ${unitId}
         and s.patient_id = c."patientId"::char(12)
         and s.set_on between c."start" and c."end"
        order by s.patient_id, s.set_on desc, s.set_at desc, s.id desc`,
  );
}
