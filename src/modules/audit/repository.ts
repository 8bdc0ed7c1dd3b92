import { type SQL, sql } from 'drizzle-orm';
import { type Executor, parseInstant, queryPrepared, queryRows } from '../../db/client.js';
import type { SealBlock, SealedEvent } from './chain.js';

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

export type StoredAuditEvent = SealedEvent;

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
  xact: string;
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
  xact: BigInt(String(r.xact)),
});

/**
 * One statement inserts all events; it takes no lock, so it never makes concurrent writers of one care giver wait.
 * Each row is marked with its transaction (the column's default); a seal pass seals it once that transaction ended.
 */
export async function insertAuditEvents(ex: Executor, careGiverId: string, events: NewAuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await queryPrepared(
    ex,
    'audit_events_insert',
    auditEventsInsert(
      events.map((e) => ({ ...e, careGiverId })),
      () => sql`true`,
    ),
  );
}

/**
 * The insert of `insertAuditEvents`, as SQL for another module's statement to run as a data-modifying CTE, so that
 * its write and the write's events are one statement. Events may be of several care givers; `only` is a condition on
 * the events (`e`, with the fields of NewAuditEvent quoted as in TypeScript) that keeps those to write, such as the
 * ones whose resource that statement created. Its text does not depend on the events, so the statement stays one
 * prepared statement. The events come as json, not jsonb: only their fields are read, and json's parse into records
 * took 4.0–5.2 against 5.1–6.6 ms for 1,000 events (no jsonb value is built).
 */
export function auditEventsInsert(
  events: readonly (NewAuditEvent & { careGiverId: string })[],
  only: (e: SQL) => SQL,
): SQL {
  return sql`
    insert into audit_events (at, actor_id, role, care_giver_id, unit_id, patient_id, action, resource, resource_id,
                              request_id, purpose)
    select date_trunc('milliseconds', clock_timestamp()), e."actorId", e.role, e."careGiverId", e."unitId",
           e."patientId", e.action, e.resource, e."resourceId", e."requestId", e.purpose
    from json_to_recordset(${JSON.stringify(events)}::json) as e("actorId" text, role text, "careGiverId" text,
         "unitId" text, "patientId" text, action text, resource text, "resourceId" text, "requestId" text,
         purpose text)
    where ${only(sql`e`)}`;
}

/**
 * One seal pass over every care giver: the events sealed, or -1 when another pass is busy (with `wait` false; with
 * true it waits for it), and the care givers whose chain could not go on.
 */
export async function sealAuditEvents(ex: Executor, wait: boolean): Promise<SealPass> {
  const rows = await queryRows<{ sealed: number; failed: string[] | null }>(
    ex,
    sql`select sealed, failed from seal_audit_events(${wait})`,
  );
  return { sealed: Number(rows[0]?.sealed ?? 0), failed: rows[0]?.failed ?? [] };
}

export interface SealPass {
  /** Events sealed, or -1 when another pass was busy. */
  sealed: number;
  /** Care givers whose next block could not be written: their events wait (audit_seal_failures). */
  failed: string[];
}

export interface SealingFailure {
  /** When the care giver's chain first could not go on (ISO 8601), how many passes failed since, and why. */
  since: string;
  failures: number;
  error: string;
  /** Its events from this transaction on wait for a pass to seal them. */
  pendingFrom: bigint;
}

/** Care givers whose chain a seal pass could not extend, with why (none when sealing goes well). */
export async function sealingFailures(ex: Executor, careGiverId?: string): Promise<Map<string, SealingFailure>> {
  const rows = await queryRows<{
    care_giver_id: string;
    first_failed_at: string;
    failures: string | number;
    last_error: string;
    pending_from: string;
  }>(
    ex,
    sql`select care_giver_id, first_failed_at, failures, last_error, pending_from::text as pending_from
        from audit_seal_failures ${careGiverId === undefined ? sql`` : sql`where care_giver_id = ${careGiverId}`}`,
  );
  return new Map(
    rows.map((r) => [
      r.care_giver_id,
      {
        since: parseInstant(r.first_failed_at).toISOString(),
        failures: Number(r.failures),
        error: r.last_error,
        pendingFrom: BigInt(r.pending_from),
      },
    ]),
  );
}

/** Every transaction below this had ended when the last pass ran, and its events are sealed. */
export async function sealWatermark(ex: Executor): Promise<bigint> {
  const rows = await queryRows<{ xact_to: string }>(
    ex,
    sql`select xact_to::text as xact_to from audit_seal_watermark where id = 1`,
  );
  return BigInt(rows[0]?.xact_to ?? 0);
}

/** The next transaction id: every transaction that has committed by now is below it. */
export async function nextTransactionId(ex: Executor): Promise<bigint> {
  const rows = await queryRows<{ next: string }>(ex, sql`select pg_snapshot_xmax(pg_current_snapshot())::text as next`);
  return BigInt(rows[0]!.next);
}

/** Events that no seal pass has reached yet (their transaction may still have been running at the last pass). */
export async function unsealedEventCount(ex: Executor): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    ex,
    sql`select count(*)::int as n from audit_events
        where xact >= coalesce((select xact_to from audit_seal_watermark where id = 1), '0'::xid8)`,
  );
  return rows[0]!.n;
}

export interface AuditFilter {
  careGiverId: string;
  unitId?: string;
  actorId?: string;
  patientId?: string;
  action?: string;
  resource?: string;
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
  if (f.action) conditions.push(sql`action = ${f.action}`);
  if (f.resource) conditions.push(sql`resource = ${f.resource}`);
  if (f.from) conditions.push(sql`at >= ${f.from.toISOString()}::timestamptz`);
  if (f.to) conditions.push(sql`at < ${f.to.toISOString()}::timestamptz`);
  if (f.beforeId !== undefined) conditions.push(sql`id < ${f.beforeId}`);
  const rows = await queryRows<Row>(
    ex,
    sql`select * from audit_events where ${sql.join(conditions, sql` and `)} order by id desc limit ${f.limit}`,
  );
  return rows.map(toEvent);
}

/** A care giver's events in id order, in pages, for verification. */
export async function* auditEventsInOrder(
  ex: Executor,
  careGiverId: string,
  pageSize = 5_000,
): AsyncGenerator<StoredAuditEvent> {
  let afterId = 0;
  for (;;) {
    const rows = await queryRows<Row>(
      ex,
      sql`select * from audit_events where care_giver_id = ${careGiverId} and id > ${afterId}
          order by id limit ${pageSize}`,
    );
    for (const row of rows) yield toEvent(row);
    if (rows.length < pageSize) return;
    afterId = Number(rows[rows.length - 1]!.id);
  }
}

/** A care giver's seal blocks in chain order, up to position `uptoSeq`. */
export async function sealBlocks(ex: Executor, careGiverId: string, uptoSeq: number): Promise<SealBlock[]> {
  const rows = await queryRows<{
    seq: string | number;
    xact_from: string;
    xact_to: string;
    events: number;
    prev_hash: string;
    hash: string;
  }>(
    ex,
    sql`select seq, xact_from::text as xact_from, xact_to::text as xact_to, events, prev_hash, hash
        from audit_seal_blocks where care_giver_id = ${careGiverId} and seq <= ${uptoSeq} order by seq`,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    xactFrom: BigInt(r.xact_from),
    xactTo: BigInt(r.xact_to),
    events: r.events,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}

export async function chainHead(
  ex: Executor,
  careGiverId: string,
): Promise<{ lastHash: string; lastSeq: number } | undefined> {
  const rows = await queryRows<{ last_hash: string; last_seq: string | number }>(
    ex,
    sql`select last_hash, last_seq from audit_chain_heads where care_giver_id = ${careGiverId}`,
  );
  const row = rows[0];
  return row ? { lastHash: row.last_hash, lastSeq: Number(row.last_seq) } : undefined;
}

/** Every care giver's chain head: the position of its last block and that block's hash. */
export async function allChainHeads(ex: Executor): Promise<{ careGiverId: string; seq: number; hash: string }[]> {
  const rows = await queryRows<{ care_giver_id: string; last_seq: string | number; last_hash: string }>(
    ex,
    sql`select care_giver_id, last_seq, last_hash from audit_chain_heads where last_seq > 0 order by care_giver_id`,
  );
  return rows.map((r) => ({ careGiverId: r.care_giver_id, seq: Number(r.last_seq), hash: r.last_hash }));
}
