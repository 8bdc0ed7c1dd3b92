import { describe, expect, it } from 'vitest';
import {
  ageOn,
  birthDateOf,
  containsPersonalIdentity,
  genderOf,
  identityFault,
  parsePersonalIdentity,
} from '../../src/domain/personal-identity.js';

describe('personal identity numbers', () => {
  it('accepts the 12-digit form with or without a hyphen and stores 12 digits', () => {
    expect(parsePersonalIdentity('191212121212')?.id).toBe('191212121212');
    expect(parsePersonalIdentity('19121212-1212')?.id).toBe('191212121212');
  });
  it('takes the century of a 10-digit form from its separator', () => {
    expect(parsePersonalIdentity('121212+1212')?.id).toBe('191212121212');
    expect(parsePersonalIdentity('000101-2384')?.id).toBe('200001012384');
  });
  it('refuses a wrong check digit, an impossible date and other spellings', () => {
    for (const bad of ['191212121213', '19121312-1212', '1212121212', '19121212 1212', '19121212+1212x', '']) {
      expect(parsePersonalIdentity(bad)).toBeUndefined();
    }
  });
  it('given today, refuses a birth date after it or an age over 130 on it', () => {
    expect(parsePersonalIdentity('202701011237', '2026-12-01')).toBeUndefined();
    expect(parsePersonalIdentity('202701011237', '2027-01-01')?.id).toBe('202701011237');
    expect(parsePersonalIdentity('180001011238', '2026-12-01')).toBeUndefined();
    expect(parsePersonalIdentity('191212121212', '2026-12-01')?.id).toBe('191212121212');
    expect(parsePersonalIdentity('180001011238')?.id).toBe('180001011238'); // without today: only the form
    // The bound is the age on today: 130 is accepted, 131 (a birthday counting from the day itself) is not.
    expect(parsePersonalIdentity('189512022386', '2026-12-01')?.id).toBe('189512022386');
    expect(parsePersonalIdentity('189512012387', '2026-12-01')).toBeUndefined();
  });

  it('given today, takes a 10-digit number’s century from the whole birth date, not only its year', () => {
    const today = '2026-12-01';
    // Born 1926-12-02: 99 today, so '-' (under 100); the library took it for a baby born tomorrow.
    expect(parsePersonalIdentity('261202-1234', today)?.id).toBe('192612021234');
    expect(parsePersonalIdentity('261262-1231', today)?.id).toBe('192612621231'); // samordningsnummer, day + 60
    // '+' is a hundred years before that: 1826, far too old.
    expect(parsePersonalIdentity('261202+1234', today)).toBeUndefined();
    // Born today or yesterday: this century; born on this day a hundred years ago: 100, so '+'.
    expect(parsePersonalIdentity('261201-1235', today)?.id).toBe('202612011235');
    expect(parsePersonalIdentity('261130-1231', today)?.id).toBe('202611301231');
    expect(parsePersonalIdentity('261201+1235', today)?.id).toBe('192612011235');
    expect(parsePersonalIdentity('270101-1237', today)?.id).toBe('192701011237');
    // 29 February of a century year that had none is not a date.
    expect(parsePersonalIdentity('000229-1235', today)?.id).toBe('200002291235');
    expect(parsePersonalIdentity('000229+1235', today)).toBeUndefined();
  });

  it('accepts a samordningsnummer (day + 60) and knows it is one', () => {
    const parsed = parsePersonalIdentity('197010632391');
    expect(parsed).toMatchObject({ id: '197010632391', coordinationNumber: true, birthDate: '1970-10-03' });
  });
  it('reads the sex from the second-to-last digit', () => {
    expect(genderOf('191212121212')).toBe('M');
    expect(genderOf('200001012384')).toBe('F');
  });
  it('computes the age on a date, a birthday counting from the day itself', () => {
    expect(birthDateOf('196408233234')).toBe('1964-08-23');
    expect(ageOn('1964-08-23', '2026-08-22')).toBe(61);
    expect(ageOn('1964-08-23', '2026-08-23')).toBe(62);
    expect(ageOn('2000-02-29', '2026-02-28')).toBe(25);
    expect(ageOn('2000-02-29', '2026-03-01')).toBe(26);
  });
});

describe('a personal identity number inside other text', () => {
  it('is found in any written form, alone or among other characters, and only when valid', () => {
    const written = ['191212121212', 'id 19121212-1212 x', 'ab121212-1212-40', 'x121212+1212', '19121272-1219'];
    // Bare ten digits, the separators people also use, and twelve digits inside a longer run.
    const alsoWritten = ['c-1212121212', 'c-19121212_1212', 'c:19121212:1212', 'c-19121212 1212', '121212.1212'];
    const inLongerRuns = ['1912121212120', '1191212121212', 'x-00191212121212-7'];
    // Grouped where its date breaks: year, month, day and the last four (a ten-digit one's last four alone).
    const grouped = ['1912-1212-1212', 'c.1912.1212.1212.x', '1912 12 12-1212', '12 12 12-1212', '12-12-12+1212'];
    for (const text of [...written, ...alsoWritten, ...inLongerRuns, ...grouped]) {
      expect(containsPersonalIdentity(text), text).toBe(true);
    }
    // A wrong check digit, a day that does not exist, too few digits, ten digits inside a longer run, a long run
    // without a valid twelve-digit number from a century in it.
    // Groups broken inside a part of the date, or whose ten digits do not end in four standing alone.
    const notGrouped = ['1-9121212-1212', '19121-2121212', '1912-1212-1213', '12-12-121212', '2026-11-01-0001'];
    for (const text of [
      ...['191212121213', '19121312-1212', '12121212', 'uuid', '01212121212', '2026112000000017'],
      ...notGrouped,
    ]) {
      expect(containsPersonalIdentity(text), text).toBe(false);
    }
  });
});

describe('identityFault: why an id is refused, for the error', () => {
  const TODAY = '2026-12-01';
  it('is undefined for an accepted id, in every accepted form', () => {
    for (const id of ['191212121212', '19121212-1212', '121212+1212', '199003672467', '900367-2467']) {
      expect(identityFault(id, TODAY), id).toBeUndefined();
    }
  });
  it('names the form, the check digit or the birth date', () => {
    expect(identityFault('1912121212', TODAY)).toBe('form');
    expect(identityFault('19121212 1212', TODAY)).toBe('form');
    expect(identityFault('191212121213', TODAY)).toBe('check digit');
    expect(identityFault('199003672468', TODAY)).toBe('check digit');
    // 2026-02-30 with a check digit that holds over its digits: the day is what is wrong.
    expect(identityFault('202602302388', TODAY)).toBe('birth date');
    // Born after today, and 131 years old: the Luhn digit holds, the date is refused.
    expect(identityFault('202701012391', TODAY)).toBe('birth date');
    expect(identityFault('189001012385', TODAY)).toBe('birth date');
  });
});
