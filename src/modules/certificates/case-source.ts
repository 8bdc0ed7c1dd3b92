import { type SQL, sql } from 'drizzle-orm';
import { type Executor, queryPrepared, queryRows } from '../../db/client.js';
import { addDays, type LocalDate } from '../../domain/calendar.js';
import type { CaseCertificate, SickLeavePeriod } from '../../domain/sick-leave-engine.js';
import { UNIT_CASE_CHANGES_KEPT, UNIT_CASE_CHANGES_PRUNE_EVERY } from './repository.js';

/**
 * Read queries for the sick-leave engine. Only certificates with `counts = true` are loaded (the certificates service
 * keeps that flag: false when revoked, replaced, supplemented, AG, test or infection control). Dates stay strings
 * and each certificate's periods and diagnoses are arrays on its own row, so a whole unit loads with no join.
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
  period_degrees: number[];
  period_starts: string[];
  period_ends: string[];
  diagnosis_codes: string[];
}

// The columns of a certificate row the engine reads. Periods and diagnoses are the row's own arrays (written with
// it); the dates travel as text[] so every driver hands them over as strings.
const CERTIFICATE_COLUMNS = sql`
  c.id, c.type, c.patient_id, c.patient_name, c.doctor_id, c.doctor_name, c.unit_id,
  to_char(c.signed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as signed_at,
  c.period_degrees, c.period_starts::text[] as period_starts, c.period_ends::text[] as period_ends, c.diagnosis_codes`;

interface ChainedRow extends CaseCertificateRow {
  truncated: boolean;
}

function toCaseCertificate(row: CaseCertificateRow): CaseCertificate {
  const degrees = row.period_degrees;
  const periods: SickLeavePeriod[] = new Array(degrees.length);
  for (let i = 0; i < degrees.length; i++)
    periods[i] = { degree: Number(degrees[i]), start: row.period_starts[i]!, end: row.period_ends[i]! };
  return {
    id: row.id,
    type: row.type,
    patientId: row.patient_id,
    patientName: row.patient_name,
    doctorId: row.doctor_id,
    doctorName: row.doctor_name,
    signedAt: row.signed_at,
    unitId: row.unit_id,
    diagnoses: row.diagnosis_codes,
    periods,
  };
}

/**
 * The unit's patients on a day are those with a counted certificate at the unit that starts by `activeOn` and ends on
 * or after this day: up to HISTORY_WINDOW_DAYS (and the gap) before the window, so that a case the unit took part in
 * and that goes on at another unit of the care giver is still listed here (the engine then keeps only a visible case
 * holding one of the unit's certificates). A unit whose last certificate in a case ended longer ago than that no
 * longer lists the case.
 */
export function unitPatientsFrom(windowFrom: LocalDate, maxGapDays: number): LocalDate {
  return addDays(windowFrom, -(maxGapDays + 1 + HISTORY_WINDOW_DAYS));
}

/**
 * The unit's patients on `activeOn` (of those `only` keeps; `c` is the certificate): those with a counted certificate
 * at the unit that starts by `activeOn` and ends on or after unitPatientsFrom, and those whose certificate at the
 * unit starts after `activeOn` while another of theirs, at any unit, starts by `activeOn` and ends at most
 * `maxGapDays` + 1 days before it: an extension filed at this unit ahead of its start can chain to a case active now
 * (for it to, some certificate starting by `activeOn` must end that late), and the engine lists that case here.
 */
function unitPatients(
  careGiverId: string,
  unitId: string,
  activeOn: LocalDate,
  windowFrom: LocalDate,
  maxGapDays: number,
  only: SQL,
): SQL {
  return sql`select c.patient_id from certificates c
    where c.care_giver_id = ${careGiverId} and c.unit_id = ${unitId} and c.counts and ${only}
      and c.end_date >= ${unitPatientsFrom(windowFrom, maxGapDays)}::date and c.start_date <= ${activeOn}::date
    union
    -- end_date > activeOn follows from start_date > activeOn, and lets the unit window index range on it.
    select c.patient_id from certificates c
    where c.care_giver_id = ${careGiverId} and c.unit_id = ${unitId} and c.counts and ${only}
      and c.end_date > ${activeOn}::date and c.start_date > ${activeOn}::date
      and exists (select 1 from certificates a
                  where a.care_giver_id = ${careGiverId} and a.patient_id = c.patient_id and a.counts
                    and a.start_date <= ${activeOn}::date and a.end_date >= ${addDays(activeOn, -(maxGapDays + 1))}::date)`;
}

/**
 * How far before `windowFrom - maxGapDays - 1` the first load of a unit's cases reaches. A visible case that started
 * earlier sends its patient to a second query over the patient's whole history; a larger value chains more old
 * certificates of every patient.
 */
export const HISTORY_WINDOW_DAYS = 240;

/**
 * The chaining of candidate patients' counted certificates at every unit of the care giver (ending on or after
 * `loadedFrom`, when given), read from certificates_patient_idx alone, on start/end dates with the engine's rule (a
 * certificate joins when it starts at most `maxGapDays` empty days after the latest end so far), keeping the chains that reach from `windowFrom` to `activeOn`, with their periods and
 * diagnoses. `truncated` marks the certificates of a kept chain that is the first loaded one and starts less than
 * `maxGapDays` + 1 days after `loadedFrom`: a certificate ending before `loadedFrom` could belong to it (before it,
 * or inside its running end), so its patient needs the whole history. Certificates ending before `loadedFrom` can
 * belong to no later chain: the first loaded certificate ends on or after `loadedFrom`, so the running end is past
 * them from there on.
 */
function chainedCertificates(
  candidates: SQL,
  careGiverId: string,
  activeOn: LocalDate,
  windowFrom: LocalDate,
  maxGapDays: number,
  loadedFrom: LocalDate | undefined,
): SQL {
  const bounded = loadedFrom === undefined ? sql`` : sql`and c.end_date >= ${loadedFrom}::date`;
  const truncated =
    loadedFrom === undefined
      ? sql`false`
      : sql`kept.chain = 1 and kept.chain_start < ${addDays(loadedFrom, maxGapDays + 1)}::date`;
  return sql`with candidates as (${candidates}),
        spans as (
          select c.id, c.patient_id, c.start_date, c.end_date,
                 max(c.end_date) over (partition by c.patient_id order by c.start_date, c.end_date, c.id
                                       rows between unbounded preceding and 1 preceding) as latest_end
          from certificates c join candidates k on k.patient_id = c.patient_id
          where c.care_giver_id = ${careGiverId} and c.counts ${bounded}
        ),
        chained as (
          select id, patient_id, start_date, end_date,
                 sum(case when latest_end is null or start_date > latest_end + ${maxGapDays}::int + 1 then 1 else 0 end)
                   over (partition by patient_id order by start_date, end_date, id rows unbounded preceding) as chain
          from spans
        ),
        kept as (
          select id, chain, chain_start from (
            select id, chain, min(start_date) over w as chain_start, max(end_date) over w as chain_end
            from chained window w as (partition by patient_id, chain)
          ) x
          where chain_end >= ${windowFrom}::date and chain_start <= ${activeOn}::date
        )
        select ${CERTIFICATE_COLUMNS}, ${truncated} as truncated
        from certificates c join kept on c.care_giver_id = ${careGiverId} and c.id = kept.id`;
}

/**
 * The unit's patients' counted certificates, at any unit of the care giver, that belong to a chain visible on
 * `activeOn` (reaching from `windowFrom`, `activeOn - recentlyEndedDays`, to `activeOn`), with periods and
 * diagnoses. The unit's patients are those with a counted certificate at the unit within that window (the window
 * index); their cases are chained from all their counted certificates within the care giver, as the patient history
 * chains them. First only their certificates ending at most HISTORY_WINDOW_DAYS before the window (less the gap) are
 * chained, so old history is neither chained nor shipped; the few patients whose kept chain could reach further back
 * are then chained again over their whole history. The chains are exactly those of the full history. The engine
 * re-chains what it gets, on periods.
 */
export async function unitCaseCertificates(
  ex: Executor,
  careGiverId: string,
  unitId: string,
  activeOn: LocalDate,
  windowFrom: LocalDate,
  maxGapDays: number,
): Promise<CaseCertificate[]> {
  const loadedFrom = addDays(windowFrom, -(maxGapDays + 1 + HISTORY_WINDOW_DAYS));
  const candidates = unitPatients(careGiverId, unitId, activeOn, windowFrom, maxGapDays, sql`true`);
  const rows = await queryRows<ChainedRow>(
    ex,
    chainedCertificates(candidates, careGiverId, activeOn, windowFrom, maxGapDays, loadedFrom),
  );
  const truncated = new Set<string>();
  for (const r of rows) if (r.truncated) truncated.add(r.patient_id);
  if (truncated.size === 0) return rows.map(toCaseCertificate);
  const out: CaseCertificate[] = [];
  for (const r of rows) if (!truncated.has(r.patient_id)) out.push(toCaseCertificate(r));
  out.push(
    ...(await patientsCaseCertificates(ex, careGiverId, unitId, [...truncated], activeOn, windowFrom, maxGapDays)),
  );
  return out;
}

/**
 * Like `unitCaseCertificates`, for the given patients only and over their whole history: what a patient contributes
 * to the unit's cases on `activeOn`, exactly (nothing when the patient has no counted certificate at the unit in the
 * window, even if they have cases elsewhere in the care giver).
 */
export async function patientsCaseCertificates(
  ex: Executor,
  careGiverId: string,
  unitId: string,
  patientIds: readonly string[],
  activeOn: LocalDate,
  windowFrom: LocalDate,
  maxGapDays: number,
): Promise<CaseCertificate[]> {
  if (patientIds.length === 0) return [];
  // Only the unit's patients on the day (see unitPatients): others have no case here.
  const candidates = unitPatients(
    careGiverId,
    unitId,
    activeOn,
    windowFrom,
    maxGapDays,
    sql`c.patient_id in (select jsonb_array_elements_text(${JSON.stringify(patientIds)}::jsonb)::char(12))`,
  );
  const rows = await queryRows<ChainedRow>(
    ex,
    chainedCertificates(candidates, careGiverId, activeOn, windowFrom, maxGapDays, undefined),
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
 * By unit id alone, as every write bumps it: were two care givers' tokens to name one unit id, a write of either
 * moves the version both read (it once stayed at '0' for the second one, whose cached cases then never changed).
 */
export async function unitCaseVersion(ex: Executor, unitId: string): Promise<string> {
  // Asked by every overview and summary, warm or not: prepared once per connection, not parsed and planned each time.
  const rows = await queryPrepared<{ version: string | number }>(
    ex,
    'unit_case_version',
    sql`select version from unit_case_versions where unit_id = ${unitId}`,
  );
  return rows[0] ? String(rows[0].version) : '0';
}

/**
 * The patients whose cases changed at the unit after version `from` up to `to`, or undefined when that reaches
 * further back than the changes kept (then the whole unit must be rebuilt).
 */
export async function unitCaseChangesSince(
  ex: Executor,
  unitId: string,
  from: string,
  to: string,
): Promise<string[] | undefined> {
  const behind = BigInt(to) - BigInt(from);
  // Pruning runs every UNIT_CASE_CHANGES_PRUNE_EVERY versions, so only this much is surely still there.
  if (behind <= 0n || behind >= BigInt(UNIT_CASE_CHANGES_KEPT - UNIT_CASE_CHANGES_PRUNE_EVERY)) return undefined;
  const rows = await queryRows<{ patient_id: string }>(
    ex,
    sql`select distinct patient_id from unit_case_changes
        where unit_id = ${unitId} and version > ${from}::bigint and version <= ${to}::bigint`,
  );
  return rows.map((r) => r.patient_id);
}
