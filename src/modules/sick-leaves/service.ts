import type { Database, Executor } from '../../db/client.js';
import { addDays, type LocalDate, stockholmDate } from '../../domain/calendar.js';
import { CHAPTERS, chapterOf } from '../../domain/icd10.js';
import { ageOn, birthDateOf, genderOf } from '../../domain/personal-identity.js';
import { type CaseCertificate, casesOn, patientHistory, type SickLeaveCase } from '../../domain/sick-leave-engine.js';
import { type Actor, assertRole } from '../../lib/actor.js';
import { NoCareRelation, ValidationFailed } from '../../lib/errors.js';
import { issuedTo, type PageCursors } from '../../lib/cursor.js';
import { type AuditEntry, type AuditService, shownUnits } from '../audit/service.js';
import {
  patientCaseCertificates,
  patientsCaseCertificates,
  unitCaseCertificates,
  unitCaseChangesSince,
  unitCaseVersion,
} from '../certificates/case-source.js';
import type { CertificateService } from '../certificates/service.js';
import type { CoordinationService } from '../coordination/service.js';
import { CaseCache } from './case-cache.js';

/** What the history asks the consents module: whether the unit has a care relation with the patient. */
export interface CareRelations {
  hasCareRelation(
    careGiverId: string,
    unitId: string,
    patientId: string,
    known?: { certified?: boolean },
  ): Promise<boolean>;
}
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
const SUMMARY_RESOURCE = 'sick_leave_summary';
/** A summary of this many cases or fewer can single its patients out: each is audited as read. */
export const SMALL_SUMMARY = 5;
const READERS = ['doctor', 'coordinator'] as const;

/** A case with the values the filters and sorts need, computed once per built case list (shared: never mutate). */
interface Row {
  readonly c: SickLeaveCase;
  readonly age: number;
  readonly gender: 'F' | 'M';
  readonly chapter: string | undefined;
  /** The patient's name in lower case, for the free-text filter. */
  readonly name: string | undefined;
  /**
   * The summary's counters this case adds to: positions in SUMMARY_DEGREES, CHAPTERS (-1 for none) and
   * LENGTH_BUCKETS. Counting a 5,000-case unit read each case's degree and length through the case object and
   * counted in maps: about 1 ms a summary, most of a warm one.
   */
  readonly degreeAt: number;
  readonly chapterAt: number;
  readonly lengthAt: number;
}

const SUMMARY_DEGREES = [25, 50, 75, 100] as const;

/** Every case of a unit on one day (before visibility and filters), with its orders built on first use. */
class UnitCases {
  private readonly orders = new Map<string, readonly Row[]>();

  constructor(readonly rows: readonly Row[]) {}

  /** The rows in a sort order (`start`, `-days`, ...), sorted once per cached case list. */
  sorted(sort: string): readonly Row[] {
    let order = this.orders.get(sort);
    if (!order) {
      const key = sort.replace('-', '') as SortKey;
      order = [...this.rows].sort(compareRows(key, sort.startsWith('-')));
      this.orders.set(sort, order);
    }
    return order;
  }
}

function buildUnitCases(
  certs: readonly CaseCertificate[],
  unitId: string,
  activeOn: LocalDate,
  f: CaseFilters,
): UnitCases {
  const rows: Row[] = [];
  const options = { activeOn, maxGapDays: f.maxGapDays, recentlyEndedDays: f.recentlyEndedDays, unitId };
  for (const c of casesOn(certs, options)) {
    const chapter = c.diagnosis ? chapterOf(c.diagnosis) : undefined;
    rows.push({
      c,
      age: ageOn(birthDateOf(c.patientId), activeOn),
      gender: genderOf(c.patientId),
      chapter,
      name: c.patientName?.toLocaleLowerCase('sv'),
      degreeAt: SUMMARY_DEGREES.indexOf(c.degree as (typeof SUMMARY_DEGREES)[number]),
      chapterAt: chapter ? CHAPTERS.indexOf(chapter) : -1,
      lengthAt: LENGTH_BUCKETS.indexOf(lengthBucket(c.days)),
    });
  }
  return new UnitCases(rows);
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

/**
 * A range whose least is over its most matches nothing and is a mistake, as an empty window of the audit list is:
 * 400 naming it, not an empty page (`minDays=50&maxDays=10` answered 200 with no cases).
 */
function assertRanges(filters: CaseFilters, at: string): void {
  const empty = (
    [
      ['minDays', 'maxDays'],
      ['minAge', 'maxAge'],
    ] as const
  ).filter(([min, max]) => {
    const [least, most] = [filters[min], filters[max]];
    return least !== undefined && most !== undefined && least > most;
  });
  if (empty.length === 0) return;
  throw new ValidationFailed(
    `The range is empty: ${empty.map(([min, max]) => `${min} is over ${max}`).join(', ')}`,
    empty.map(([min, max]) => ({ path: `${at}${min}`, message: `must not be over ${max}` })),
  );
}

const invalidCursor = (at: string) =>
  new ValidationFailed('The cursor does not belong to this query', [
    { path: `${at}cursor`, message: 'is not a cursor of this query' },
  ]);

/** Sick-leave cases: the unit overview, its summary and the patient history (issue 4). */
export class SickLeaveService {
  /** Built case lists per unit and day, valid while the unit's case version is unchanged. */
  readonly caseCache: CaseCache<UnitCases>;

  constructor(
    readonly database: Database,
    readonly audit: AuditService,
    readonly certificates: CertificateService,
    readonly coordination: CoordinationService,
    private readonly consents: CareRelations,
    private readonly cursors: PageCursors,
    options: { cacheEntries?: number; cacheCases?: number } = {},
  ) {
    this.caseCache = new CaseCache<UnitCases>(options.cacheEntries ?? 64, {
      maxSize: options.cacheCases ?? 100_000,
      sizeOf: (cases) => cases.rows.length,
    });
  }

  /**
   * The unit's cases active on a day, filtered, sorted and paged; one audit event per patient on the page. `at` is
   * where the query came from, for the errors: 'query.' (GET) or '' (the search's body).
   */
  async overview(actor: Actor, unitId: string, query: OverviewQuery, at = 'query.'): Promise<SickLeavePage> {
    assertRole(actor, READERS);
    await this.certificates.assertActsAt(actor, unitId);
    assertRanges(query, at);
    // A cursor pages the list it came from: every filter and the sort, not the page size. A follow-up page without
    // activeOn stays on the day of the first page, even across midnight; one with another day is another list.
    const { cursor: _cursor, limit: _limit, activeOn: _activeOn, ...filters } = query;
    const bound = { ...issuedTo(actor), unitId, ...filters };
    const cursor = query.cursor ? this.cursors.openFor(query.cursor, bound, OverviewCursor) : undefined;
    if (query.cursor && (!cursor || (query.activeOn !== undefined && cursor.a !== query.activeOn))) {
      throw invalidCursor(at);
    }
    const activeOn = query.activeOn ?? cursor?.a ?? stockholmDate();

    const descending = query.sort.startsWith('-');
    const key = query.sort.replace('-', '') as SortKey;
    const { rows, statuses: known } = await this.matchingRows(actor, unitId, activeOn, query, query.sort);
    const from = cursor
      ? rows.findIndex((r) => compareKeys(sortValue(r, key), r.c.patientId, cursor.k, cursor.p, descending) > 0)
      : 0;
    const pageRows = from < 0 ? [] : rows.slice(from, from + query.limit);
    const last = pageRows[pageRows.length - 1];
    const hasMore = from >= 0 && from + query.limit < rows.length;

    // Statuses only for the page's patients, unless the status filter needed them all already.
    const statuses = known ?? (await this.statusesOf(actor, unitId, activeOn, pageRows));
    await this.audit.record(actor, pageReads(pageRows, unitId));
    return {
      items: pageRows.map((r) => toItem(r, statuses.get(r.c.patientId))),
      total: rows.length,
      nextCursor:
        hasMore && last
          ? this.cursors.sealFor(bound, { a: activeOn, k: sortValue(last, key), p: last.c.patientId })
          : null,
      activeOn,
      maxGapDays: query.maxGapDays,
    };
  }

  /** Counts over the same cases as the overview; audited for the unit, and per patient when few (see below). */
  async summary(actor: Actor, unitId: string, query: CaseFilters): Promise<SickLeaveSummary> {
    assertRole(actor, READERS);
    await this.certificates.assertActsAt(actor, unitId);
    assertRanges(query, 'query.');
    const activeOn = query.activeOn ?? stockholmDate();
    const { rows } = await this.matchingRows(actor, unitId, activeOn, query);
    let women = 0;
    const byDegree = new Array<number>(SUMMARY_DEGREES.length).fill(0);
    const byChapter = new Array<number>(CHAPTERS.length).fill(0);
    const byLength = new Array<number>(LENGTH_BUCKETS.length).fill(0);
    for (const r of rows) {
      if (r.gender === 'F') women++;
      if (r.degreeAt >= 0) byDegree[r.degreeAt]!++;
      if (r.chapterAt >= 0) byChapter[r.chapterAt]!++;
      byLength[r.lengthAt]!++;
    }
    // Counts, but counts small enough to single a patient out (minAge=100: one patient's chapter, degree and length).
    // Every summary is logged for the unit; the patients of one of at most SMALL_SUMMARY cases as read, each.
    const small = rows.length <= SMALL_SUMMARY ? rows.map((r) => r.c.patientId) : [];
    await this.audit.record(actor, [
      { action: 'read', resource: SUMMARY_RESOURCE, resourceId: summaryQuery(activeOn, query), unitId },
      ...[...new Set(small)].map((patientId) => ({
        action: 'read' as const,
        resource: SUMMARY_RESOURCE,
        unitId,
        patientId,
      })),
    ]);
    return {
      total: rows.length,
      byGender: { F: women, M: rows.length - women },
      byDiagnosisChapter: CHAPTERS.flatMap((chapter, i) =>
        byChapter[i]! > 0 ? [{ chapter, count: byChapter[i]! }] : [],
      ).sort((a, b) => b.count - a.count || (a.chapter < b.chapter ? -1 : 1)),
      byDegree: {
        '25': byDegree[0]!,
        '50': byDegree[1]!,
        '75': byDegree[2]!,
        '100': byDegree[3]!,
      },
      byLength: LENGTH_BUCKETS.map((bucket, i) => ({ bucket, count: byLength[i]! })),
    };
  }

  /**
   * All the patient's cases within the caller's care giver (certificates of every unit), newest first, to a unit with
   * a care relation with the patient; otherwise 403 no-care-relation. A doctor sees only the cases whose active
   * certificate they signed. The lookup is logged once for the patient, naming the units whose certificates it shows.
   */
  async history(actor: Actor, body: HistoryBody): Promise<SickLeaveHistory> {
    assertRole(actor, READERS);
    await this.certificates.assertActsAt(actor, body.unitId);
    const activeOn = body.activeOn ?? stockholmDate();
    // The history stays on the primary: it is what a coordinator opens right after a change, so it must show it.
    const certs = await patientCaseCertificates(this.database.db, actor.careGiverId, body.patientId);
    // Inner secrecy (NoCareRelation): any coordinator of the care giver who knew a personnummer read every unit's
    // diagnoses of the patient. The refusal is audited as the lookup it is.
    const related = await this.consents.hasCareRelation(actor.careGiverId, body.unitId, body.patientId, {
      certified: certs.some((c) => c.unitId === body.unitId),
    });
    if (!related) {
      await this.audit.refusedRead(actor, body.unitId, RESOURCE, body.patientId);
      throw new NoCareRelation('the history');
    }
    const cases = patientHistory(certs, { activeOn, maxGapDays: body.maxGapDays }).filter((c) => visibleTo(actor, c));
    // The answer may show certificates of other units of the care giver: the event names them, so that an auditor can
    // follow up who read which unit's records (one event, for the patient, at the caller's unit).
    await this.audit.record(actor, [
      {
        action: 'read',
        resource: RESOURCE,
        resourceId: shownUnits(cases.flatMap((c) => c.certificates.map((cert) => cert.unitId))),
        unitId: body.unitId,
        patientId: body.patientId,
      },
    ]);
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

  /**
   * The unit's visible cases on `activeOn` that pass every filter, in the `sort` order when one is given. With the
   * coordinationStatus filter, also the statuses it read.
   */
  private async matchingRows(
    actor: Actor,
    unitId: string,
    activeOn: LocalDate,
    f: CaseFilters,
    sort?: string,
  ): Promise<{ rows: readonly Row[]; statuses?: Map<string, CoordinationStatus> }> {
    const cases = await this.unitCases(actor.careGiverId, unitId, activeOn, f);
    const all = sort ? cases.sorted(sort) : cases.rows;
    const q = f.q?.toLocaleLowerCase('sv');
    const unfiltered =
      actor.role !== 'doctor' &&
      f.doctorId === undefined &&
      f.degree === undefined &&
      f.minDays === undefined &&
      f.maxDays === undefined &&
      f.gender === undefined &&
      f.minAge === undefined &&
      f.maxAge === undefined &&
      f.diagnosisChapter === undefined &&
      q === undefined;
    const rows = unfiltered
      ? all
      : all.filter(
          (r) =>
            visibleTo(actor, r.c) &&
            (f.doctorId === undefined || r.c.activeCertificate.doctorId === f.doctorId) &&
            (f.degree === undefined || r.c.degree === f.degree) &&
            (f.minDays === undefined || r.c.days >= f.minDays) &&
            (f.maxDays === undefined || r.c.days <= f.maxDays) &&
            (f.gender === undefined || r.gender === f.gender) &&
            (f.minAge === undefined || r.age >= f.minAge) &&
            (f.maxAge === undefined || r.age <= f.maxAge) &&
            (f.diagnosisChapter === undefined || r.chapter === f.diagnosisChapter) &&
            (q === undefined || (r.name?.includes(q) ?? false)),
        );
    if (f.coordinationStatus === undefined) return { rows };
    const statuses = await this.statusesOf(actor, unitId, activeOn, rows);
    return { rows: rows.filter((r) => statuses.get(r.c.patientId) === f.coordinationStatus), statuses };
  }

  /**
   * Every case of the unit on `activeOn` (coordinator view, unfiltered), from the cache while the unit's case version
   * is unchanged. The version is read first, so what is built is at least as new as the version it is kept under.
   */
  private async unitCases(
    careGiverId: string,
    unitId: string,
    activeOn: LocalDate,
    f: CaseFilters,
  ): Promise<UnitCases> {
    return this.database.reading((readDb) => this.unitCasesOn(readDb, careGiverId, unitId, activeOn, f));
  }

  private async unitCasesOn(
    readDb: Executor,
    careGiverId: string,
    unitId: string,
    activeOn: LocalDate,
    f: CaseFilters,
  ): Promise<UnitCases> {
    const version = await unitCaseVersion(readDb, unitId);
    const key = `${careGiverId}|${unitId}|${activeOn}|${f.maxGapDays}|${f.recentlyEndedDays}`;
    const windowFrom = addDays(activeOn, -f.recentlyEndedDays);
    const build = async () =>
      buildUnitCases(
        await unitCaseCertificates(readDb, careGiverId, unitId, activeOn, windowFrom, f.maxGapDays),
        unitId,
        activeOn,
        f,
      );
    // A list a few writes old is brought up to date by rebuilding only the patients those writes changed.
    const refresh = async (previous: UnitCases, previousVersion: string) => {
      const changed = await unitCaseChangesSince(readDb, unitId, previousVersion, version);
      if (!changed) return build();
      const certs = await patientsCaseCertificates(
        readDb,
        careGiverId,
        unitId,
        changed,
        activeOn,
        windowFrom,
        f.maxGapDays,
      );
      const patients = new Set(changed);
      const kept = previous.rows.filter((r) => !patients.has(r.c.patientId));
      return new UnitCases([...kept, ...buildUnitCases(certs, unitId, activeOn, f).rows]);
    };
    return this.caseCache.get(key, version, build, refresh);
  }

  private async statusesOf(
    actor: Actor,
    unitId: string,
    activeOn: LocalDate,
    rows: readonly Row[],
  ): Promise<Map<string, CoordinationStatus>> {
    if (rows.length === 0) return new Map();
    // The status as of activeOn: one set from the case's start up to activeOn. An active case's later days are not
    // seen on an earlier day's overview (a `closed` set on the 20th showed on the 11th). A recently ended case shows
    // one set after its end too, up to activeOn: closing a case that has just ended is what such cases are shown for.
    const statuses = await this.coordination.latestStatuses(
      actor.careGiverId,
      unitId,
      rows.map((r) => ({ patientId: r.c.patientId, start: r.c.start, end: activeOn })),
    );
    return statuses as Map<string, CoordinationStatus>;
  }
}

/**
 * The summary's day and filters as its audit event's resource id (`activeOn=…&maxAge=66&…`, keys sorted): counts are
 * not patients, but two summaries that differ by one filter can single one out (maxAge=66 less maxAge=65), and an
 * auditor can see that only from what each counted. Filters are numbers, dates, enums and HSA-ids, never a name.
 */
function summaryQuery(activeOn: LocalDate, query: CaseFilters): string {
  const given = Object.entries({ ...query, activeOn, q: undefined })
    .filter(([, value]) => value !== undefined && value !== null)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return given.map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`).join('&');
}

/** A doctor sees the cases whose active certificate they signed; a coordinator sees every case of the unit. */
function visibleTo(actor: Actor, c: SickLeaveCase): boolean {
  return actor.role !== 'doctor' || c.activeCertificate.doctorId === actor.id;
}

/**
 * One read event per patient on the page. A case across units shows the other units' certificates (the active one's
 * diagnosis and degree, their doctors): its event names the units, as the history's does, so that an auditor can
 * follow up inner secrecy from the overview's log too. A case of the unit's own certificates names none.
 */
function pageReads(pageRows: readonly Row[], unitId: string): AuditEntry[] {
  const units = new Map<string, Set<string>>();
  for (const r of pageRows) {
    const shown = units.get(r.c.patientId) ?? new Set<string>();
    for (const cert of r.c.certificates) shown.add(cert.unitId);
    units.set(r.c.patientId, shown);
  }
  return [...units].map(([patientId, shown]) => ({
    action: 'read',
    resource: RESOURCE,
    unitId,
    patientId,
    ...(shown.size > 1 || !shown.has(unitId) ? { resourceId: shownUnits(shown) } : {}),
  }));
}

function toItem(r: Row, coordinationStatus: CoordinationStatus | undefined): SickLeaveItem {
  return {
    patient: { id: r.c.patientId, name: r.c.patientName, age: r.age, gender: r.gender },
    ...caseFields(r.c),
    status: r.c.status === 'ended' ? 'ended' : 'active',
    ...(coordinationStatus ? { coordinationStatus } : {}),
  };
}
