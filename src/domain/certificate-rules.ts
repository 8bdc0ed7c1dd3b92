/**
 * Sick-leave certificates (läkarintyg): the content rules, as pure functions. Schemas call them so that every
 * problem carries the path of the field it concerns; the service calls `countsFor` to keep the `counts` flag.
 */
import { isSupportedDate, type LocalDate, stockholmLocalToInstant } from './calendar.js';
import { type Chapter, chapterOf, type DiagnosisCodeProblem, normaliseDiagnosisCode } from './icd10.js';

export const CERTIFICATE_TYPES = ['FK7804', 'FK7263', 'AG7804', 'AG114'] as const;
export type CertificateType = (typeof CERTIFICATE_TYPES)[number];

/** Only certificates to the Social Insurance Agency build sick-leave cases; AG ones copy them. */
export const COUNTED_TYPES: readonly CertificateType[] = ['FK7804', 'FK7263'];

export const OCCUPATIONS = ['CURRENT_JOB', 'JOB_SEEKER', 'PARENTAL_LEAVE', 'STUDIES'] as const;
export type Occupation = (typeof OCCUPATIONS)[number];

export const RELATION_KINDS = ['replaces', 'supplements', 'extends'] as const;
export type RelationKind = (typeof RELATION_KINDS)[number];

/** A replacing or supplementing certificate takes its target out of counting (unless it is itself revoked). */
export const SUPERSEDING_KINDS: readonly RelationKind[] = ['replaces', 'supplements'];

// Neither `.` nor `..`: dot segments of a path, which clients and proxies resolve away (/v1/certificates/../revoke
// is /v1/revoke), so such a certificate could never be read or revoked.
export const CERTIFICATE_ID_PATTERN = /^(?!\.\.?$)[A-Za-z0-9._:-]{1,64}$/;
export const MAX_PERIODS = 4;
export const MAX_DIAGNOSES = 3;
export const STANDARD_DEGREES = [25, 50, 75, 100] as const;

export interface SickLeavePeriod {
  degree: number;
  start: LocalDate;
  end: LocalDate;
}

/** A problem with one field, its path relative to the certificate (`['periods', 1, 'degree']`). */
export interface RuleIssue {
  path: (string | number)[];
  message: string;
}

export function isCertificateId(value: string): boolean {
  return CERTIFICATE_ID_PATTERN.test(value);
}

/** FK and AG7804: 25, 50, 75 or 100 percent reduction; AG114: any whole percent 0–100. */
export function isAllowedDegree(type: CertificateType, degree: number): boolean {
  if (!Number.isInteger(degree)) return false;
  if (type === 'AG114') return degree >= 0 && degree <= 100;
  return (STANDARD_DEGREES as readonly number[]).includes(degree);
}

export function maxPeriodsFor(type: CertificateType): number {
  return type === 'AG114' ? 1 : MAX_PERIODS;
}

/** Two inclusive periods overlap when each starts no later than the other ends. */
export function periodsOverlap(a: SickLeavePeriod, b: SickLeavePeriod): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/**
 * Periods: 1–4 (AG114: exactly one), each with an allowed degree, each degree at most once, start ≤ end,
 * no two overlapping.
 */
export function periodIssues(type: CertificateType, periods: readonly SickLeavePeriod[]): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const max = maxPeriodsFor(type);
  if (periods.length === 0) issues.push({ path: ['periods'], message: 'must hold at least one period' });
  if (periods.length > max) {
    issues.push({
      path: ['periods'],
      message: type === 'AG114' ? 'an AG114 certificate has exactly one period' : `must hold at most ${max} periods`,
    });
  }
  const seenDegrees = new Map<number, number>();
  // Whether each period has two supported dates in order: only those take part in the overlap check.
  const ordered: boolean[] = [];
  periods.forEach((p, i) => {
    if (!isAllowedDegree(type, p.degree)) {
      issues.push({
        path: ['periods', i, 'degree'],
        message: type === 'AG114' ? 'must be a whole percent from 0 to 100' : 'must be one of 25, 50, 75, 100',
      });
    } else if (seenDegrees.has(p.degree)) {
      issues.push({
        path: ['periods', i, 'degree'],
        message: `degree ${p.degree} is already used by period ${seenDegrees.get(p.degree)}`,
      });
    } else {
      seenDegrees.set(p.degree, i);
    }
    const startValid = isSupportedDate(p.start);
    const endValid = isSupportedDate(p.end);
    if (!startValid) issues.push({ path: ['periods', i, 'start'], message: 'must be a date YYYY-MM-DD' });
    if (!endValid) issues.push({ path: ['periods', i, 'end'], message: 'must be a date YYYY-MM-DD' });
    if (startValid && endValid && p.start > p.end) {
      issues.push({ path: ['periods', i, 'end'], message: 'must not be before start' });
    }
    ordered[i] = startValid && endValid && p.start <= p.end;
  });
  periods.forEach((p, i) => {
    if (!ordered[i]) return;
    for (let j = 0; j < i; j++) {
      if (ordered[j] && periodsOverlap(p, periods[j]!)) {
        issues.push({ path: ['periods', i, 'start'], message: `overlaps period ${j}` });
        break;
      }
    }
  });
  return issues;
}

/** The span of all periods: the earliest start and the latest end. */
export function periodSpan(periods: readonly SickLeavePeriod[]): { start: LocalDate; end: LocalDate } {
  let start = periods[0]!.start;
  let end = periods[0]!.end;
  for (const p of periods) {
    if (p.start < start) start = p.start;
    if (p.end > end) end = p.end;
  }
  return { start, end };
}

/** Periods in date order, the stored (canonical) order. */
export function sortPeriods<T extends SickLeavePeriod>(periods: readonly T[]): T[] {
  return [...periods].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

const DIAGNOSIS_MESSAGES: Record<DiagnosisCodeProblem, string> = {
  format: 'must be an ICD-10-SE code: a letter, two digits and up to two more characters (F32.1 or F321)',
  needs_fourth_character: 'F-codes and Z73 need a fourth character',
  unknown_chapter: 'is not in an ICD-10-SE chapter',
};

export interface Diagnosis {
  code: string;
  chapter: Chapter;
}

/** 1–3 codes, each valid, stored without the dot; the same code twice is refused. */
export function normaliseDiagnoses(codes: readonly string[]): { diagnoses: Diagnosis[]; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  const diagnoses: Diagnosis[] = [];
  if (codes.length === 0) issues.push({ path: ['diagnoses'], message: 'must hold at least one diagnosis' });
  if (codes.length > MAX_DIAGNOSES) {
    issues.push({ path: ['diagnoses'], message: `must hold at most ${MAX_DIAGNOSES} diagnoses` });
  }
  const seen = new Set<string>();
  codes.forEach((input, i) => {
    const result = normaliseDiagnosisCode(input);
    if ('problem' in result) {
      issues.push({ path: ['diagnoses', i, 'code'], message: DIAGNOSIS_MESSAGES[result.problem] });
      return;
    }
    if (seen.has(result.code)) {
      issues.push({ path: ['diagnoses', i, 'code'], message: `${result.code} is already given` });
      return;
    }
    seen.add(result.code);
    diagnoses.push({ code: result.code, chapter: chapterOf(result.code)! });
  });
  return { diagnoses, issues };
}

/** At least one occupation, each at most once; answered in a fixed order so that equal content hashes equal. */
export function occupationIssues(occupations: readonly string[]): RuleIssue[] {
  const issues: RuleIssue[] = [];
  if (occupations.length === 0) issues.push({ path: ['occupations'], message: 'must hold at least one occupation' });
  const seen = new Set<string>();
  occupations.forEach((o, i) => {
    if (!(OCCUPATIONS as readonly string[]).includes(o)) {
      issues.push({ path: ['occupations', i], message: `must be one of ${OCCUPATIONS.join(', ')}` });
    } else if (seen.has(o)) {
      issues.push({ path: ['occupations', i], message: `${o} is already given` });
    }
    seen.add(o);
  });
  return issues;
}

export function sortOccupations(occupations: readonly Occupation[]): Occupation[] {
  return [...new Set(occupations)].sort((a, b) => OCCUPATIONS.indexOf(a) - OCCUPATIONS.indexOf(b));
}

/** A certificate cannot relate to itself. */
export function relationIssues(id: string, relation: { certificateId: string } | undefined): RuleIssue[] {
  if (relation && relation.certificateId === id) {
    return [{ path: ['relation', 'certificateId'], message: 'must name another certificate' }];
  }
  return [];
}

const SIGNED_AT = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/i;

/**
 * The signing time as an instant: RFC 3339 with a zone as given; without a zone, Swedish local time
 * (Europe/Stockholm). Undefined when it is neither.
 */
export function parseSignedAt(value: string): Date | undefined {
  const m = SIGNED_AT.exec(value);
  if (!m || !isSupportedDate(m[1]!)) return undefined;
  const [hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = m[6];
  if (zone && zone.toUpperCase() !== 'Z') {
    const [zh, zm] = zone.slice(1).split(':').map(Number);
    if (zh! > 23 || zm! > 59) return undefined;
  }
  const fraction = (m[5] ?? '').slice(0, 4);
  const at = zone
    ? new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4] ?? '00'}${fraction}${zone.toUpperCase()}`)
    : stockholmLocalToInstant(`${m[1]}T${m[2]}:${m[3]}:${m[4] ?? '00'}${fraction}`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/**
 * Whether a certificate counts in sick-leave cases: an FK type, not revoked, not a test or infection-control
 * certificate, and not replaced or supplemented by a non-revoked certificate.
 */
export function countsFor(c: {
  type: string;
  test: boolean;
  infectionControl: boolean;
  revoked: boolean;
  supersededBy: string | null;
}): boolean {
  return (
    (COUNTED_TYPES as readonly string[]).includes(c.type) &&
    !c.revoked &&
    !c.test &&
    !c.infectionControl &&
    c.supersededBy === null
  );
}
