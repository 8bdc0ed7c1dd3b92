/**
 * The sick-leave case engine (sjukfall): pure functions from counted certificates to cases. No I/O, no Date objects
 * for calendar days: days are 'YYYY-MM-DD' strings, compared as text or as epoch days.
 *
 * Decisions where domain.md is silent:
 * - The reference certificate of a case not covering `activeOn` is the last-signed one among the certificates whose
 *   periods ended most recently before `activeOn` (for an ended case: the latest end of the case); for a case that
 *   starts after `activeOn`, the last-signed one among those starting first.
 * - A patient shows at most one case on `activeOn`: the active one, otherwise the most recently ended one.
 * - Degree steps: for every day the degree of the last-signed certificate covering it; consecutive days (and days
 *   across a gap) with the same degree form one step.
 */
import type { LocalDate } from './calendar.js';

/** Only these types build cases; AG certificates copy an FK certificate and would double count. */
export const COUNTED_TYPES: ReadonlySet<string> = new Set(['FK7804', 'FK7263']);

export const MAX_GAP_DAYS = 90;
export const DEFAULT_MAX_GAP_DAYS = 5;
export const MAX_RECENTLY_ENDED_DAYS = 14;

export interface SickLeavePeriod {
  degree: number;
  start: LocalDate;
  end: LocalDate;
}

/** A counted certificate as the engine needs it. */
export interface CaseCertificate {
  id: string;
  type: string;
  patientId: string;
  patientName: string | null;
  doctorId: string;
  doctorName: string | null;
  /** An RFC 3339 instant. */
  signedAt: string;
  unitId: string;
  /** ICD-10-SE codes, the main diagnosis first. */
  diagnoses: string[];
  periods: SickLeavePeriod[];
}

export interface DegreeStep {
  degree: number;
  start: LocalDate;
  end: LocalDate;
}

export type CaseStatus = 'active' | 'ended' | 'upcoming' | 'interrupted';

export interface SickLeaveCase {
  patientId: string;
  /** From the last-signed certificate of the case that carries a name. */
  patientName: string | null;
  start: LocalDate;
  end: LocalDate;
  /** Days covered by any period; overlaps count once, gaps not at all. */
  days: number;
  /** The degree on `activeOn` (or, when not covered, the reference certificate's latest degree before it). */
  degree: number;
  degrees: DegreeStep[];
  /** Main diagnosis of the reference certificate. */
  diagnosis: string | undefined;
  secondaryDiagnoses: string[];
  /** The active certificate (the reference certificate when the case does not cover `activeOn`). */
  activeCertificate: CaseCertificate;
  /** Distinct doctors, the responsible one (who signed the active certificate) first, then latest signing first. */
  doctors: { id: string; name: string | null }[];
  /** The case's certificates ordered by start. */
  certificates: CaseCertificate[];
  /**
   * active: a period covers `activeOn`; ended: the case ended before it; upcoming: it starts after it;
   * interrupted: `activeOn` falls in a gap inside the case.
   */
  status: CaseStatus;
}

export interface CaseOptions {
  activeOn: LocalDate;
  maxGapDays: number;
  /** A case that ended at most this many days before `activeOn` shows too, as ended (0–14). */
  recentlyEndedDays: number;
  /**
   * A unit's overview: only cases holding at least one of the unit's certificates are its cases (a case is built from
   * the care giver's certificates of the patient, but one made of other units' certificates alone is not this unit's).
   */
  unitId?: string;
}

/** A period with its days as epoch-day numbers, parsed once. */
interface DayPeriod {
  degree: number;
  s: number;
  e: number;
}

interface Prepared {
  cert: CaseCertificate;
  periods: DayPeriod[];
  start: number;
  end: number;
  signed: number;
}

/** The 'YYYY-MM-DD' of an epoch day (civil-from-days; years 1000–9999). */
export function dateOfEpochDay(day: number): LocalDate {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' (days-from-civil; no Date object, so cheap in the hot loop). */
export function epochDay(date: LocalDate): number {
  const y0 = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  const d = Number(date.slice(8, 10));
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** Two certificates chain when at most `maxGapDays` whole days lie between the latest end so far and the next start. */
export function chains(latestEnd: LocalDate, nextStart: LocalDate, maxGapDays: number): boolean {
  return epochDay(latestEnd) + maxGapDays + 1 >= epochDay(nextStart);
}

export function counts(cert: CaseCertificate): boolean {
  return COUNTED_TYPES.has(cert.type) && cert.periods.length > 0;
}

function prepare(cert: CaseCertificate): Prepared {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  const periods = cert.periods.map((p) => ({ degree: p.degree, s: epochDay(p.start), e: epochDay(p.end) }));
  for (const p of periods) {
    if (p.s < start) start = p.s;
    if (p.e > end) end = p.e;
  }
  return { cert, periods, start, end, signed: Date.parse(cert.signedAt) };
}

/** Later signing wins; equal instants fall back to the id so the answer never depends on input order. */
function signedLater(a: Prepared, b: Prepared): boolean {
  return a.signed > b.signed || (a.signed === b.signed && a.cert.id > b.cert.id);
}

function byPatient(certs: readonly CaseCertificate[]): Map<string, Prepared[]> {
  const out = new Map<string, Prepared[]>();
  for (const cert of certs) {
    if (!counts(cert)) continue;
    const list = out.get(cert.patientId);
    const prepared = prepare(cert);
    if (list) list.push(prepared);
    else out.set(cert.patientId, [prepared]);
  }
  return out;
}

/** One patient's certificates as chains (cases), oldest first. */
function chainsOf(certs: Prepared[], maxGapDays: number): Prepared[][] {
  const sorted = [...certs].sort(
    (a, b) => a.start - b.start || a.end - b.end || a.signed - b.signed || (a.cert.id < b.cert.id ? -1 : 1),
  );
  const out: Prepared[][] = [];
  let current: Prepared[] = [];
  let latestEnd = Number.NEGATIVE_INFINITY;
  for (const c of sorted) {
    if (current.length > 0 && latestEnd + maxGapDays + 1 >= c.start) {
      current.push(c);
      latestEnd = Math.max(latestEnd, c.end);
    } else {
      if (current.length > 0) out.push(current);
      current = [c];
      latestEnd = c.end;
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Inclusive day count of the union of all periods. */
function coveredDays(chain: Prepared[]): number {
  const spans = chain.flatMap((c) => c.periods.map((p) => [p.s, p.e] as const)).sort((a, b) => a[0] - b[0]);
  let days = 0;
  let from = Number.NaN;
  let to = Number.NaN;
  for (const [s, e] of spans) {
    if (Number.isNaN(from) || s > to + 1) {
      if (!Number.isNaN(from)) days += to - from + 1;
      from = s;
      to = e;
    } else if (e > to) to = e;
  }
  if (!Number.isNaN(from)) days += to - from + 1;
  return days;
}

/** For each day the degree of the last-signed certificate covering it, run-length encoded. */
function degreeSteps(chain: Prepared[]): DegreeStep[] {
  const periods = chain.flatMap((c) => c.periods.map((p) => ({ s: p.s, e: p.e, degree: p.degree, by: c })));
  const bounds = [...new Set(periods.flatMap((p) => [p.s, p.e + 1]))].sort((a, b) => a - b);
  const steps: { degree: number; start: number; end: number }[] = [];
  for (let i = 0; i < bounds.length - 1; i++) {
    const from = bounds[i]!;
    const to = bounds[i + 1]! - 1;
    let best: (typeof periods)[number] | undefined;
    // Every period meeting this elementary interval covers it whole, since its ends are among the bounds.
    for (const p of periods) if (p.s <= from && p.e >= to && (!best || signedLater(p.by, best.by))) best = p;
    if (!best) continue;
    const last = steps[steps.length - 1];
    if (last && last.degree === best.degree) last.end = to;
    else steps.push({ degree: best.degree, start: from, end: to });
  }
  return steps.map((s) => ({ degree: s.degree, start: dateOfEpochDay(s.start), end: dateOfEpochDay(s.end) }));
}

function latestSigned(list: Prepared[]): Prepared | undefined {
  let best: Prepared | undefined;
  for (const c of list) if (!best || signedLater(c, best)) best = c;
  return best;
}

/** The period of a certificate covering a day, if any (a day in a gap inside the certificate is not covered). */
function periodCovering(c: Prepared, day: number): DayPeriod | undefined {
  return c.periods.find((p) => p.s <= day && day <= p.e);
}

function describe(chain: Prepared[], activeOn: LocalDate): SickLeaveCase {
  const day = epochDay(activeOn);
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const c of chain) {
    if (c.start < start) start = c.start;
    if (c.end > end) end = c.end;
  }

  let status: CaseStatus;
  let reference: Prepared;
  let degree: number;
  const covering = chain.filter((c) => periodCovering(c, day));
  if (covering.length > 0) {
    status = 'active';
    reference = latestSigned(covering)!;
    degree = periodCovering(reference, day)!.degree;
  } else if (start > day) {
    status = 'upcoming';
    reference = latestSigned(chain.filter((c) => c.start === start))!;
    degree = [...reference.periods].sort((a, b) => a.s - b.s)[0]!.degree;
  } else {
    status = end < day ? 'ended' : 'interrupted';
    // The periods that ended most recently before activeOn, and among their certificates the last signed.
    let lastEnd = Number.NEGATIVE_INFINITY;
    for (const c of chain) for (const p of c.periods) if (p.e < day && p.e > lastEnd) lastEnd = p.e;
    reference = latestSigned(chain.filter((c) => c.periods.some((p) => p.e === lastEnd)))!;
    degree = reference.periods.find((p) => p.e === lastEnd)!.degree;
  }

  const bySigning = [...chain].sort((a, b) => (signedLater(a, b) ? -1 : 1));
  const doctors = new Map<string, string | null>();
  doctors.set(reference.cert.doctorId, reference.cert.doctorName);
  for (const c of bySigning) if (!doctors.has(c.cert.doctorId)) doctors.set(c.cert.doctorId, c.cert.doctorName);
  const [diagnosis, ...secondaryDiagnoses] = reference.cert.diagnoses;

  return {
    patientId: reference.cert.patientId,
    patientName: bySigning.find((c) => c.cert.patientName)?.cert.patientName ?? null,
    start: dateOfEpochDay(start),
    end: dateOfEpochDay(end),
    days: coveredDays(chain),
    degree,
    degrees: degreeSteps(chain),
    diagnosis,
    secondaryDiagnoses,
    activeCertificate: reference.cert,
    doctors: [...doctors].map(([id, name]) => ({ id, name })),
    certificates: chain.map((c) => c.cert),
    status,
  };
}

/**
 * The cases visible on `activeOn`: per patient the active case, otherwise one that ended at most
 * `recentlyEndedDays` before it; with `unitId`, of the cases holding one of that unit's certificates. Patients in
 * input order of first appearance.
 */
export function casesOn(certs: readonly CaseCertificate[], options: CaseOptions): SickLeaveCase[] {
  const day = epochDay(options.activeOn);
  const out: SickLeaveCase[] = [];
  for (const patientCerts of byPatient(certs).values()) {
    let ended: Prepared[] | undefined;
    let active: Prepared[] | undefined;
    for (const chain of chainsOf(patientCerts, options.maxGapDays)) {
      const start = chain.reduce((m, c) => Math.min(m, c.start), Number.POSITIVE_INFINITY);
      const end = chain.reduce((m, c) => Math.max(m, c.end), Number.NEGATIVE_INFINITY);
      if (start > day) continue;
      if (options.unitId !== undefined && !chain.some((c) => c.cert.unitId === options.unitId)) continue;
      if (end >= day) {
        if (chain.some((c) => periodCovering(c, day))) active = chain;
      } else if (day - end <= options.recentlyEndedDays) ended = chain; // chains are in order: the last one wins
    }
    const chosen = active ?? ended;
    if (chosen) out.push(describe(chosen, options.activeOn));
  }
  return out;
}

/** All cases of one patient (whatever the date), newest first; `activeOn` only sets each case's status. */
export function patientHistory(
  certs: readonly CaseCertificate[],
  options: { activeOn: LocalDate; maxGapDays: number },
): SickLeaveCase[] {
  const out: SickLeaveCase[] = [];
  for (const patientCerts of byPatient(certs).values())
    for (const chain of chainsOf(patientCerts, options.maxGapDays)) out.push(describe(chain, options.activeOn));
  return out.sort((a, b) => (a.start === b.start ? (a.patientId < b.patientId ? -1 : 1) : a.start > b.start ? -1 : 1));
}
