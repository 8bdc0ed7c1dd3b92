import { describe, expect, it } from 'vitest';
import { fromEpochDay, toEpochDay } from '../../src/domain/calendar.js';
import {
  type CaseCertificate,
  type CaseOptions,
  casesOn,
  chains,
  dateOfEpochDay,
  epochDay,
  patientHistory,
  type SickLeavePeriod,
} from '../../src/domain/sick-leave-engine.js';

const PATIENT = '191212121212';
const OTHER_PATIENT = '200001012384';
let seq = 0;

function cert(
  periods: SickLeavePeriod[] | [number, string, string][],
  extra: Partial<CaseCertificate> = {},
): CaseCertificate {
  seq += 1;
  return {
    id: `c-${String(seq).padStart(4, '0')}`,
    type: 'FK7804',
    patientId: PATIENT,
    patientName: 'Tolvan Tolvansson',
    doctorId: 'SE2321000016-D001',
    doctorName: 'Dr Lisa',
    signedAt: '2026-01-01T08:00:00Z',
    unitId: 'SE2321000016-U001',
    diagnoses: ['F321'],
    periods: periods.map((p) => (Array.isArray(p) ? { degree: p[0], start: p[1], end: p[2] } : p)),
    ...extra,
  };
}

const on = (activeOn: string, maxGapDays = 5, recentlyEndedDays = 0): CaseOptions => ({
  activeOn,
  maxGapDays,
  recentlyEndedDays,
});

describe('chaining', () => {
  it('chains when the gap is exactly maxGapDays empty days', () => {
    expect(chains('2026-03-10', '2026-03-16', 5)).toBe(true); // 11..15 empty: five days
  });

  it('splits when one more day lies between', () => {
    expect(chains('2026-03-10', '2026-03-17', 5)).toBe(false);
  });

  it('a gap of exactly maxGapDays keeps one case', () => {
    const cases = casesOn(
      [cert([[100, '2026-03-01', '2026-03-10']]), cert([[50, '2026-03-16', '2026-03-31']])],
      on('2026-03-20'),
    );
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ start: '2026-03-01', end: '2026-03-31', days: 26, certificates: [{}, {}] });
  });

  it('one day more splits it into two cases, and only the one covering activeOn shows', () => {
    const cases = casesOn(
      [cert([[100, '2026-03-01', '2026-03-10']]), cert([[50, '2026-03-17', '2026-03-31']])],
      on('2026-03-20'),
    );
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ start: '2026-03-17', end: '2026-03-31', days: 15 });
    expect(patientHistory([...cases[0]!.certificates], { activeOn: '2026-03-20', maxGapDays: 5 })).toHaveLength(1);
  });

  it('maxGapDays 0 chains only adjacent days', () => {
    const adjacent = [cert([[100, '2026-03-01', '2026-03-10']]), cert([[100, '2026-03-11', '2026-03-20']])];
    expect(patientHistory(adjacent, { activeOn: '2026-03-15', maxGapDays: 0 })).toHaveLength(1);
    const oneEmptyDay = [cert([[100, '2026-03-01', '2026-03-10']]), cert([[100, '2026-03-12', '2026-03-20']])];
    expect(patientHistory(oneEmptyDay, { activeOn: '2026-03-15', maxGapDays: 0 })).toHaveLength(2);
    expect(patientHistory(oneEmptyDay, { activeOn: '2026-03-15', maxGapDays: 1 })).toHaveLength(1);
  });

  it('chains on the latest end so far, not on the previous certificate’s end', () => {
    // A long certificate, a short one inside it, then one starting 3 days after the long one ends.
    const certs = [
      cert([[100, '2026-01-01', '2026-02-28']]),
      cert([[50, '2026-01-10', '2026-01-15']]),
      cert([[25, '2026-03-04', '2026-03-20']]),
    ];
    const history = patientHistory(certs, { activeOn: '2026-03-10', maxGapDays: 5 });
    expect(history).toHaveLength(1);
    expect(history[0]!.certificates).toHaveLength(3);
  });

  it('orders by start whatever the input or signing order', () => {
    const late = cert([[50, '2026-03-11', '2026-03-31']], { signedAt: '2026-03-01T00:00:00Z' });
    const early = cert([[100, '2026-03-01', '2026-03-10']], { signedAt: '2026-03-05T00:00:00Z' });
    const [c] = casesOn([late, early], on('2026-03-05'));
    expect(c!.certificates.map((x) => x.id)).toEqual([early.id, late.id]);
  });

  it('a certificate starting after activeOn still joins the case when it chains', () => {
    const cases = casesOn(
      [cert([[100, '2026-03-01', '2026-03-10']]), cert([[50, '2026-03-12', '2026-04-30']])],
      on('2026-03-05'),
    );
    expect(cases[0]).toMatchObject({ end: '2026-04-30', days: 10 + 50 });
    expect(cases[0]!.certificates).toHaveLength(2);
  });

  it('a case reaching into the future counts its future days', () => {
    const [c] = casesOn([cert([[100, '2026-03-01', '2026-12-31']])], on('2026-03-01'));
    expect(c).toMatchObject({ status: 'active', start: '2026-03-01', end: '2026-12-31', days: 306 });
  });
});

describe('active on a day', () => {
  it('a period covering activeOn makes the case active', () => {
    const [c] = casesOn([cert([[100, '2026-03-01', '2026-03-10']])], on('2026-03-10'));
    expect(c!.status).toBe('active');
  });

  it('the day after the end it is not active', () => {
    expect(casesOn([cert([[100, '2026-03-01', '2026-03-10']])], on('2026-03-11'))).toEqual([]);
  });

  it('a case starting after activeOn is not shown', () => {
    expect(casesOn([cert([[100, '2026-03-02', '2026-03-10']])], on('2026-03-01'))).toEqual([]);
  });

  it('a day in a gap between two chained certificates is not covered', () => {
    const certs = [cert([[100, '2026-03-01', '2026-03-10']]), cert([[100, '2026-03-13', '2026-03-20']])];
    expect(casesOn(certs, on('2026-03-11'))).toEqual([]);
    expect(patientHistory(certs, { activeOn: '2026-03-11', maxGapDays: 5 })[0]!.status).toBe('interrupted');
  });

  it('a day in a gap inside one certificate is not covered', () => {
    const c = cert([
      [100, '2026-03-01', '2026-03-10'],
      [50, '2026-03-15', '2026-03-31'],
    ]);
    expect(casesOn([c], on('2026-03-12'))).toEqual([]);
    expect(casesOn([c], on('2026-03-15'))[0]).toMatchObject({ degree: 50, days: 27 });
  });

  it('with recentlyEndedDays a case that ended at most N days before shows as ended', () => {
    const c = cert([[75, '2026-03-01', '2026-03-10']]);
    expect(casesOn([c], on('2026-03-13', 5, 3))[0]).toMatchObject({ status: 'ended', degree: 75 });
    expect(casesOn([c], on('2026-03-14', 5, 3))).toEqual([]);
    expect(casesOn([c], on('2026-03-11', 5, 0))).toEqual([]);
  });

  it('an active case wins over a recently ended one of the same patient', () => {
    const certs = [cert([[100, '2026-03-01', '2026-03-10']]), cert([[50, '2026-03-12', '2026-03-31']])];
    const cases = casesOn(certs, on('2026-03-13', 0, 14));
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ status: 'active', start: '2026-03-12' });
  });

  it('builds one case per patient', () => {
    const cases = casesOn(
      [
        cert([[100, '2026-03-01', '2026-03-31']]),
        cert([[50, '2026-03-01', '2026-03-31']], { patientId: OTHER_PATIENT }),
      ],
      on('2026-03-15'),
    );
    expect(cases.map((c) => c.patientId).sort()).toEqual([PATIENT, OTHER_PATIENT].sort());
  });
});

describe('active certificate', () => {
  it('is the latest-signed one covering activeOn, and gives diagnosis, degree and doctor', () => {
    const older = cert([[100, '2026-03-01', '2026-03-31']], {
      signedAt: '2026-03-01T09:00:00Z',
      diagnoses: ['M545'],
      doctorId: 'SE2321000016-D002',
    });
    const newer = cert([[50, '2026-03-10', '2026-04-10']], {
      signedAt: '2026-03-09T09:00:00Z',
      diagnoses: ['F321', 'Z730'],
    });
    const [c] = casesOn([newer, older], on('2026-03-15'));
    expect(c).toMatchObject({
      degree: 50,
      diagnosis: 'F321',
      secondaryDiagnoses: ['Z730'],
      activeCertificate: { id: newer.id },
      doctors: [
        { id: 'SE2321000016-D001', name: 'Dr Lisa' },
        { id: 'SE2321000016-D002', name: 'Dr Lisa' },
      ],
    });
  });

  it('out-of-order signing: the later-signed certificate wins even if it starts earlier', () => {
    const startsLaterSignedFirst = cert([[25, '2026-03-10', '2026-03-31']], { signedAt: '2026-03-01T00:00:00Z' });
    const startsEarlierSignedLast = cert([[75, '2026-03-01', '2026-03-20']], { signedAt: '2026-03-05T00:00:00Z' });
    const [c] = casesOn([startsLaterSignedFirst, startsEarlierSignedLast], on('2026-03-15'));
    expect(c!.activeCertificate.id).toBe(startsEarlierSignedLast.id);
    expect(c!.degree).toBe(75);
  });

  it('only a certificate whose period covers activeOn can be active', () => {
    const covering = cert([[100, '2026-03-01', '2026-03-20']], { signedAt: '2026-03-01T00:00:00Z' });
    const future = cert([[50, '2026-03-21', '2026-04-20']], { signedAt: '2026-03-18T00:00:00Z' });
    const [c] = casesOn([covering, future], on('2026-03-15'));
    expect(c!.activeCertificate.id).toBe(covering.id);
    expect(c!.degree).toBe(100);
  });

  it('for an ended case: the last-signed certificate among those with the latest end', () => {
    const a = cert([[100, '2026-03-01', '2026-03-10']], { signedAt: '2026-03-01T00:00:00Z', diagnoses: ['M545'] });
    const b = cert([[50, '2026-03-05', '2026-03-10']], { signedAt: '2026-03-04T00:00:00Z', diagnoses: ['F431'] });
    const [c] = casesOn([b, a], on('2026-03-12', 5, 5));
    expect(c).toMatchObject({ status: 'ended', activeCertificate: { id: b.id }, diagnosis: 'F431', degree: 50 });
  });

  it('equal signing instants are broken by id, not by input order', () => {
    const a = cert([[100, '2026-03-01', '2026-03-31']], { id: 'a' });
    const b = cert([[50, '2026-03-01', '2026-03-31']], { id: 'b' });
    expect(casesOn([a, b], on('2026-03-15'))[0]!.activeCertificate.id).toBe('b');
    expect(casesOn([b, a], on('2026-03-15'))[0]!.activeCertificate.id).toBe('b');
  });

  it('takes the patient name from the last-signed certificate', () => {
    const a = cert([[100, '2026-03-01', '2026-03-10']], { signedAt: '2026-03-01T00:00:00Z', patientName: 'Old Name' });
    const b = cert([[100, '2026-03-11', '2026-03-20']], { signedAt: '2026-03-10T00:00:00Z', patientName: 'New Name' });
    expect(casesOn([b, a], on('2026-03-05'))[0]!.patientName).toBe('New Name');
  });
});

describe('length and degrees', () => {
  it('overlapping certificates count their shared days once', () => {
    const [c] = casesOn(
      [cert([[100, '2026-03-01', '2026-03-20']]), cert([[50, '2026-03-11', '2026-03-30']])],
      on('2026-03-15'),
    );
    expect(c!.days).toBe(30);
  });

  it('gaps do not count', () => {
    const [c] = casesOn(
      [cert([[100, '2026-03-01', '2026-03-10']]), cert([[100, '2026-03-14', '2026-03-23']])],
      on('2026-03-20'),
    );
    expect(c).toMatchObject({ start: '2026-03-01', end: '2026-03-23', days: 20 });
  });

  it('counts the leap day 2028-02-29', () => {
    const [c] = casesOn([cert([[100, '2028-02-28', '2028-03-01']])], on('2028-02-29'));
    expect(c).toMatchObject({ days: 3, degree: 100 });
    expect(chains('2028-02-23', '2028-02-29', 5)).toBe(true);
    expect(chains('2028-02-23', '2028-03-01', 5)).toBe(false);
  });

  it('a 2027 range over the end of February has no leap day', () => {
    expect(casesOn([cert([[100, '2027-02-28', '2027-03-01']])], on('2027-03-01'))[0]!.days).toBe(2);
  });

  it('degree steps 100 → 50 → 25 in order', () => {
    const [c] = casesOn(
      [
        cert([
          [100, '2026-03-01', '2026-03-14'],
          [50, '2026-03-15', '2026-03-31'],
        ]),
        cert([[25, '2026-04-01', '2026-04-30']]),
      ],
      on('2026-04-05'),
    );
    expect(c!.degree).toBe(25);
    expect(c!.degrees).toEqual([
      { degree: 100, start: '2026-03-01', end: '2026-03-14' },
      { degree: 50, start: '2026-03-15', end: '2026-03-31' },
      { degree: 25, start: '2026-04-01', end: '2026-04-30' },
    ]);
  });

  it('the same degree across certificates and a gap is one step', () => {
    const [c] = casesOn(
      [cert([[100, '2026-03-01', '2026-03-10']]), cert([[100, '2026-03-13', '2026-03-20']])],
      on('2026-03-15'),
    );
    expect(c!.degrees).toEqual([{ degree: 100, start: '2026-03-01', end: '2026-03-20' }]);
  });

  it('on overlapping days the later-signed certificate sets the degree', () => {
    const [c] = casesOn(
      [
        cert([[100, '2026-03-01', '2026-03-31']], { signedAt: '2026-03-01T00:00:00Z' }),
        cert([[50, '2026-03-10', '2026-03-15']], { signedAt: '2026-03-09T00:00:00Z' }),
      ],
      on('2026-03-12'),
    );
    expect(c!.degrees).toEqual([
      { degree: 100, start: '2026-03-01', end: '2026-03-09' },
      { degree: 50, start: '2026-03-10', end: '2026-03-15' },
      { degree: 100, start: '2026-03-16', end: '2026-03-31' },
    ]);
    expect(c!.degree).toBe(50);
  });
});

describe('certificates that never count', () => {
  it('ignores AG types', () => {
    expect(casesOn([cert([[100, '2026-03-01', '2026-03-31']], { type: 'AG7804' })], on('2026-03-15'))).toEqual([]);
    expect(casesOn([cert([[100, '2026-03-01', '2026-03-31']], { type: 'AG114' })], on('2026-03-15'))).toEqual([]);
  });

  it('counts FK7263 like FK7804', () => {
    expect(casesOn([cert([[100, '2026-03-01', '2026-03-31']], { type: 'FK7263' })], on('2026-03-15'))).toHaveLength(1);
  });

  it('an AG certificate does not bridge a gap between two FK certificates', () => {
    const certs = [
      cert([[100, '2026-03-01', '2026-03-10']]),
      cert([[100, '2026-03-11', '2026-03-25']], { type: 'AG7804' }),
      cert([[100, '2026-03-26', '2026-03-31']]),
    ];
    expect(patientHistory(certs, { activeOn: '2026-03-28', maxGapDays: 5 })).toHaveLength(2);
  });
});

describe('patient history', () => {
  it('lists every case newest first with status relative to activeOn', () => {
    const certs = [
      cert([[100, '2025-01-01', '2025-01-31']]),
      cert([[100, '2026-03-01', '2026-03-31']]),
      cert([[50, '2026-06-01', '2026-06-30']]),
    ];
    const history = patientHistory(certs, { activeOn: '2026-03-15', maxGapDays: 5 });
    expect(history.map((c) => [c.start, c.status])).toEqual([
      ['2026-06-01', 'upcoming'],
      ['2026-03-01', 'active'],
      ['2025-01-01', 'ended'],
    ]);
  });

  it('an ended history case takes its degree from the last period', () => {
    const [c] = patientHistory(
      [
        cert([
          [100, '2025-01-01', '2025-01-15'],
          [25, '2025-01-16', '2025-01-31'],
        ]),
      ],
      { activeOn: '2026-01-01', maxGapDays: 5 },
    );
    expect(c).toMatchObject({ status: 'ended', degree: 25, days: 31 });
  });
});

describe('epochDay', () => {
  it('agrees with the calendar for every day from 1899 to 2101, leap days and centuries included', () => {
    for (let day = toEpochDay('1899-01-01'); day <= toEpochDay('2101-12-31'); day++) {
      const date = fromEpochDay(day);
      if (epochDay(date) !== day) expect(epochDay(date)).toBe(day);
      if (dateOfEpochDay(day) !== date) expect(dateOfEpochDay(day)).toBe(date);
    }
    expect(epochDay('2028-02-29') - epochDay('2028-02-28')).toBe(1);
    expect(epochDay('1970-01-01')).toBe(0);
  });
});

describe('a unit’s cases (unitId)', () => {
  const U2 = 'SE2321000016-U002';
  it('a case across units is the unit’s when one of its certificates is; one of other units alone is not', () => {
    const mine = cert([[100, '2026-03-01', '2026-03-05']], { unitId: U2 });
    const theirs = cert([[50, '2026-03-12', '2026-03-31']]); // six empty days later: a case of its own
    const joined = cert([[25, '2026-03-06', '2026-03-10']]); // chains onto mine
    expect(casesOn([mine, theirs], { ...on('2026-03-15', 5, 14), unitId: U2 })).toMatchObject([
      { start: '2026-03-01', end: '2026-03-05', status: 'ended' },
    ]);
    expect(casesOn([mine, theirs], on('2026-03-15', 5, 14))).toMatchObject([{ start: '2026-03-12', status: 'active' }]);
    expect(casesOn([mine, joined], { ...on('2026-03-08'), unitId: U2 })).toMatchObject([
      { start: '2026-03-01', end: '2026-03-10', days: 10 },
    ]);
    expect(casesOn([theirs], { ...on('2026-03-15'), unitId: U2 })).toEqual([]);
  });
});
