import { describe, expect, it } from 'vitest';
import {
  countsFor,
  isAllowedDegree,
  isCertificateId,
  normaliseDiagnoses,
  occupationIssues,
  parseSignedAt,
  periodIssues,
  periodSpan,
  periodsOverlap,
  relationIssues,
  sortOccupations,
  sortPeriods,
} from '../../src/domain/certificate-rules.js';

const p = (degree: number, start: string, end: string) => ({ degree, start, end });
const paths = (issues: { path: (string | number)[] }[]) => issues.map((i) => i.path.join('.'));

describe('certificate ids', () => {
  it('accepts 1–64 of A-Z a-z 0-9 . _ : -', () => {
    expect(isCertificateId('c-2026-000123')).toBe(true);
    expect(isCertificateId('a.b_c:d-1')).toBe(true);
    expect(isCertificateId('x'.repeat(64))).toBe(true);
  });
  it('refuses empty, too long and other characters', () => {
    expect(isCertificateId('')).toBe(false);
    expect(isCertificateId('x'.repeat(65))).toBe(false);
    expect(isCertificateId('a/b')).toBe(false);
    expect(isCertificateId('a b')).toBe(false);
  });
});

describe('degrees', () => {
  it('FK and AG7804 allow 25, 50, 75 and 100 only', () => {
    for (const type of ['FK7804', 'FK7263', 'AG7804'] as const) {
      expect([25, 50, 75, 100].every((d) => isAllowedDegree(type, d))).toBe(true);
      expect(isAllowedDegree(type, 0)).toBe(false);
      expect(isAllowedDegree(type, 30)).toBe(false);
      expect(isAllowedDegree(type, 50.5)).toBe(false);
    }
  });
  it('AG114 allows any whole percent from 0 to 100', () => {
    expect(isAllowedDegree('AG114', 0)).toBe(true);
    expect(isAllowedDegree('AG114', 37)).toBe(true);
    expect(isAllowedDegree('AG114', 100)).toBe(true);
    expect(isAllowedDegree('AG114', 101)).toBe(false);
    expect(isAllowedDegree('AG114', -1)).toBe(false);
    expect(isAllowedDegree('AG114', 12.5)).toBe(false);
  });
});

describe('periods', () => {
  it('accepts up to four adjacent periods with distinct degrees', () => {
    const periods = [
      p(100, '2026-01-01', '2026-01-07'),
      p(75, '2026-01-08', '2026-01-14'),
      p(50, '2026-01-15', '2026-01-21'),
      p(25, '2026-01-22', '2026-01-28'),
    ];
    expect(periodIssues('FK7804', periods)).toEqual([]);
  });
  it('refuses none and more than four', () => {
    expect(paths(periodIssues('FK7804', []))).toEqual(['periods']);
    const five = [25, 50, 75, 100, 100].map((d, i) => p(d, `2026-01-0${i + 1}`, `2026-01-0${i + 1}`));
    expect(paths(periodIssues('FK7804', five))).toContain('periods');
  });
  it('refuses a degree outside the set', () => {
    expect(
      paths(periodIssues('FK7804', [p(100, '2026-01-01', '2026-01-02'), p(30, '2026-01-03', '2026-01-04')])),
    ).toEqual(['periods.1.degree']);
  });
  it('refuses the same degree twice', () => {
    const issues = periodIssues('FK7804', [p(50, '2026-01-01', '2026-01-02'), p(50, '2026-01-03', '2026-01-04')]);
    expect(paths(issues)).toEqual(['periods.1.degree']);
  });
  it('refuses an end before the start; the same day is one day', () => {
    expect(paths(periodIssues('FK7804', [p(100, '2026-01-02', '2026-01-01')]))).toEqual(['periods.0.end']);
    expect(periodIssues('FK7804', [p(100, '2026-01-02', '2026-01-02')])).toEqual([]);
  });
  it('refuses overlapping periods, even by one shared day', () => {
    const issues = periodIssues('FK7804', [p(100, '2026-01-01', '2026-01-10'), p(50, '2026-01-10', '2026-01-20')]);
    expect(paths(issues)).toEqual(['periods.1.start']);
  });
  it('accepts periods given out of order and with a gap between them', () => {
    expect(periodIssues('FK7804', [p(50, '2026-02-01', '2026-02-10'), p(100, '2026-01-01', '2026-01-10')])).toEqual([]);
  });
  it('refuses dates that are not calendar dates', () => {
    expect(paths(periodIssues('FK7804', [p(100, '2026-02-30', '2026-03-01')]))).toEqual(['periods.0.start']);
  });
  it('AG114 has exactly one period, degree 0–100', () => {
    expect(periodIssues('AG114', [p(40, '2026-01-01', '2026-01-10')])).toEqual([]);
    expect(
      paths(periodIssues('AG114', [p(40, '2026-01-01', '2026-01-10'), p(20, '2026-01-11', '2026-01-12')])),
    ).toEqual(['periods']);
    expect(paths(periodIssues('AG114', [p(140, '2026-01-01', '2026-01-10')]))).toEqual(['periods.0.degree']);
  });
  it('spans from the earliest start to the latest end and sorts by start', () => {
    const periods = [p(50, '2026-02-01', '2026-02-10'), p(100, '2026-01-01', '2026-01-10')];
    expect(periodSpan(periods)).toEqual({ start: '2026-01-01', end: '2026-02-10' });
    expect(sortPeriods(periods).map((x) => x.degree)).toEqual([100, 50]);
    expect(periodsOverlap(periods[0]!, periods[1]!)).toBe(false);
  });
});

describe('diagnoses', () => {
  it('stores codes without the dot, with their chapter', () => {
    expect(normaliseDiagnoses(['F32.1', 'm545', 'J06'])).toEqual({
      diagnoses: [
        { code: 'F321', chapter: 'F00-F99' },
        { code: 'M545', chapter: 'M00-M99' },
        { code: 'J06', chapter: 'J00-J99' },
      ],
      issues: [],
    });
  });
  it('refuses none and more than three', () => {
    expect(paths(normaliseDiagnoses([]).issues)).toEqual(['diagnoses']);
    expect(paths(normaliseDiagnoses(['J06', 'J07', 'J08', 'J09']).issues)).toEqual(['diagnoses']);
  });
  it('names the code that is malformed or too short', () => {
    expect(paths(normaliseDiagnoses(['J06', 'XX1']).issues)).toEqual(['diagnoses.1.code']);
    expect(normaliseDiagnoses(['F32']).issues[0]?.message).toMatch(/fourth character/);
    expect(normaliseDiagnoses(['Z73']).issues[0]?.message).toMatch(/fourth character/);
    expect(normaliseDiagnoses(['Z730']).issues).toEqual([]);
  });
  it('refuses the same code twice, with or without the dot', () => {
    expect(paths(normaliseDiagnoses(['F32.1', 'F321']).issues)).toEqual(['diagnoses.1.code']);
  });
});

describe('occupations', () => {
  it('needs at least one, each once', () => {
    expect(occupationIssues(['CURRENT_JOB', 'STUDIES'])).toEqual([]);
    expect(paths(occupationIssues([]))).toEqual(['occupations']);
    expect(paths(occupationIssues(['STUDIES', 'STUDIES']))).toEqual(['occupations.1']);
    expect(paths(occupationIssues(['PILOT']))).toEqual(['occupations.0']);
  });
  it('are kept in one fixed order', () => {
    expect(sortOccupations(['STUDIES', 'CURRENT_JOB'])).toEqual(['CURRENT_JOB', 'STUDIES']);
  });
});

describe('relations', () => {
  it('a certificate cannot relate to itself', () => {
    expect(paths(relationIssues('c-1', { certificateId: 'c-1' }))).toEqual(['relation.certificateId']);
    expect(relationIssues('c-2', { certificateId: 'c-1' })).toEqual([]);
    expect(relationIssues('c-2', undefined)).toEqual([]);
  });
});

describe('signedAt', () => {
  it('keeps an instant with a zone', () => {
    expect(parseSignedAt('2026-11-20T09:30:00Z')?.toISOString()).toBe('2026-11-20T09:30:00.000Z');
    expect(parseSignedAt('2026-11-20T09:30:00+01:00')?.toISOString()).toBe('2026-11-20T08:30:00.000Z');
    expect(parseSignedAt('2026-11-20T09:30Z')?.toISOString()).toBe('2026-11-20T09:30:00.000Z');
  });
  it('reads a time without a zone as Swedish local time, winter and summer', () => {
    expect(parseSignedAt('2026-11-20T09:30:00')?.toISOString()).toBe('2026-11-20T08:30:00.000Z');
    expect(parseSignedAt('2026-07-01T09:30:00')?.toISOString()).toBe('2026-07-01T07:30:00.000Z');
    expect(parseSignedAt('2026-07-01T09:30')?.toISOString()).toBe('2026-07-01T07:30:00.000Z');
  });
  it('refuses what is not a time', () => {
    for (const bad of ['2026-11-20', '2026-02-30T10:00:00Z', '2026-11-20T25:00:00', 'yesterday', '2026-11-20T10:61']) {
      expect(parseSignedAt(bad)).toBeUndefined();
    }
  });
});

describe('counting', () => {
  const base = { type: 'FK7804', test: false, infectionControl: false, revoked: false, supersededBy: null };
  it('an FK certificate counts', () => {
    expect(countsFor(base)).toBe(true);
    expect(countsFor({ ...base, type: 'FK7263' })).toBe(true);
  });
  it('AG certificates, tests, infection control, revoked and superseded ones never count', () => {
    expect(countsFor({ ...base, type: 'AG7804' })).toBe(false);
    expect(countsFor({ ...base, type: 'AG114' })).toBe(false);
    expect(countsFor({ ...base, test: true })).toBe(false);
    expect(countsFor({ ...base, infectionControl: true })).toBe(false);
    expect(countsFor({ ...base, revoked: true })).toBe(false);
    expect(countsFor({ ...base, supersededBy: 'c-2' })).toBe(false);
  });
});
