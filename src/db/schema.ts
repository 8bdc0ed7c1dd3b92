import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
  check,
  customType,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

// Identifier columns (HSA-ids, personal identity numbers, certificate ids, consent kinds) are COLLATE "C" on the
// server, compared byte by byte in their indexes (migration 0021): drizzle does not model collations, so the tables
// below do not show it, and a new identifier column needs the same in its migration.
// Dates are calendar days and stay strings end to end ('YYYY-MM-DD'): no time zone can shift them.
const day = (name: string) => date(name, { mode: 'string' });
const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });
/** A 64-bit transaction id (xid8), kept as its decimal string: it only ever marks which transaction wrote a row. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/** Care givers (vårdgivare) as last named by a certificate; the newest signing time wins a name change. */
export const careGivers = pgTable('care_givers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  nameSignedAt: instant('name_signed_at').notNull(),
});

/** Care units (vårdenheter); a unit belongs to exactly one care giver. */
export const units = pgTable(
  'units',
  {
    id: text('id').primaryKey(),
    careGiverId: text('care_giver_id')
      .notNull()
      .references(() => careGivers.id),
    name: text('name').notNull(),
    nameSignedAt: instant('name_signed_at').notNull(),
  },
  (t) => [
    index('units_care_giver_idx').on(t.careGiverId),
    // The target of certificates' (unit, care giver) key: a unit belongs to one care giver.
    uniqueIndex('units_id_care_giver_idx').on(t.id, t.careGiverId),
  ],
);

/**
 * Sick-leave certificates (läkarintyg). `counts` is kept by the certificates service: false once the certificate is
 * revoked, replaced or supplemented by a non-revoked certificate, or is never counted (AG types, test, smittskydd).
 * `startDate`/`endDate` span all periods so the engine can find candidates with one indexed range query.
 * A certificate is identified by its care giver and its id in the issuing system: two care givers' EHR systems may
 * both issue `c-2026-000123`.
 */
export const certificates = pgTable(
  'certificates',
  {
    /** The certificate's id in the issuing system; unique within its care giver only. */
    id: text('id').notNull(),
    type: text('type').notNull(),
    careGiverId: text('care_giver_id').notNull(),
    unitId: text('unit_id').notNull(),
    patientId: char('patient_id', { length: 12 }).notNull(),
    patientName: text('patient_name'),
    doctorId: text('doctor_id').notNull(),
    doctorName: text('doctor_name'),
    signedAt: instant('signed_at').notNull(),
    startDate: day('start_date').notNull(),
    endDate: day('end_date').notNull(),
    occupations: text('occupations').array().notNull(),
    infectionControl: boolean('infection_control').notNull().default(false),
    test: boolean('test').notNull().default(false),
    counts: boolean('counts').notNull(),
    /** The id (within the same care giver) of the non-revoked certificate that replaces or supplements this one. */
    supersededBy: text('superseded_by'),
    revokedAt: instant('revoked_at'),
    revokedBy: text('revoked_by'),
    revokeReason: text('revoke_reason'),
    /** SHA-256 of the canonical content: equal for an identical re-post, different for a conflicting one. */
    contentHash: char('content_hash', { length: 64 }).notNull(),
    /** The certificate exactly as accepted (normalised), returned on read. */
    content: jsonb('content').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    createdBy: text('created_by').notNull(),
    /**
     * The periods (degree, start, end in ordinal order) and diagnosis codes (main first) again, written with the row,
     * so the sick-leave engine loads a unit's certificates from this table alone.
     */
    periodDegrees: smallint('period_degrees').array().notNull().default(sql`'{}'`),
    periodStarts: day('period_starts').array().notNull().default(sql`'{}'`),
    periodEnds: day('period_ends').array().notNull().default(sql`'{}'`),
    diagnosisCodes: text('diagnosis_codes').array().notNull().default(sql`'{}'`),
  },
  (t) => [
    primaryKey({ columns: [t.careGiverId, t.id] }),
    // A certificate's unit is its care giver's: two care givers' first certificates at one new unit, posted at the
    // same moment, both passed the service's check and were both stored (the second is refused here, 403).
    foreignKey({
      name: 'certificates_unit_of_care_giver_fk',
      columns: [t.unitId, t.careGiverId],
      foreignColumns: [units.id, units.careGiverId],
    }),
    // A unit's patients within a window, from this index alone (an index-only scan: no heap page per certificate),
    // ranged on the end date. It replaced a (unit, patient, start, end, id) index that the chaining no longer reads
    // since cases span units (0010): that one was scanned over the unit's whole history, and each write kept both.
    index('certificates_unit_window_idx')
      .on(t.careGiverId, t.unitId, t.endDate, t.startDate, t.patientId)
      .where(sql`${t.counts}`),
    // A patient's certificates, and a unit's cases chained from its patients' counted certificates at every unit of
    // the care giver in patient/start order from this index alone (index-only, as above: `counts` is its last column
    // so the chaining filters on it in the index). One index for both: a second, partial one on counted certificates
    // cost every write its upkeep and read no faster (0023).
    index('certificates_patient_idx').on(t.careGiverId, t.patientId, t.startDate, t.endDate, t.id, t.counts),
  ],
);

/**
 * `replaces` / `supplements` / `extends`: one relation per certificate, to a target that may arrive later. The target
 * is always a certificate of the same care giver (the id is the issuing system's, unique within the care giver only).
 */
export const certificateRelations = pgTable(
  'certificate_relations',
  {
    careGiverId: text('care_giver_id').notNull(),
    certificateId: text('certificate_id').notNull(),
    kind: text('kind').notNull(),
    targetId: text('target_id').notNull(),
    /**
     * The units the posting token covered. A target stored later is superseded only at one of them, as revoking it
     * would need (null: stored before this rule, unrestricted).
     */
    posterUnits: text('poster_units').array(),
  },
  (t) => [
    primaryKey({ columns: [t.careGiverId, t.certificateId] }),
    foreignKey({
      name: 'certificate_relations_certificate_fk',
      columns: [t.careGiverId, t.certificateId],
      foreignColumns: [certificates.careGiverId, certificates.id],
    }),
    index('certificate_relations_target_idx').on(t.careGiverId, t.targetId),
  ],
);

/** Coordinator status of a patient's case at a unit; append-only, the latest from the case's start to the day shown applies. */
export const coordinationStatuses = pgTable(
  'coordination_statuses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    careGiverId: text('care_giver_id').notNull(),
    unitId: text('unit_id').notNull(),
    patientId: char('patient_id', { length: 12 }).notNull(),
    status: text('status').notNull(),
    setOn: day('set_on').notNull(),
    setAt: instant('set_at').notNull().defaultNow(),
    setBy: text('set_by').notNull(),
  },
  (t) => [index('coordination_statuses_unit_patient_idx').on(t.careGiverId, t.unitId, t.patientId, t.setAt)],
);

/** Patient consent (samtycke). Never deleted: revocation and voiding are recorded on the row and are final. */
export const consents = pgTable(
  'consents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    careGiverId: text('care_giver_id').notNull(),
    unitId: text('unit_id').notNull(),
    patientId: char('patient_id', { length: 12 }).notNull(),
    kind: text('kind').notNull(),
    form: text('form').notNull(),
    actors: text('actors').array().notNull(),
    purpose: text('purpose'),
    journalReference: text('journal_reference'),
    givenOn: day('given_on').notNull(),
    validFrom: day('valid_from').notNull(),
    validUntil: day('valid_until').notNull(),
    recordedBy: text('recorded_by').notNull(),
    recordedAt: instant('recorded_at').notNull().defaultNow(),
    revokedAt: instant('revoked_at'),
    revokedBy: text('revoked_by'),
    revokeReason: text('revoke_reason'),
    voidedAt: instant('voided_at'),
    voidedBy: text('voided_by'),
    voidReason: text('void_reason'),
  },
  (t) => [index('consents_patient_idx').on(t.careGiverId, t.patientId, t.unitId, t.kind)],
);

/** Coordination efforts (koordineringsinsatser): patient-record data, given only with consent. */
export const coordinationEfforts = pgTable(
  'coordination_efforts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    careGiverId: text('care_giver_id').notNull(),
    unitId: text('unit_id').notNull(),
    patientId: char('patient_id', { length: 12 }).notNull(),
    kind: text('kind').notNull(),
    actor: text('actor'),
    performedOn: day('performed_on').notNull(),
    status: text('status').notNull(),
    note: text('note'),
    consentId: uuid('consent_id').notNull(),
    sharingConsentId: uuid('sharing_consent_id'),
    createdBy: text('created_by').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedBy: text('updated_by').notNull(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    index('coordination_efforts_unit_idx').on(t.careGiverId, t.unitId, t.performedOn, t.createdAt, t.id),
    index('coordination_efforts_patient_idx').on(t.careGiverId, t.patientId, t.performedOn),
  ],
);

/**
 * The audit trail (PDL): append-only, one row per patient per action; a trigger refuses every update and delete.
 * Rows are inserted without taking any lock, each marked with the transaction that wrote it (`xact`). Right after,
 * the sealer (seal_audit_events, see the migrations) seals every event of the transactions that have ended since its
 * last pass into one block per care giver: a hash over the events' own hashes, chained to the care giver's previous
 * block. An altered, removed or inserted row then breaks verification.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: instant('at').notNull(),
    actorId: text('actor_id').notNull(),
    role: text('role').notNull(),
    careGiverId: text('care_giver_id').notNull(),
    unitId: text('unit_id'),
    patientId: char('patient_id', { length: 12 }),
    action: text('action').notNull(),
    resource: text('resource').notNull(),
    resourceId: text('resource_id'),
    requestId: text('request_id'),
    purpose: text('purpose').notNull(),
    xact: xid8('xact').notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [
    index('audit_events_care_giver_idx').on(t.careGiverId, t.id),
    index('audit_events_patient_idx').on(t.careGiverId, t.patientId, t.id),
    // A seal pass reads the events of the transactions that ended since the last pass: a range of xact.
    index('audit_events_xact_idx').on(t.xact),
  ],
);

/** Chain heads: each care giver's last block (its hash and position) and the highest event id sealed. */
export const auditChainHeads = pgTable('audit_chain_heads', {
  careGiverId: text('care_giver_id').primaryKey(),
  lastHash: char('last_hash', { length: 64 }).notNull(),
  lastId: bigint('last_id', { mode: 'number' }).notNull(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
});

/**
 * One block per care giver and seal pass: the care giver's events written by transactions with xact in
 * [xactFrom, xactTo), in id order. `hash` covers the previous block's hash, the block's position, range and count and
 * every event's own hash, so the blocks of a care giver form a chain.
 */
export const auditSealBlocks = pgTable(
  'audit_seal_blocks',
  {
    careGiverId: text('care_giver_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    xactFrom: xid8('xact_from').notNull(),
    xactTo: xid8('xact_to').notNull(),
    events: integer('events').notNull(),
    lastId: bigint('last_id', { mode: 'number' }).notNull(),
    prevHash: char('prev_hash', { length: 64 }).notNull(),
    hash: char('hash', { length: 64 }).notNull(),
    sealedAt: instant('sealed_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.careGiverId, t.seq] })],
);

/**
 * How far sealing has come, for every care giver at once: every transaction below `xactTo` had ended when the last
 * pass ran, and its events are in a block. One row; its lock makes seal passes of several processes take turns.
 */
export const auditSealWatermark = pgTable(
  'audit_seal_watermark',
  {
    id: smallint('id').primaryKey().default(1),
    xactTo: xid8('xact_to').notNull(),
  },
  (t) => [check('audit_seal_watermark_single_row', sql`${t.id} = 1`)],
);

/**
 * A care giver whose next block a seal pass could not write (its chain state was tampered with: a block already at
 * that position). Its events from `pendingFrom` on wait, and each later pass tries them again from there, while every
 * other care giver's chain goes on; the row goes when they are sealed. Readiness and verification tell of it.
 */
export const auditSealFailures = pgTable('audit_seal_failures', {
  careGiverId: text('care_giver_id').primaryKey(),
  pendingFrom: xid8('pending_from').notNull(),
  firstFailedAt: instant('first_failed_at').notNull().defaultNow(),
  lastFailedAt: instant('last_failed_at').notNull().defaultNow(),
  failures: bigint('failures', { mode: 'number' }).notNull().default(1),
  lastError: text('last_error').notNull(),
});

/**
 * A counter per unit that every write changing the unit's sick-leave cases bumps in its transaction (certificate
 * stored, revoked, superseded). Readers key cached case lists on it, so a cache is never stale, across processes too.
 */
export const unitCaseVersions = pgTable('unit_case_versions', {
  unitId: text('unit_id').primaryKey(),
  careGiverId: text('care_giver_id').notNull(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});

/**
 * Which patients' cases a unit's version bump changed: a reader holding the unit's case list at an older version
 * rebuilds only those patients (a rebuild of a whole 5,000-case unit takes about half a second). Only the newest
 * UNIT_CASE_CHANGES_KEPT versions per unit are kept; a reader further behind rebuilds the whole unit.
 */
export const unitCaseChanges = pgTable(
  'unit_case_changes',
  {
    unitId: text('unit_id').notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
    patientId: char('patient_id', { length: 12 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.unitId, t.version, t.patientId] })],
);

/**
 * The units of the care giver where a patient has (or had) a counted certificate: every unit whose cases include the
 * patient's case. A write for the patient upserts the row and bumps the case version of every unit in it; the upsert
 * locks the row and reads its newest version, so of two writes for one patient at two units, made at the same moment,
 * the second sees the first's unit and bumps it too (a read of `certificates` in the write's snapshot would not).
 * Units are only added: one where the patient no longer has a counted certificate costs a needless bump, never a
 * stale list.
 */
export const patientCaseUnits = pgTable(
  'patient_case_units',
  {
    careGiverId: text('care_giver_id').notNull(),
    patientId: char('patient_id', { length: 12 }).notNull(),
    unitIds: text('unit_ids').array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.careGiverId, t.patientId] })],
);
