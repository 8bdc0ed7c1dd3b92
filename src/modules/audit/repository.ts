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

export type StoredAuditEvent = ChainedEvent & { id: number };

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
  prev_hash: string;
  hash: string;
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
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** One statement appends all events to the care giver's chain (see append_audit_events in the migrations). */
export async function appendAuditEvents(ex: Executor, careGiverId: string, events: NewAuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await ex.execute(sql`select count(*) from append_audit_events(${careGiverId}, ${JSON.stringify(events)}::jsonb)`);
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

/** A care giver's whole chain in order, in pages, for verification. */
export async function* auditChain(
  ex: Executor,
  careGiverId: string,
  pageSize = 5_000,
): AsyncGenerator<StoredAuditEvent> {
  let afterId = 0;
  for (;;) {
    const rows = await queryRows<Row>(
      ex,
      sql`select * from audit_events where care_giver_id = ${careGiverId} and id > ${afterId} order by id limit ${pageSize}`,
    );
    for (const row of rows) yield toEvent(row);
    if (rows.length < pageSize) return;
    afterId = Number(rows[rows.length - 1]!.id);
  }
}

export async function chainHead(ex: Executor, careGiverId: string): Promise<string | undefined> {
  const rows = await queryRows<{ last_hash: string }>(
    ex,
    sql`select last_hash from audit_chain_heads where care_giver_id = ${careGiverId}`,
  );
  return rows[0]?.last_hash;
}
