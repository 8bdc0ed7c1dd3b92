import { describe, expect, it } from 'vitest';
import { addDays } from '../../../src/domain/calendar.js';
import { HISTORY_WINDOW_DAYS } from '../../../src/modules/certificates/case-source.js';
import { useTestApp } from '../../helpers/app.js';
import { bearer, UNIT } from '../../helpers/tokens.js';
import { givenCertificate } from './given.js';

// The overview first loads only certificates ending at most HISTORY_WINDOW_DAYS (+ gap + 1) before the window and
// reads a patient's whole history only when the visible case could reach further back. These cases cross that bound.
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });
const ON = '2026-03-15';
const TOLVAN = '191212121212';
const coordinator = bearer({ role: 'coordinator' });

interface Item {
  start: string;
  end: string;
  days: number;
  degree: number;
  degrees: { degree: number; start: string; end: string }[];
  certificateCount: number;
}

async function onlyCase(query = ''): Promise<Item> {
  const res = await ctx.app.inject({
    method: 'GET',
    url: `/v1/units/${UNIT}/sick-leaves?activeOn=${ON}${query}`,
    headers: coordinator,
  });
  expect(res.statusCode, res.body).toBe(200);
  const items = res.json().items as Item[];
  expect(items).toHaveLength(1);
  return items[0]!;
}

/** The first day the first load leaves out, for a gap of `gap` days and recentlyEndedDays 0. */
const boundFor = (gap: number) => addDays(ON, -(gap + 1 + HISTORY_WINDOW_DAYS));

describe('sick-leave cases reaching before the first loaded window', () => {
  it('a chain of certificates over two years counts from its first certificate; an older case apart does not', async () => {
    const db = ctx.database.db;
    // 24 certificates of 30 days, 3 empty days between them, from 2024-05-01 to past ON.
    let start = '2024-05-01';
    for (let i = 0; i < 24; i++) {
      await givenCertificate(db, {
        patientId: TOLVAN,
        periods: [[i < 12 ? 100 : 50, start, addDays(start, 29)]],
        signedAt: `${start}T08:00:00Z`,
      });
      start = addDays(start, 33);
    }
    // An older case ending 2024-04-19: 11 empty days before the chain, so a case of its own with the default gap.
    await givenCertificate(db, {
      patientId: TOLVAN,
      periods: [[25, '2024-03-01', '2024-04-19']],
      signedAt: '2024-03-01T08:00:00Z',
    });

    const item = await onlyCase();
    expect(item.start).toBe('2024-05-01');
    expect(item.end).toBe(addDays('2024-05-01', 23 * 33 + 29));
    expect(item.days).toBe(24 * 30);
    expect(item.certificateCount).toBe(24);
    expect(item.degree).toBe(50);
    expect(item.degrees.map((d) => d.degree)).toEqual([100, 50]);

    // With a gap of 15 days the older case joins the chain.
    const joined = await onlyCase('&maxGapDays=15');
    expect(joined.start).toBe('2024-03-01');
    expect(joined.days).toBe(24 * 30 + 50);
    expect(joined.certificateCount).toBe(25);
    expect(joined.degrees.map((d) => d.degree)).toEqual([25, 100, 50]);
  });

  it('an old short certificate inside a long one, signed later, still sets its degree steps', async () => {
    const db = ctx.database.db;
    await givenCertificate(db, {
      patientId: TOLVAN,
      periods: [[100, '2025-01-01', '2026-06-30']],
      signedAt: '2025-01-01T08:00:00Z',
    });
    await givenCertificate(db, {
      patientId: TOLVAN,
      periods: [[50, '2025-02-01', '2025-02-10']],
      signedAt: '2025-02-01T08:00:00Z',
    });

    const item = await onlyCase();
    expect(item.start).toBe('2025-01-01');
    expect(item.certificateCount).toBe(2);
    expect(item.days).toBe(546);
    expect(item.degree).toBe(100);
    expect(item.degrees).toEqual([
      { degree: 100, start: '2025-01-01', end: '2025-01-31' },
      { degree: 50, start: '2025-02-01', end: '2025-02-10' },
      { degree: 100, start: '2025-02-11', end: '2026-06-30' },
    ]);
  });

  it('a certificate ending just before the bound joins when at most maxGapDays empty days lie between', async () => {
    const db = ctx.database.db;
    const bound = boundFor(5);
    // The older certificate ends the day before the bound; the current one starts after 5 empty days.
    await givenCertificate(db, {
      patientId: TOLVAN,
      periods: [[100, addDays(bound, -40), addDays(bound, -1)]],
      signedAt: '2025-01-01T08:00:00Z',
    });
    await givenCertificate(db, {
      patientId: TOLVAN,
      periods: [[50, addDays(bound, 5), '2026-04-01']],
      signedAt: '2025-08-01T08:00:00Z',
    });
    const item = await onlyCase();
    expect(item.start).toBe(addDays(bound, -40));
    expect(item.certificateCount).toBe(2);
    expect(item.degrees.map((d) => d.degree)).toEqual([100, 50]);
  });

  it('six empty days before the bound make two cases: only the current one shows', async () => {
    const db = ctx.database.db;
    const bound = boundFor(5);
    await givenCertificate(db, {
      patientId: TOLVAN,
      periods: [[100, addDays(bound, -40), addDays(bound, -1)]],
      signedAt: '2025-01-01T08:00:00Z',
    });
    await givenCertificate(db, {
      patientId: TOLVAN,
      periods: [[50, addDays(bound, 6), '2026-04-01']],
      signedAt: '2025-08-01T08:00:00Z',
    });
    const item = await onlyCase();
    expect(item.start).toBe(addDays(bound, 6));
    expect(item.certificateCount).toBe(1);
    expect(item.degrees.map((d) => d.degree)).toEqual([50]);
  });
});
