import { sql } from 'drizzle-orm';
import { type Executor, parseInstant, queryRows } from '../../db/client.js';
import { COUNTED_TYPES, SUPERSEDING_KINDS } from '../../domain/certificate-rules.js';
import type { CertificateContent } from './schemas.js';

/**
 * Certificates' SQL. Every write takes a whole batch as one JSON parameter (jsonb_to_recordset), so a batch of 1,000
 * costs the same number of statements as a single certificate.
 */

export interface NewCertificate {
  content: CertificateContent;
  contentHash: string;
  /** The type and flags allow counting; supersession is settled afterwards by `recomputeSupersession`. */
  counts: boolean;
  startDate: string;
  endDate: string;
  createdBy: string;
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
const textArray = (values: readonly string[]) => sql`array(select jsonb_array_elements_text(${json(values)}))`;

/** Inserts the new ones; an id that exists already (or is being inserted concurrently) is skipped. */
export async function insertCertificates(ex: Executor, rows: readonly NewCertificate[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const records = rows.map((r) => ({
    id: r.content.id,
    type: r.content.type,
    care_giver_id: r.content.careGiver.id,
    unit_id: r.content.unit.id,
    patient_id: r.content.patient.id,
    patient_name: r.content.patient.name ?? null,
    doctor_id: r.content.issuedBy.id,
    doctor_name: r.content.issuedBy.name ?? null,
    signed_at: r.content.signedAt,
    start_date: r.startDate,
    end_date: r.endDate,
    occupations: r.content.occupations,
    infection_control: r.content.infectionControl,
    test: r.content.test,
    counts: r.counts,
    content_hash: r.contentHash,
    content: r.content,
    created_by: r.createdBy,
    period_degrees: r.content.periods.map((p) => p.degree),
    period_starts: r.content.periods.map((p) => p.start),
    period_ends: r.content.periods.map((p) => p.end),
    diagnosis_codes: r.content.diagnoses.map((d) => d.code),
  }));
  const inserted = await queryRows<{ id: string }>(
    ex,
    sql`insert into certificates (id, type, care_giver_id, unit_id, patient_id, patient_name, doctor_id, doctor_name,
          signed_at, start_date, end_date, occupations, infection_control, test, counts, content_hash, content, created_by,
          period_degrees, period_starts, period_ends, diagnosis_codes)
        select r.id, r.type, r.care_giver_id, r.unit_id, r.patient_id, r.patient_name, r.doctor_id, r.doctor_name,
          r.signed_at, r.start_date, r.end_date, r.occupations, r.infection_control, r.test, r.counts, r.content_hash,
          r.content, r.created_by, r.period_degrees, r.period_starts, r.period_ends, r.diagnosis_codes
        from jsonb_to_recordset(${json(records)}) as r(id text, type text, care_giver_id text, unit_id text,
          patient_id text, patient_name text, doctor_id text, doctor_name text, signed_at timestamptz, start_date date,
          end_date date, occupations text[], infection_control boolean, test boolean, counts boolean,
          content_hash text, content jsonb, created_by text, period_degrees smallint[], period_starts date[],
          period_ends date[], diagnosis_codes text[])
        order by r.id
        on conflict (id) do nothing
        returning id`,
  );
  return new Set(inserted.map((r) => r.id));
}

/** Periods, diagnoses and relations of newly inserted certificates: one statement per table. */
export async function insertDetails(ex: Executor, contents: readonly CertificateContent[]): Promise<void> {
  const periods = contents.flatMap((c) =>
    c.periods.map((p, ordinal) => ({
      certificate_id: c.id,
      ordinal,
      degree: p.degree,
      start_date: p.start,
      end_date: p.end,
    })),
  );
  const diagnoses = contents.flatMap((c) =>
    c.diagnoses.map((d, ordinal) => ({ certificate_id: c.id, ordinal, code: d.code })),
  );
  const relations = contents.flatMap((c) =>
    c.relation ? [{ certificate_id: c.id, kind: c.relation.kind, target_id: c.relation.certificateId }] : [],
  );
  if (periods.length > 0) {
    await ex.execute(
      sql`insert into certificate_periods (certificate_id, ordinal, degree, start_date, end_date)
          select * from jsonb_to_recordset(${json(periods)})
            as r(certificate_id text, ordinal smallint, degree smallint, start_date date, end_date date)`,
    );
  }
  if (diagnoses.length > 0) {
    await ex.execute(
      sql`insert into certificate_diagnoses (certificate_id, ordinal, code)
          select * from jsonb_to_recordset(${json(diagnoses)}) as r(certificate_id text, ordinal smallint, code text)`,
    );
  }
  if (relations.length > 0) {
    await ex.execute(
      sql`insert into certificate_relations (certificate_id, kind, target_id)
          select * from jsonb_to_recordset(${json(relations)}) as r(certificate_id text, kind text, target_id text)`,
    );
  }
}

/**
 * Care giver and unit names as the certificates give them; the newest signing time wins a name change. Rows that
 * are already as new are filtered out first, so the common case takes no row lock (ON CONFLICT DO UPDATE would lock
 * the row even when its WHERE is false, serialising every ingest of one care giver).
 */
export async function upsertOrganisations(ex: Executor, contents: readonly CertificateContent[]): Promise<void> {
  if (contents.length === 0) return;
  const careGivers = contents.map((c) => ({ id: c.careGiver.id, name: c.careGiver.name, signed_at: c.signedAt }));
  const units = contents.map((c) => ({
    id: c.unit.id,
    care_giver_id: c.careGiver.id,
    name: c.unit.name,
    signed_at: c.signedAt,
  }));
  await ex.execute(
    sql`insert into care_givers (id, name, name_signed_at)
        select distinct on (r.id) r.id, r.name, r.signed_at
        from jsonb_to_recordset(${json(careGivers)}) as r(id text, name text, signed_at timestamptz)
        where not exists (select 1 from care_givers g where g.id = r.id and g.name_signed_at >= r.signed_at)
        order by r.id, r.signed_at desc
        on conflict (id) do update set name = excluded.name, name_signed_at = excluded.name_signed_at
        where excluded.name_signed_at > care_givers.name_signed_at`,
  );
  await ex.execute(
    sql`insert into units (id, care_giver_id, name, name_signed_at)
        select distinct on (r.id) r.id, r.care_giver_id, r.name, r.signed_at
        from jsonb_to_recordset(${json(units)}) as r(id text, care_giver_id text, name text, signed_at timestamptz)
        where not exists (select 1 from units u where u.id = r.id and u.name_signed_at >= r.signed_at)
        order by r.id, r.signed_at desc
        on conflict (id) do update set name = excluded.name, name_signed_at = excluded.name_signed_at
        where excluded.name_signed_at > units.name_signed_at`,
  );
}

/**
 * Settles `superseded_by` and `counts` of the given targets: a target is superseded by the latest-signed non-revoked
 * certificate of the same care giver and patient that replaces or supplements it. Mirrors `countsFor`. Only rows
 * whose values change are updated: most targets are new certificates that nothing supersedes, already stored right,
 * and rewriting them would write each new row twice.
 */
export async function recomputeSupersession(ex: Executor, targetIds: readonly string[]): Promise<void> {
  if (targetIds.length === 0) return;
  await ex.execute(
    sql`with targets as (
          select t.id, t.care_giver_id, t.patient_id from certificates t where t.id in ${idList(targetIds)}
        ),
        best as (
          select distinct on (rel.target_id) rel.target_id, rel.certificate_id
          from certificate_relations rel
          join targets t on t.id = rel.target_id
          join certificates c on c.id = rel.certificate_id
          where rel.kind = any(${textArray(SUPERSEDING_KINDS)}) and c.revoked_at is null
            and c.care_giver_id = t.care_giver_id and c.patient_id = t.patient_id
          order by rel.target_id, c.signed_at desc, c.id desc
        ),
        settled as (
          select x.id, b.certificate_id as superseded_by,
            x.type = any(${textArray(COUNTED_TYPES)}) and x.revoked_at is null and not x.test
              and not x.infection_control and b.certificate_id is null as counts
          from targets t
          join certificates x on x.id = t.id
          left join best b on b.target_id = t.id
        )
        update certificates x
        set superseded_by = s.superseded_by, counts = s.counts
        from settled s
        where x.id = s.id
          and (x.superseded_by is distinct from s.superseded_by or x.counts is distinct from s.counts)`,
  );
}

/** The targets that certificates relate to with `replaces` / `supplements`. */
export function supersededTargets(contents: readonly CertificateContent[]): string[] {
  return contents.flatMap((c) =>
    c.relation && SUPERSEDING_KINDS.includes(c.relation.kind) ? [c.relation.certificateId] : [],
  );
}

const SELECT = sql`select id, care_giver_id, unit_id, patient_id, content_hash, content, counts, superseded_by,
  revoked_at, revoked_by, revoke_reason, created_at from certificates`;

export async function findCertificates(ex: Executor, ids: readonly string[]): Promise<StoredCertificate[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<Row>(ex, sql`${SELECT} where id in ${idList(ids)}`);
  return rows.map(toStored);
}

/** The certificate, locked for the rest of the transaction. */
export async function lockCertificate(ex: Executor, id: string): Promise<StoredCertificate | undefined> {
  const rows = await queryRows<Row>(ex, sql`${SELECT} where id = ${id} for update`);
  return rows[0] ? toStored(rows[0]) : undefined;
}

export async function markRevoked(ex: Executor, id: string, by: string, reason: string | undefined): Promise<void> {
  await ex.execute(
    sql`update certificates set revoked_at = now(), revoked_by = ${by}, revoke_reason = ${reason ?? null},
          counts = false
        where id = ${id} and revoked_at is null`,
  );
}

/**
 * Bumps the sick-leave case version of every unit these certificates belong to, in the caller's transaction, so a
 * cached case list of the unit is never served after the write commits (in any process: the version is read from
 * the database). Units are locked in id order, so concurrent batches touching the same units cannot deadlock; call
 * it last in the transaction to hold the row lock briefly. A unit's first version is the clock in microseconds, so a
 * version never repeats even if the row were removed and written again.
 */
export async function bumpUnitCaseVersions(ex: Executor, certificateIds: readonly string[]): Promise<void> {
  if (certificateIds.length === 0) return;
  await ex.execute(
    sql`insert into unit_case_versions (unit_id, care_giver_id, version)
        select u.unit_id, u.care_giver_id, (extract(epoch from clock_timestamp()) * 1000000)::bigint
        from (select distinct unit_id, care_giver_id from certificates where id in ${idList(certificateIds)}) u
        order by u.unit_id
        on conflict (unit_id) do update set version = unit_case_versions.version + 1`,
  );
}
