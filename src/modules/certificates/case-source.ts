import { sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../../db/client.js';
import type { LocalDate } from '../../domain/calendar.js';
import type { CaseCertificate, SickLeavePeriod } from '../../domain/sick-leave-engine.js';

/**
 * Read queries for the sick-leave engine. Only certificates with `counts = true` are loaded (the certificates service
 * keeps that flag: false when revoked, replaced, supplemented, AG, test or infection control). Dates stay strings
 * and each certificate's periods and diagnoses come aggregated, so a whole unit loads in one round trip.
 */

interface CaseCertificateRow {
  id: string;
  type: string;
  patient_id: string;
  patient_name: string | null;
  doctor_id: string;
  doctor_name: string | null;
  signed_at: string;
  unit_id: string;
  periods: [number, string, string][] | string;
  diagnoses: string[] | string | null;
}

// The aggregated columns of a certificate row, shared by both loaders. Periods travel as [degree, start, end].
const CERTIFICATE_COLUMNS = sql`
  c.id, c.type, c.patient_id, c.patient_name, c.doctor_id, c.doctor_name, c.unit_id,
  to_char(c.signed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as signed_at,
  (select json_agg(json_build_array(p.degree, p.start_date, p.end_date) order by p.ordinal)
     from certificate_periods p where p.certificate_id = c.id) as periods,
  (select json_agg(d.code order by d.ordinal)
     from certificate_diagnoses d where d.certificate_id = c.id) as diagnoses`;

function toCaseCertificate(row: CaseCertificateRow): CaseCertificate {
  // node-postgres and PGlite both parse json; a string would mean a driver that does not.
  const periods = typeof row.periods === 'string' ? JSON.parse(row.periods) : (row.periods ?? []);
  const diagnoses = typeof row.diagnoses === 'string' ? JSON.parse(row.diagnoses) : (row.diagnoses ?? []);
  return {
    id: row.id,
    type: row.type,
    patientId: row.patient_id,
    patientName: row.patient_name,
    doctorId: row.doctor_id,
    doctorName: row.doctor_name,
    signedAt: row.signed_at,
    unitId: row.unit_id,
    diagnoses,
    periods: (periods as [number, string, string][]).map(
      ([degree, start, end]): SickLeavePeriod => ({ degree: Number(degree), start, end }),
    ),
  };
}

/**
 * The patients of a unit with a counted certificate whose window could make a case visible on `activeOn`
 * (starts on or before it, ends at most `recentlyEndedDays` before it). Uses certificates_unit_window_idx.
 */
export async function candidatePatients(
  ex: Executor,
  careGiverId: string,
  unitId: string,
  activeOn: LocalDate,
  windowFrom: LocalDate,
): Promise<string[]> {
  const rows = await queryRows<{ patient_id: string }>(
    ex,
    sql`select distinct patient_id from certificates
        where care_giver_id = ${careGiverId} and unit_id = ${unitId} and counts
          and end_date >= ${windowFrom}::date and start_date <= ${activeOn}::date`,
  );
  return rows.map((r) => r.patient_id);
}

/**
 * The counted certificates at the unit that belong to a chain visible on `activeOn`, with periods and diagnoses,
 * in one query: candidate patients come from the window index; their certificates are chained in SQL on
 * start/end dates (the engine's rule: a certificate joins when it starts at most `maxGapDays` empty days after the
 * latest end so far), and only chains reaching from `windowFrom` (`activeOn - recentlyEndedDays`) to `activeOn`
 * are returned, so a patient's older history is never shipped. The engine re-chains what it gets, on periods.
 */
export async function unitCaseCertificates(
  ex: Executor,
  careGiverId: string,
  unitId: string,
  activeOn: LocalDate,
  windowFrom: LocalDate,
  maxGapDays: number,
): Promise<CaseCertificate[]> {
  const rows = await queryRows<CaseCertificateRow>(
    ex,
    sql`with candidates as (
          select distinct patient_id from certificates
          where care_giver_id = ${careGiverId} and unit_id = ${unitId} and counts
            and end_date >= ${windowFrom}::date and start_date <= ${activeOn}::date
        ),
        spans as (
          select c.id, c.patient_id, c.start_date, c.end_date,
                 max(c.end_date) over (partition by c.patient_id order by c.start_date, c.end_date, c.id
                                       rows between unbounded preceding and 1 preceding) as latest_end
          from certificates c join candidates k on k.patient_id = c.patient_id
          where c.care_giver_id = ${careGiverId} and c.unit_id = ${unitId} and c.counts
        ),
        chained as (
          select id, patient_id, start_date, end_date,
                 sum(case when latest_end is null or start_date > latest_end + ${maxGapDays}::int + 1 then 1 else 0 end)
                   over (partition by patient_id order by start_date, end_date, id rows unbounded preceding) as chain
          from spans
        ),
        kept as (
          select id from (
            select id, min(start_date) over w as chain_start, max(end_date) over w as chain_end
            from chained window w as (partition by patient_id, chain)
          ) x
          where chain_end >= ${windowFrom}::date and chain_start <= ${activeOn}::date
        )
        select ${CERTIFICATE_COLUMNS}
        from certificates c join kept on kept.id = c.id`,
  );
  return rows.map(toCaseCertificate);
}

/** Every counted certificate of one patient in any unit of the care giver (the patient's sick-leave history). */
export async function patientCaseCertificates(
  ex: Executor,
  careGiverId: string,
  patientId: string,
): Promise<CaseCertificate[]> {
  const rows = await queryRows<CaseCertificateRow>(
    ex,
    sql`select ${CERTIFICATE_COLUMNS}
        from certificates c
        where c.care_giver_id = ${careGiverId} and c.patient_id = ${patientId} and c.counts
        order by c.start_date, c.id`,
  );
  return rows.map(toCaseCertificate);
}

/**
 * The unit's sick-leave case version (see unit_case_versions): one primary-key lookup. '0' before the unit's first
 * write. Read before the cases, so cases built after it are at least as new as the version they are cached under.
 */
export async function unitCaseVersion(ex: Executor, careGiverId: string, unitId: string): Promise<string> {
  const rows = await queryRows<{ version: string | number }>(
    ex,
    sql`select version from unit_case_versions where unit_id = ${unitId} and care_giver_id = ${careGiverId}`,
  );
  return rows[0] ? String(rows[0].version) : '0';
}
