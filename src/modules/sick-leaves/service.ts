import { createHash } from 'node:crypto';
import type { Database } from '../../db/client.js';
import { addDays, type LocalDate, stockholmDate } from '../../domain/calendar.js';
import { chapterOf } from '../../domain/icd10.js';
import { ageOn, birthDateOf, genderOf } from '../../domain/personal-identity.js';
import { casesOn, patientHistory, type SickLeaveCase } from '../../domain/sick-leave-engine.js';
import { type Actor, assertActsFor, assertRole } from '../../lib/actor.js';
import { ValidationFailed } from '../../lib/errors.js';
import { decodeCursor, encodeCursor } from '../../lib/schemas.js';
import type { AuditService } from '../audit/service.js';
import { patientCaseCertificates, unitCaseCertificates } from '../certificates/case-source.js';
import type { CertificateService } from '../certificates/service.js';
import type { CoordinationService } from '../coordination/service.js';
import {
  type CaseFilters,
  type CoordinationStatus,
  type HistoryBody,
  LENGTH_BUCKETS,
  OverviewCursor,
  type OverviewQuery,
  type SickLeaveHistory,
  type SickLeaveItem,
  type SickLeavePage,
  type SickLeaveSummary,
} from './schemas.js';

const RESOURCE = 'sick_leave';
const READERS = ['doctor', 'coordinator'] as const;

/** A case with the values the filters and sorts need, computed once. */
interface Row {
  c: SickLeaveCase;
  age: number;
  gender: 'F' | 'M';
  chapter: string | undefined;
  status?: CoordinationStatus;
}

type SortKey = 'start' | 'end' | 'days' | 'age';
const sortValue = (row: Row, key: SortKey): string | number => (key === 'age' ? row.age : row.c[key]);

function compareRows(key: SortKey, descending: boolean) {
  return (a: Row, b: Row) =>
    compareKeys(sortValue(a, key), a.c.patientId, sortValue(b, key), b.c.patientId, descending);
}

/** Sort value in the asked direction, then patient id ascending: a total order, so a keyset cursor is exact. */
function compareKeys(ak: string | number, ap: string, bk: string | number, bp: string, descending: boolean): number {
  if (ak !== bk) return (ak < bk ? -1 : 1) * (descending ? -1 : 1);
  return ap === bp ? 0 : ap < bp ? -1 : 1;
}

function lengthBucket(days: number): (typeof LENGTH_BUCKETS)[number] {
  if (days <= 14) return '0-14';
  if (days <= 30) return '15-30';
  if (days <= 90) return '31-90';
  if (days <= 180) return '91-180';
  if (days <= 365) return '181-365';
  return '366+';
}

const diagnosisOut = (code: string) => ({ code, chapter: chapterOf(code) ?? null });

function caseFields(c: SickLeaveCase) {
  return {
    start: c.start,
    end: c.end,
    days: c.days,
    degree: c.degree,
    degrees: c.degrees,
    diagnosis: c.diagnosis ? diagnosisOut(c.diagnosis) : null,
    secondaryDiagnoses: c.secondaryDiagnoses.map(diagnosisOut),
    certificateCount: c.certificates.length,
    doctors: c.doctors,
  };
}

const invalidCursor = () =>
  new ValidationFailed('The cursor does not belong to this query', [
    { path: 'query.cursor', message: 'is not a cursor of this query' },
  ]);

/** Sick-leave cases: the unit overview, its summary and the patient history (issue 4). */
export class SickLeaveService {
  constructor(
    readonly database: Database,
    readonly audit: AuditService,
    readonly certificates: CertificateService,
    readonly coordination: CoordinationService,
  ) {}

  /** The unit's cases active on a day, filtered, sorted and paged; one audit event per patient on the page. */
  async overview(actor: Actor, unitId: string, query: OverviewQuery): Promise<SickLeavePage> {
    assertRole(actor, READERS);
    assertActsFor(actor, unitId);
    const cursor = query.cursor ? decodeCursor(query.cursor, OverviewCursor) : undefined;
    if (query.cursor && !cursor) throw invalidCursor();
    // A follow-up page without activeOn stays on the day of the first page, even across midnight.
    const activeOn = query.activeOn ?? cursor?.a ?? stockholmDate();
    const hash = queryHash(unitId, activeOn, query);
    if (cursor && (cursor.h !== hash || cursor.a !== activeOn)) throw invalidCursor();

    const rows = await this.matchingRows(actor, unitId, activeOn, query);
    const descending = query.sort.startsWith('-');
    const key = query.sort.replace('-', '') as SortKey;
    rows.sort(compareRows(key, descending));
    const from = cursor
      ? rows.findIndex((r) => compareKeys(sortValue(r, key), r.c.patientId, cursor.k, cursor.p, descending) > 0)
      : 0;
    const pageRows = from < 0 ? [] : rows.slice(from, from + query.limit);
    const last = pageRows[pageRows.length - 1];
    const hasMore = from >= 0 && from + query.limit < rows.length;

    if (query.coordinationStatus === undefined) await this.attachStatuses(actor, unitId, pageRows);
    await this.audit.readPatients(
      actor,
      unitId,
      RESOURCE,
      pageRows.map((r) => r.c.patientId),
    );
    return {
      items: pageRows.map(toItem),
      total: rows.length,
      nextCursor:
        hasMore && last ? encodeCursor({ h: hash, a: activeOn, k: sortValue(last, key), p: last.c.patientId }) : null,
      activeOn,
      maxGapDays: query.maxGapDays,
    };
  }

  /** Counts over the same cases as the overview; shows no patient, so it writes no audit event. */
  async summary(actor: Actor, unitId: string, query: CaseFilters): Promise<SickLeaveSummary> {
    assertRole(actor, READERS);
    assertActsFor(actor, unitId);
    const activeOn = query.activeOn ?? stockholmDate();
    const rows = await this.matchingRows(actor, unitId, activeOn, query);
    const byGender = { F: 0, M: 0 };
    const byDegree: SickLeaveSummary['byDegree'] = { '25': 0, '50': 0, '75': 0, '100': 0 };
    const byChapter = new Map<string, number>();
    const byLength = new Map<string, number>(LENGTH_BUCKETS.map((b) => [b, 0]));
    for (const r of rows) {
      byGender[r.gender] += 1;
      const degree = String(r.c.degree);
      if (degree in byDegree) byDegree[degree as keyof typeof byDegree] += 1;
      if (r.chapter) byChapter.set(r.chapter, (byChapter.get(r.chapter) ?? 0) + 1);
      const bucket = lengthBucket(r.c.days);
      byLength.set(bucket, byLength.get(bucket)! + 1);
    }
    return {
      total: rows.length,
      byGender,
      byDiagnosisChapter: [...byChapter]
        .map(([chapter, count]) => ({ chapter, count }))
        .sort((a, b) => b.count - a.count || (a.chapter < b.chapter ? -1 : 1)),
      byDegree,
      byLength: LENGTH_BUCKETS.map((bucket) => ({ bucket, count: byLength.get(bucket)! })),
    };
  }

  /**
   * All the patient's cases within the caller's care giver (certificates of every unit), newest first. A doctor
   * sees only the cases whose active certificate they signed. The lookup is logged once for the patient.
   */
  async history(actor: Actor, body: HistoryBody): Promise<SickLeaveHistory> {
    assertRole(actor, READERS);
    assertActsFor(actor, body.unitId);
    const activeOn = body.activeOn ?? stockholmDate();
    const certs = await patientCaseCertificates(this.database.readDb, actor.careGiverId, body.patientId);
    const cases = patientHistory(certs, { activeOn, maxGapDays: body.maxGapDays }).filter((c) => visibleTo(actor, c));
    await this.audit.readPatients(actor, body.unitId, RESOURCE, [body.patientId]);
    return {
      patient: {
        id: body.patientId,
        name: cases.find((c) => c.patientName)?.patientName ?? null,
        age: ageOn(birthDateOf(body.patientId), activeOn),
        gender: genderOf(body.patientId),
      },
      activeOn,
      maxGapDays: body.maxGapDays,
      cases: cases.map((c) => ({
        ...caseFields(c),
        status: c.status,
        certificates: c.certificates.map((cert) => ({
          id: cert.id,
          type: cert.type,
          signedAt: cert.signedAt,
          doctor: { id: cert.doctorId, name: cert.doctorName },
          unitId: cert.unitId,
          periods: cert.periods,
          diagnoses: cert.diagnoses.map(diagnosisOut),
        })),
      })),
    };
  }

  /** The unit's visible cases on `activeOn` that pass every filter (before sorting and paging). */
  private async matchingRows(actor: Actor, unitId: string, activeOn: LocalDate, f: CaseFilters): Promise<Row[]> {
    const certs = await unitCaseCertificates(
      this.database.readDb,
      actor.careGiverId,
      unitId,
      activeOn,
      addDays(activeOn, -f.recentlyEndedDays),
      f.maxGapDays,
    );
    const q = f.q?.toLocaleLowerCase('sv');
    const rows: Row[] = [];
    for (const c of casesOn(certs, {
      activeOn,
      maxGapDays: f.maxGapDays,
      recentlyEndedDays: f.recentlyEndedDays,
    })) {
      if (!visibleTo(actor, c)) continue;
      if (f.doctorId !== undefined && c.activeCertificate.doctorId !== f.doctorId) continue;
      if (f.degree !== undefined && c.degree !== f.degree) continue;
      if (f.minDays !== undefined && c.days < f.minDays) continue;
      if (f.maxDays !== undefined && c.days > f.maxDays) continue;
      const gender = genderOf(c.patientId);
      if (f.gender !== undefined && gender !== f.gender) continue;
      const age = ageOn(birthDateOf(c.patientId), activeOn);
      if (f.minAge !== undefined && age < f.minAge) continue;
      if (f.maxAge !== undefined && age > f.maxAge) continue;
      const chapter = c.diagnosis ? chapterOf(c.diagnosis) : undefined;
      if (f.diagnosisChapter !== undefined && chapter !== f.diagnosisChapter) continue;
      if (q !== undefined && !c.patientName?.toLocaleLowerCase('sv').includes(q)) continue;
      rows.push({ c, age, gender, chapter });
    }
    if (f.coordinationStatus === undefined) return rows;
    await this.attachStatuses(actor, unitId, rows);
    return rows.filter((r) => r.status === f.coordinationStatus);
  }

  private async attachStatuses(actor: Actor, unitId: string, rows: Row[]): Promise<void> {
    const statuses = await this.coordination.latestStatuses(
      actor.careGiverId,
      unitId,
      rows.map((r) => ({ patientId: r.c.patientId, start: r.c.start, end: r.c.end })),
    );
    for (const r of rows) r.status = statuses.get(r.c.patientId) as CoordinationStatus | undefined;
  }
}

/** A doctor sees the cases whose active certificate they signed; a coordinator sees every case of the unit. */
function visibleTo(actor: Actor, c: SickLeaveCase): boolean {
  return actor.role !== 'doctor' || c.activeCertificate.doctorId === actor.id;
}

function toItem(r: Row): SickLeaveItem {
  return {
    patient: { id: r.c.patientId, name: r.c.patientName, age: r.age, gender: r.gender },
    ...caseFields(r.c),
    status: r.c.status === 'ended' ? 'ended' : 'active',
    ...(r.status ? { coordinationStatus: r.status } : {}),
  };
}

/** Binds a cursor to the query it came from: every filter and the sort, but not the page size. */
function queryHash(unitId: string, activeOn: LocalDate, query: OverviewQuery): string {
  const { cursor: _cursor, limit: _limit, activeOn: _activeOn, ...rest } = query;
  const canonical = JSON.stringify([unitId, activeOn, Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}
