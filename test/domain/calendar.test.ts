import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  inclusiveDays,
  isSupportedDate,
  isValidDate,
  stockholmDate,
  stockholmToday,
  stockholmDayStart,
  stockholmLocalToInstant,
} from '../../src/domain/calendar.js';

describe('calendar days', () => {
  it('knows real dates, leap days included', () => {
    expect(isValidDate('2028-02-29')).toBe(true);
    expect(isValidDate('2026-02-29')).toBe(false);
    expect(isValidDate('2026-02-30')).toBe(false);
    expect(isValidDate('2026-1-05')).toBe(false);
    expect(isValidDate('2000-02-29')).toBe(true);
    expect(isValidDate('1900-02-29')).toBe(false);
    for (const bad of [
      '2026-00-10',
      '2026-13-01',
      '2026-12-32',
      '2026-04-31',
      '2026-12-00',
      '2026-02-2x',
      '+2026-01-1',
    ]) {
      expect(isValidDate(bad), bad).toBe(false);
    }
    for (const bad of ['２０２６-01-01', '2026/01/01', '2026-01-01 ', ' 2026-01-01', '20260101', '']) {
      expect(isValidDate(bad), bad).toBe(false);
    }
  });
  it('agrees with Date on every day of 1896–2204 and on every impossible day-of-month', () => {
    for (let y = 1896; y <= 2204; y++) {
      for (let m = 1; m <= 12; m++) {
        for (let d = 1; d <= 31; d++) {
          const text = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
          const real = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
          if (isValidDate(text) !== real) expect.fail(`${text}: ${!real}`);
        }
      }
    }
  });
  it('supports 1900-01-01 to 2199-12-31 and nothing outside', () => {
    expect(isSupportedDate('1900-01-01')).toBe(true);
    expect(isSupportedDate('2199-12-31')).toBe(true);
    expect(isSupportedDate('1899-12-31')).toBe(false);
    expect(isSupportedDate('9999-12-31')).toBe(false);
  });
  it('counts days across a leap day and a DST change without drifting', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
    expect(inclusiveDays('2026-11-20', '2026-11-20')).toBe(1);
  });
});

describe('Swedish time', () => {
  it('reads a wall-clock time in winter (UTC+1) and summer (UTC+2)', () => {
    expect(stockholmLocalToInstant('2026-01-15T10:00:00').toISOString()).toBe('2026-01-15T09:00:00.000Z');
    expect(stockholmLocalToInstant('2026-07-15T10:00:00').toISOString()).toBe('2026-07-15T08:00:00.000Z');
  });
  it('takes the earlier of the twice-occurring autumn hour', () => {
    expect(stockholmLocalToInstant('2026-10-25T02:30:00').toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });
  it('gives the Swedish day of an instant near midnight', () => {
    expect(stockholmDate(new Date('2026-11-24T23:30:00Z'))).toBe('2026-11-25');
    expect(stockholmDayStart('2026-11-25').toISOString()).toBe('2026-11-24T23:00:00.000Z');
  });
});

describe('the spring gap', () => {
  it('moves a skipped wall-clock time forward an hour', () => {
    expect(stockholmLocalToInstant('2026-03-29T02:30:00').toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
});

describe('stockholmToday', () => {
  it('is the Swedish date, turning at Swedish midnight (a whole UTC minute)', () => {
    expect(stockholmToday(Date.parse('2026-12-01T22:59:59.999Z'))).toBe('2026-12-01');
    expect(stockholmToday(Date.parse('2026-12-01T23:00:00.000Z'))).toBe('2026-12-02');
    expect(stockholmToday(Date.parse('2026-06-30T21:59:30Z'))).toBe('2026-06-30');
    expect(stockholmToday(Date.parse('2026-06-30T22:00:00Z'))).toBe('2026-07-01');
  });
});
