import { describe, expect, it } from 'vitest';
import { ageOn, birthDateOf, genderOf, parsePersonalIdentity } from '../../src/domain/personal-identity.js';

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
