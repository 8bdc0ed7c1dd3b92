import { type SQL, sql } from 'drizzle-orm';
import { type Executor, parseInstant, queryPrepared, queryRows } from '../../db/client.js';
import { COUNTED_TYPES, SUPERSEDING_KINDS } from '../../domain/certificate-rules.js';
import type { SickLeaveAtUnit } from '../../lib/actor.js';
import type { CertificateContent } from './schemas.js';

/**
 * Certificates' SQL. Every write takes a whole batch as one JSON parameter (jsonb_to_recordset), so a batch of 1,000
 * costs the same number of statements as a single certificate.
 */

export interface NewCertificate {
  content: CertificateContent;
  /** The content as JSON text (the service's canonical text, which it hashed). */
  contentJson: string;
  contentHash: string;
  /** The type and flags allow counting; supersession is settled afterwards by `recomputeSupersession`. */
  counts: boolean;
  startDate: string;
  endDate: string;
  createdBy: string;
  /** The units of the posting token (kept with a relation: see `recomputeSupersession`). */
  posterUnits: readonly string[];
}

export interface StoredCertificate {
  id: string;
  careGiverId: string;
  unitId: string;
  patientId: string;
  contentHash: string;
  content: CertificateContent;
  counts: boolean;
  supersededBy: string | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  revokeReason: string | null;
  createdAt: Date;
}

interface Row {
  id: string;
  care_giver_id: string;
  unit_id: string;
  patient_id: string;
  content_hash: string;
  content: CertificateContent | string;
  counts: boolean;
  superseded_by: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  created_at: string;
}

const toStored = (r: Row): StoredCertificate => ({
  id: r.id,
  careGiverId: r.care_giver_id,
  unitId: r.unit_id,
  patientId: r.patient_id,
  contentHash: r.content_hash,
  content: typeof r.content === 'string' ? (JSON.parse(r.content) as CertificateContent) : r.content,
  counts: r.counts,
  supersededBy: r.superseded_by,
  revokedAt: r.revoked_at ? parseInstant(r.revoked_at) : null,
  revokedBy: r.revoked_by,
  revokeReason: r.revoke_reason,
  createdAt: parseInstant(r.created_at),
});

const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;
const idList = (ids: readonly string[]) => sql`(select jsonb_array_elements_text(${json(ids)}))`;

/**
 * A certificate is identified by its care giver and its id in the issuing system (two care givers' EHR systems may
 * both issue `c-2026-000123`): every lookup, relation and supersession is by the pair.
 */
export interface CertificateKey {
  careGiverId: string;
  id: string;
}

/** The pair as one string, for maps and sets (a space is in neither an HSA-id nor a certificate id). */
export const keyOf = (careGiverId: string, id: string): string => `${careGiverId} ${id}`;
export const keyString = (k: CertificateKey): string => keyOf(k.careGiverId, k.id);

/** `(care_giver_id, id) in ${keyList(keys)}`: the keys as a set of rows. */
const keyList = (keys: readonly CertificateKey[]) =>
  sql`(select k.cg, k.id from jsonb_to_recordset(${json(keys.map((k) => ({ cg: k.careGiverId, id: k.id })))}) as k(cg text, id text))`;
const textArray = (values: readonly string[]) => sql`array(select jsonb_array_elements_text(${json(values)}))`;

/**
 * Inserts the new ones with their periods and diagnoses (arrays on the row) and relation, and the care giver and
 * unit names they give (the newest signing time wins a name change), all in one statement; an id that exists already
 * (or is being inserted concurrently) is skipped along with its details. Returns the ids inserted.
 *
 * Name rows that are already as new are filtered out first, so the common case takes no row lock (ON CONFLICT DO
 * UPDATE would lock the row even when its WHERE is false, serialising every ingest of one care giver).
 *
 * The audit events of what it creates are written by the same statement (`also.audit`), and with `also.bumpVersions`
 * it bumps the case versions of the units whose cases those certificates' patients are in, as `bumpUnitCaseVersions`
 * would: a group of single posts is then one statement and its commit. Callers that bump other units as well (the
 * targets of a replacement) bump them all at once at the end instead, so that every writer locks patient and version
 * rows in one order.
 *
 * Answers each inserted certificate, by `keyOf(care giver, id)`, with its `created_at` and whether a relation stored
 * earlier targets it (only then can its supersession differ from what was inserted). An id is the issuing system's:
 * another care giver's certificate with the same id is another certificate, and does not conflict.
 */
export async function insertCertificates(
  ex: Executor,
  rows: readonly NewCertificate[],
  also: AlsoInInsert,
): Promise<Map<string, InsertedCertificate>> {
  if (rows.length === 0) return new Map();
  // The content once: the columns that repeat it are read out of it in the statement. Sent beside it as well, they
  // made the parameter half as long again, and parsing it was a tenth of the database's time per certificate.
  // The content's text is spliced in as it came (the service has it already, canonical for its hash): stringifying
  // 1,000 contents again was a twentieth of a batch's CPU.
  let records = '[';
  for (const r of rows) {
    if (records.length > 1) records += ',';
    records += `{"content":${r.contentJson},${JSON.stringify({
      start_date: r.startDate,
      end_date: r.endDate,
      counts: r.counts,
      content_hash: r.contentHash,
      created_by: r.createdBy,
      period_degrees: r.content.periods.map((p) => p.degree),
      period_starts: r.content.periods.map((p) => p.start),
      period_ends: r.content.periods.map((p) => p.end),
      diagnosis_codes: r.content.diagnoses.map((d) => d.code),
      poster_units: r.posterUnits,
    }).slice(1)}`;
  }
  records += ']';
  const audited = also.audit(
    (e) => sql`(${e}."careGiverId", ${e}."resourceId") in (select care_giver_id, id from created)`,
  );
  // Every writer locks name rows before patient and version rows (a transaction's own bump comes last), and the care
  // giver's name row before the unit's. Here the bump is pulled by the final select, which PostgreSQL runs before the
  // CTEs nothing reads, so the changed patients wait for both name upserts to finish: a batch holding a unit's name
  // row and waiting for its patient or version row would otherwise deadlock with this statement. The unit's upsert
  // reads the care giver's to its end first: CTEs nothing reads run last in reverse order, so without it an insert
  // with a relation (no bump) took the unit's row first and one without took the care giver's, and two posts that
  // both renamed deadlocked.
  const bump = also.bumpVersions
    ? sql`, ${caseVersionBump(
        sql`select distinct unit_id, care_giver_id, patient_id, counts from new
            where (select count(*) from care_giver_names) + (select count(*) from unit_names) >= 0`,
      )}`
    : sql``;
  const bumpedRows = also.bumpVersions
    ? sql`union all select null, null, null, null, unit_id, version::text from bumped`
    : sql``;
  const answer = await queryPrepared<InsertRow>(
    ex,
    also.bumpVersions ? 'certificates_insert_bump' : 'certificates_insert',
    sql`with input as (
          select r.content->>'id' as id, r.content->>'type' as type, r.content->'careGiver'->>'id' as care_giver_id,
            r.content->'careGiver'->>'name' as care_giver_name, r.content->'unit'->>'id' as unit_id,
            r.content->'unit'->>'name' as unit_name, r.content->'patient'->>'id' as patient_id,
            r.content->'patient'->>'name' as patient_name, r.content->'issuedBy'->>'id' as doctor_id,
            r.content->'issuedBy'->>'name' as doctor_name, (r.content->>'signedAt')::timestamptz as signed_at,
            r.start_date, r.end_date,
            array(select jsonb_array_elements_text(r.content->'occupations')) as occupations,
            (r.content->>'infectionControl')::boolean as infection_control, (r.content->>'test')::boolean as test,
            r.counts, r.content_hash, r.content, r.created_by, r.period_degrees, r.period_starts, r.period_ends,
            r.diagnosis_codes, r.content->'relation'->>'kind' as relation_kind,
            r.content->'relation'->>'certificateId' as relation_target, r.poster_units
          from jsonb_to_recordset(${records}::jsonb) as r(content jsonb, start_date date, end_date date,
            counts boolean, content_hash text, created_by text, period_degrees smallint[], period_starts date[],
            period_ends date[], diagnosis_codes text[], poster_units text[])
        ),
        created as (
          insert into certificates (id, type, care_giver_id, unit_id, patient_id, patient_name, doctor_id,
            doctor_name, signed_at, start_date, end_date, occupations, infection_control, test, counts, content_hash,
            content, created_by, period_degrees, period_starts, period_ends, diagnosis_codes)
          select id, type, care_giver_id, unit_id, patient_id, patient_name, doctor_id, doctor_name, signed_at,
            start_date, end_date, occupations, infection_control, test, counts, content_hash, content, created_by,
            period_degrees, period_starts, period_ends, diagnosis_codes
          from input
          order by care_giver_id, id
          on conflict (care_giver_id, id) do nothing
          returning care_giver_id, id, created_at
        ),
        new as (select i.* from input i join created c on c.care_giver_id = i.care_giver_id and c.id = i.id),
        relations as (
          insert into certificate_relations (care_giver_id, certificate_id, kind, target_id, poster_units)
          select n.care_giver_id, n.id, n.relation_kind, n.relation_target, n.poster_units
          from new n where n.relation_kind is not null
        ),
        care_giver_names as (
          insert into care_givers (id, name, name_signed_at)
          select distinct on (n.care_giver_id) n.care_giver_id, n.care_giver_name, n.signed_at
          from new n
          where not exists (
            select 1 from care_givers g where g.id = n.care_giver_id and g.name_signed_at >= n.signed_at
          )
          order by n.care_giver_id, n.signed_at desc
          on conflict (id) do update set name = excluded.name, name_signed_at = excluded.name_signed_at
          where excluded.name_signed_at > care_givers.name_signed_at
          returning 1
        ),
        unit_names as (
          insert into units (id, care_giver_id, name, name_signed_at)
          select distinct on (n.unit_id) n.unit_id, n.care_giver_id, n.unit_name, n.signed_at
          from new n
          where not exists (select 1 from units u where u.id = n.unit_id and u.name_signed_at >= n.signed_at)
            and (select count(*) from care_giver_names) >= 0
          order by n.unit_id, n.signed_at desc
          on conflict (id) do update set name = excluded.name, name_signed_at = excluded.name_signed_at
          where excluded.name_signed_at > units.name_signed_at and excluded.care_giver_id = units.care_giver_id
          returning 1
        ),
        audited as (${audited})${bump}
        select c.care_giver_id, c.id, c.created_at,
          exists (
            select 1 from certificate_relations r where r.care_giver_id = c.care_giver_id and r.target_id = c.id
          ) as targeted,
          null::text as unit_id, null::text as version
        from created c
        ${bumpedRows}`,
  );
  const inserted = new Map<string, InsertedCertificate>();
  const bumped: { unit_id: string; version: string }[] = [];
  for (const r of answer) {
    if (r.id !== null) {
      inserted.set(keyOf(r.care_giver_id!, r.id), { createdAt: parseInstant(r.created_at!), targeted: r.targeted! });
    } else bumped.push({ unit_id: r.unit_id!, version: r.version! });
  }
  await pruneUnitCaseChanges(ex, bumped);
  return inserted;
}

/** What the certificates' insert writes besides them (see insertCertificates). */
export interface AlsoInInsert {
  /** The audit events (AuditService.eventsInStatement), given the condition that keeps those of what is created. */
  audit: (only: (e: SQL) => SQL) => SQL;
  /** Bump the case versions of the units the created certificates' patients are in, in the same statement. */
  bumpVersions: boolean;
}

/** A created certificate, or (id null) a unit's new case version. */
interface InsertRow {
  care_giver_id: string | null;
  id: string | null;
  created_at: string | null;
  targeted: boolean | null;
  unit_id: string | null;
  version: string | null;
}

export interface InsertedCertificate {
  createdAt: Date;
  /** A relation stored before this statement names it as its target. */
  targeted: boolean;
}

/**
 * Settles `superseded_by` and `counts` of the given targets: a target is superseded by the latest-signed non-revoked
 * certificate of the same care giver and patient, and of its own kind, that replaces or supplements it. Its own kind:
 * both counted types (FK) or both not (AG), both test certificates or neither, both infection control or neither;
 * an AG, test or infection-control certificate, never counted itself, must not take a counted one out of counting.
 * And only at a unit the relation's poster covered: a target posted after its replacement is checked here, as one
 * stored before was checked on posting (403). Mirrors `countsFor`. Only rows
 * whose values change are updated: most targets are new certificates that nothing supersedes, already stored right,
 * and rewriting them would write each new row twice. Answers the ids it changed.
 */
export async function recomputeSupersession(
  ex: Executor,
  targets: readonly CertificateKey[],
): Promise<CertificateKey[]> {
  if (targets.length === 0) return [];
  const changed = await queryPrepared<{ care_giver_id: string; id: string }>(
    ex,
    'certificates_settle_supersession',
    sql`with targets as (
          select t.id, t.care_giver_id, t.unit_id, t.patient_id, t.type = any(${textArray(COUNTED_TYPES)}) as counted_type,
            t.test, t.infection_control
          from certificates t where (t.care_giver_id, t.id) in ${keyList(targets)}
        ),
        best as (
          select distinct on (rel.care_giver_id, rel.target_id) rel.care_giver_id, rel.target_id, rel.certificate_id
          from certificate_relations rel
          join targets t on t.care_giver_id = rel.care_giver_id and t.id = rel.target_id
          join certificates c on c.care_giver_id = rel.care_giver_id and c.id = rel.certificate_id
          where rel.kind = any(${textArray(SUPERSEDING_KINDS)}) and c.revoked_at is null
            and c.patient_id = t.patient_id
            and (c.type = any(${textArray(COUNTED_TYPES)})) = t.counted_type and c.test = t.test
            and c.infection_control = t.infection_control
            and (rel.poster_units is null or t.unit_id = any(rel.poster_units))
          order by rel.care_giver_id, rel.target_id, c.signed_at desc, c.id desc
        ),
        settled as (
          select x.care_giver_id, x.id, b.certificate_id as superseded_by,
            x.type = any(${textArray(COUNTED_TYPES)}) and x.revoked_at is null and not x.test
              and not x.infection_control and b.certificate_id is null as counts
          from targets t
          join certificates x on x.care_giver_id = t.care_giver_id and x.id = t.id
          left join best b on b.care_giver_id = t.care_giver_id and b.target_id = t.id
        )
        update certificates x
        set superseded_by = s.superseded_by, counts = s.counts
        from settled s
        where x.care_giver_id = s.care_giver_id and x.id = s.id
          and (x.superseded_by is distinct from s.superseded_by or x.counts is distinct from s.counts)
        returning x.care_giver_id, x.id`,
  );
  return changed.map((r) => ({ careGiverId: r.care_giver_id, id: r.id }));
}

/** Of these certificates, those that a stored relation (of their own care giver) names as its target, of any kind. */
export async function relationTargets(ex: Executor, keys: readonly CertificateKey[]): Promise<CertificateKey[]> {
  if (keys.length === 0) return [];
  const rows = await queryPrepared<{ care_giver_id: string; target_id: string }>(
    ex,
    'certificate_relation_targets',
    sql`select distinct care_giver_id, target_id from certificate_relations
        where (care_giver_id, target_id) in ${keyList(keys)}`,
  );
  return rows.map((r) => ({ careGiverId: r.care_giver_id, id: r.target_id }));
}

/** The targets that certificates relate to with `replaces` / `supplements`: certificates of their own care giver. */
export function supersededTargets(contents: readonly CertificateContent[]): CertificateKey[] {
  return contents.flatMap((c) =>
    c.relation && SUPERSEDING_KINDS.includes(c.relation.kind)
      ? [{ careGiverId: c.careGiver.id, id: c.relation.certificateId }]
      : [],
  );
}

/** A certificate's own key. */
export const keyOfContent = (c: CertificateContent): CertificateKey => ({ careGiverId: c.careGiver.id, id: c.id });

const SELECT = sql`select id, care_giver_id, unit_id, patient_id, content_hash, content, counts, superseded_by,
  revoked_at, revoked_by, revoke_reason, created_at from certificates`;

/**
 * The patient's sick leave as a unit's write asks about it: whether they have a counted certificate at the unit (of
 * any time), and the first day of their counted certificates at any unit of the care giver, the earliest a case
 * holding one of the unit's can start (cases are chained across the care giver's units). Undefined when they have
 * no counted certificate at the care giver.
 */
export async function sickLeaveAt(
  ex: Executor,
  careGiverId: string,
  unitId: string,
  patientId: string,
): Promise<SickLeaveAtUnit | undefined> {
  const rows = await queryRows<{ at_unit: boolean | null; first_day: string | null }>(
    ex,
    sql`select bool_or(unit_id = ${unitId}) as at_unit, min(start_date)::text as first_day from certificates
        where care_giver_id = ${careGiverId} and patient_id = ${patientId} and counts`,
  );
  const row = rows[0];
  return row?.first_day ? { atUnit: row.at_unit === true, firstDay: row.first_day } : undefined;
}

/**
 * Whether the unit issued the patient a certificate, of any type and time, neither a test nor revoked: the unit has
 * met the patient (an employer's certificate or an infection-control one is written after a visit too), which makes a
 * care relation for inner secrecy. A revoked one may have named the wrong patient; a test one no patient at all.
 */
export async function certifiedAt(
  ex: Executor,
  careGiverId: string,
  unitId: string,
  patientId: string,
): Promise<boolean> {
  const rows = await queryRows<{ certified: boolean }>(
    ex,
    sql`select exists (select 1 from certificates
          where care_giver_id = ${careGiverId} and patient_id = ${patientId} and unit_id = ${unitId}
            and not test and revoked_at is null) as certified`,
  );
  return rows[0]?.certified === true;
}

export async function findCertificates(ex: Executor, keys: readonly CertificateKey[]): Promise<StoredCertificate[]> {
  if (keys.length === 0) return [];
  const rows = await queryPrepared<Row>(
    ex,
    'certificates_by_keys',
    sql`${SELECT} where (care_giver_id, id) in ${keyList(keys)}`,
  );
  return rows.map(toStored);
}

export interface RelationFacts {
  unitId: string;
  patientId: string;
  contentHash: string;
}

/**
 * What a relation is checked against, of each stored certificate by `keyOf(care giver, id)`: unit, patient, content
 * hash and the certificate it supersedes. Certificates not stored are absent.
 */
export async function relationFactsOf(
  ex: Executor,
  keys: readonly CertificateKey[],
): Promise<Map<string, RelationFacts>> {
  if (keys.length === 0) return new Map();
  const rows = await queryPrepared<{
    id: string;
    care_giver_id: string;
    unit_id: string;
    patient_id: string;
    content_hash: string;
  }>(
    ex,
    'certificate_relation_facts_by_keys',
    sql`select c.id, c.care_giver_id, c.unit_id, c.patient_id, c.content_hash from certificates c
        where (c.care_giver_id, c.id) in ${keyList(keys)}`,
  );
  return new Map(
    rows.map((r) => [
      keyOf(r.care_giver_id, r.id),
      { unitId: r.unit_id, patientId: r.patient_id, contentHash: r.content_hash },
    ]),
  );
}

/** How many links a supersession chain is followed: far beyond any real chain, and a bound on a bad one. */
const MAX_CHAIN_LINKS = 64;

/**
 * The stored replaces / supplements links reachable from these certificates, each certificate's key to the id it
 * supersedes: what a new link is checked against for a loop (a → b → c → a, where none would count). Only links
 * that take a counted certificate out of counting: not a revoked certificate's, nor an AG, test or infection-control
 * certificate's (which supersede only their own kind, never a counted one).
 */
export async function supersessionLinksFrom(
  ex: Executor,
  keys: readonly CertificateKey[],
): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await queryPrepared<{ care_giver_id: string; certificate_id: string; target_id: string }>(
    ex,
    'certificate_supersession_links_from',
    sql`with recursive superseding as (
          select r.care_giver_id, r.certificate_id, r.target_id from certificate_relations r
          join certificates c on c.care_giver_id = r.care_giver_id and c.id = r.certificate_id
          where r.kind = any(${textArray(SUPERSEDING_KINDS)}) and c.revoked_at is null and not c.test
            and not c.infection_control and c.type = any(${textArray(COUNTED_TYPES)})
        ),
        link(care_giver_id, certificate_id, target_id, depth) as (
          select s.care_giver_id, s.certificate_id, s.target_id, 1 from superseding s
          where (s.care_giver_id, s.certificate_id) in ${keyList(keys)}
          union
          select s.care_giver_id, s.certificate_id, s.target_id, l.depth + 1 from link l
          join superseding s on s.care_giver_id = l.care_giver_id and s.certificate_id = l.target_id
          where l.depth < ${MAX_CHAIN_LINKS})
        select distinct care_giver_id, certificate_id, target_id from link`,
  );
  return new Map(rows.map((r) => [keyOf(r.care_giver_id, r.certificate_id), r.target_id]));
}

/**
 * Makes the care giver the owner of the units no one owns yet, as its first certificate there would (a consent,
 * effort or status at a unit no certificate has named claimed nothing, so two care givers could both file there),
 * and answers every unit's owner. The claim has no names: '' signed at -infinity, which any certificate's names
 * replace. Run in the writer's transaction, so the claim stands or falls with its write.
 */
export async function claimUnits(
  ex: Executor,
  careGiverId: string,
  unitIds: readonly string[],
): Promise<Map<string, string>> {
  if (unitIds.length === 0) return new Map();
  await queryRows(
    ex,
    sql`insert into care_givers (id, name, name_signed_at) values (${careGiverId}, '', '-infinity')
        on conflict (id) do nothing`,
  );
  await queryRows(
    ex,
    sql`insert into units (id, care_giver_id, name, name_signed_at)
        select u, ${careGiverId}, '', '-infinity'::timestamptz
        from jsonb_array_elements_text(${JSON.stringify(unitIds)}::jsonb) as u
        order by u -- in key order, as every writer of unit rows, so two claims of the same units cannot deadlock
        on conflict (id) do nothing`,
  );
  return unitCareGivers(ex, unitIds);
}

/** The care giver each stored unit belongs to, by unit id; units not stored are absent. */
export async function unitCareGivers(ex: Executor, unitIds: readonly string[]): Promise<Map<string, string>> {
  if (unitIds.length === 0) return new Map();
  const rows = await queryPrepared<{ id: string; care_giver_id: string }>(
    ex,
    'unit_care_givers_by_ids',
    sql`select id, care_giver_id from units where id in ${idList(unitIds)}`,
  );
  return new Map(rows.map((r) => [r.id, r.care_giver_id]));
}

/** The care giver's certificate with this id, locked for the rest of the transaction. */
export async function lockCertificate(ex: Executor, key: CertificateKey): Promise<StoredCertificate | undefined> {
  const rows = await queryRows<Row>(
    ex,
    sql`${SELECT} where care_giver_id = ${key.careGiverId} and id = ${key.id} for update`,
  );
  return rows[0] ? toStored(rows[0]) : undefined;
}

export async function markRevoked(
  ex: Executor,
  key: CertificateKey,
  by: string,
  reason: string | undefined,
): Promise<void> {
  await ex.execute(
    sql`update certificates set revoked_at = now(), revoked_by = ${by}, revoke_reason = ${reason ?? null},
          counts = false
        where care_giver_id = ${key.careGiverId} and id = ${key.id} and revoked_at is null`,
  );
}

/** How many of a unit's newest case versions keep their changed patients (see unit_case_changes). */
export const UNIT_CASE_CHANGES_KEPT = 1_000;
/** Old changes are pruned when a unit's version reaches a multiple of this (not on every write). */
export const UNIT_CASE_CHANGES_PRUNE_EVERY = 64;

/**
 * Bumps the sick-leave case version of every unit whose cases these certificates' patients are in (the certificates'
 * own units and every unit of the care giver where the patient has a counted certificate: a unit's case is built from
 * all of them), in the caller's transaction, so a cached case list of such a unit is never served after the write
 * commits (in any process: the version is read from the database), and logs which patients the new version changed,
 * so a reader can rebuild just those. Patients' rows, then units, are locked in key order, so concurrent batches
 * cannot deadlock; call it last in the transaction to hold the row locks briefly. A unit's first version is the clock
 * in microseconds, so a version never repeats even if the row were removed and written again.
 */
export async function bumpUnitCaseVersions(ex: Executor, certificates: readonly CertificateKey[]): Promise<void> {
  if (certificates.length === 0) return;
  const bumped = await queryPrepared<{ unit_id: string; version: string }>(
    ex,
    'unit_case_versions_bump',
    sql`with ${caseVersionBump(
      sql`select distinct unit_id, care_giver_id, patient_id, counts from certificates
          where (care_giver_id, id) in ${keyList(certificates)}`,
    )}
        select unit_id, version::text as version from bumped`,
  );
  await pruneUnitCaseChanges(ex, bumped);
}

/**
 * The CTEs that bump the case versions of the units whose cases the certificates in `touched` (unit_id,
 * care_giver_id, patient_id, counts) are in, and log the patients each new version changed, ending in `bumped`
 * (unit_id, version). Those units are the certificates' own and every unit in their patients' patient_case_units
 * rows. The upsert adds the units of the counted ones and answers each row as it is after every write committed
 * before it (ON CONFLICT reads the newest row version and waits for a concurrent writer of the row), so a write at
 * U001 racing one for the same patient at U002 still bumps U002: whichever upserts second sees the other's unit. A
 * case read from `certificates` would see only this statement's snapshot and miss it. The row is always rewritten
 * (a small heap-only update), as an upsert that changes nothing would answer nothing.
 */
function caseVersionBump(touched: SQL): SQL {
  return sql`touched as (${touched}),
        patients as (
          insert into patient_case_units (care_giver_id, patient_id, unit_ids)
          select care_giver_id, patient_id,
            coalesce(array_agg(distinct unit_id order by unit_id) filter (where counts), '{}')
          from touched
          group by care_giver_id, patient_id
          order by care_giver_id, patient_id
          on conflict (care_giver_id, patient_id) do update
          set unit_ids = case when excluded.unit_ids <@ patient_case_units.unit_ids then patient_case_units.unit_ids
            else array(select distinct u from unnest(patient_case_units.unit_ids || excluded.unit_ids) u order by u) end
          returning care_giver_id, patient_id, unit_ids
        ),
        affected as (
          select unit_id, care_giver_id, patient_id from touched
          union
          select u.unit_id, p.care_giver_id, p.patient_id from patients p cross join unnest(p.unit_ids) as u(unit_id)
        ),
        bumped as (
          insert into unit_case_versions (unit_id, care_giver_id, version)
          select u.unit_id, u.care_giver_id, (extract(epoch from clock_timestamp()) * 1000000)::bigint
          from (select distinct on (unit_id) unit_id, care_giver_id from affected order by unit_id) u
          order by u.unit_id
          on conflict (unit_id) do update set version = unit_case_versions.version + 1
          returning unit_id, version
        ),
        logged as (
          insert into unit_case_changes (unit_id, version, patient_id)
          select distinct a.unit_id, b.version, a.patient_id from affected a join bumped b on b.unit_id = a.unit_id
        )`;
}

/**
 * Pruning is its own statement, on the primary key's range, and only now and then: inside the bump the planner cannot
 * tell it rarely runs and may scan the whole log on every write.
 */
async function pruneUnitCaseChanges(ex: Executor, bumped: readonly { unit_id: string; version: string }[]) {
  for (const { unit_id, version } of bumped) {
    const v = BigInt(version);
    if (v % BigInt(UNIT_CASE_CHANGES_PRUNE_EVERY) !== 0n) continue;
    await ex.execute(
      sql`delete from unit_case_changes
          where unit_id = ${unit_id} and version <= ${String(v - BigInt(UNIT_CASE_CHANGES_KEPT))}::bigint`,
    );
  }
}
