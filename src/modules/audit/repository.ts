import { type SQL, sql } from 'drizzle-orm';
import { type Executor, parseInstant, queryRows } from '../../db/client.js';
import type { ChainedEvent } from './chain.js';

export interface NewAuditEvent {
  actorId: string;
  role: string;
  unitId?: string | null;
  patientId?: string | null;
  action: string;
  resource: string;
  resourceId?: string | null;
  requestId?: string | null;
  purpose: string;
}

export type StoredAuditEvent = ChainedEvent;

interface Row {
  id: string | number;
  at: string;
  actor_id: string;
  role: string;
  care_giver_id: string;
  unit_id: string | null;
  patient_id: string | null;
  action: string;
  resource: string;
  resource_id: string | null;
  request_id: string | null;
  purpose: string;
  seq: string | number | null;
  prev_hash: string | null;
  hash: string | null;
}

const toEvent = (r: Row): StoredAuditEvent => ({
  id: Number(r.id),
  at: parseInstant(r.at),
  actorId: r.actor_id,
  role: r.role,
  careGiverId: r.care_giver_id,
  unitId: r.unit_id,
  patientId: r.patient_id,
  action: r.action,
  resource: r.resource,
  resourceId: r.resource_id,
  requestId: r.request_id,
  purpose: r.purpose,
  seq: r.seq === null ? null : Number(r.seq),
  prevHash: r.prev_hash,
  hash: r.hash,
});

/**
 * One statement inserts all events; it takes no lock, so it never makes concurrent writers of one care giver wait.
 * The events join the hash chain when sealed (sealAuditEvents), right after their transaction commits.
 */
export async function insertAuditEvents(ex: Executor, careGiverId: string, events: NewAuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await ex.execute(sql`
    insert into audit_events (at, actor_id, role, care_giver_id, unit_id, patient_id, action, resource, resource_id,
                              request_id, purpose)
    select date_trunc('milliseconds', clock_timestamp()), e."actorId", e.role, ${careGiverId}, e."unitId",
           e."patientId", e.action, e.resource, e."resourceId", e."requestId", e.purpose
    from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as e("actorId" text, role text, "unitId" text,
         "patientId" text, action text, resource text, "resourceId" text, "requestId" text, purpose text)`);
}

/** Seals the care giver's committed, unsealed events onto its chain: their count, or -1 when another sealer is busy. */
export async function sealAuditEvents(ex: Executor, careGiverId: string, wait: boolean): Promise<number> {
  const rows = await queryRows<{ sealed: number }>(
    ex,
    sql`select seal_audit_events(${careGiverId}, ${wait}) as sealed`,
  );
  return Number(rows[0]?.sealed ?? 0);
}

export async function careGiversWithUnsealedEvents(ex: Executor): Promise<string[]> {
  const rows = await queryRows<{ care_giver_id: string }>(
    ex,
    sql`select distinct care_giver_id from audit_events where seq is null`,
  );
  return rows.map((r) => r.care_giver_id);
}

export interface AuditFilter {
  careGiverId: string;
  unitId?: string;
  actorId?: string;
  patientId?: string;
  from?: Date;
  to?: Date;
  /** Newest first: only events with an id below this. */
  beforeId?: number;
  limit: number;
}

export async function findAuditEvents(ex: Executor, f: AuditFilter): Promise<StoredAuditEvent[]> {
  const conditions: SQL[] = [sql`care_giver_id = ${f.careGiverId}`];
  if (f.unitId) conditions.push(sql`unit_id = ${f.unitId}`);
  if (f.actorId) conditions.push(sql`actor_id = ${f.actorId}`);
  if (f.patientId) conditions.push(sql`patient_id = ${f.patientId}`);
  if (f.from) conditions.push(sql`at >= ${f.from.toISOString()}::timestamptz`);
  if (f.to) conditions.push(sql`at < ${f.to.toISOString()}::timestamptz`);
  if (f.beforeId !== undefined) conditions.push(sql`id < ${f.beforeId}`);
  const rows = await queryRows<Row>(
    ex,
    sql`select * from audit_events where ${sql.join(conditions, sql` and `)} order by id desc limit ${f.limit}`,
  );
  return rows.map(toEvent);
}

/** A care giver's sealed chain in chain order (seq), in pages, for verification. */
export async function* auditChain(
  ex: Executor,
  careGiverId: string,
  pageSize = 5_000,
): AsyncGenerator<StoredAuditEvent> {
  let afterSeq = 0;
  for (;;) {
    const rows = await queryRows<Row>(
      ex,
      sql`select * from audit_events where care_giver_id = ${careGiverId} and seq > ${afterSeq}
          order by seq limit ${pageSize}`,
    );
    for (const row of rows) yield toEvent(row);
    if (rows.length < pageSize) return;
    afterSeq = Number(rows[rows.length - 1]!.seq);
  }
}

export async function chainHead(ex: Executor, careGiverId: string): Promise<string | undefined> {
  const rows = await queryRows<{ last_hash: string }>(
    ex,
    sql`select last_hash from audit_chain_heads where care_giver_id = ${careGiverId}`,
  );
  return rows[0]?.last_hash;
}
