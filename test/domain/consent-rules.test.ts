import { describe, expect, it } from 'vitest';
import {
  type ConsentFacts,
  checkConsent,
  consentStateOn,
  defaultValidUntil,
  latestValidUntil,
  oneYearAfter,
  withinOneYear,
} from '../../src/domain/consent-rules.js';

const consent = (over: Partial<ConsentFacts> = {}): ConsentFacts => ({
  id: 'c1',
  kind: 'coordination',
  actors: [],
  validFrom: '2026-03-10',
  validUntil: '2026-09-30',
  revoked: false,
  voided: false,
  ...over,
});

describe('validity period', () => {
  it('defaults to one year after validFrom, as the outline has it: its anniversary', () => {
    expect(defaultValidUntil('2026-03-10')).toBe('2027-03-10');
    expect(defaultValidUntil('2026-01-01')).toBe('2027-01-01');
  });

  it('a consent from 29 February lasts until 28 February (a year has no 29th to reach)', () => {
    expect(oneYearAfter('2024-02-29')).toBe('2025-03-01');
    expect(latestValidUntil('2024-02-29')).toBe('2025-02-28');
  });

  it('a year across a leap day keeps its calendar length', () => {
    expect(latestValidUntil('2027-03-01')).toBe('2028-03-01');
    expect(latestValidUntil('2027-02-28')).toBe('2028-02-28');
  });

  it('allows exactly one year and refuses one day more', () => {
    expect(withinOneYear('2026-03-10', '2027-03-10')).toBe(true);
    expect(withinOneYear('2026-03-10', '2027-03-11')).toBe(false);
  });

  it('allows a single day and refuses an end before the start', () => {
    expect(withinOneYear('2026-03-10', '2026-03-10')).toBe(true);
    expect(withinOneYear('2026-03-10', '2026-03-09')).toBe(false);
  });
});

describe('one consent on a date', () => {
  const c = consent();
  it('is not yet valid the day before validFrom', () => expect(consentStateOn(c, '2026-03-09')).toBe('not_yet_valid'));
  it('is valid on validFrom', () => expect(consentStateOn(c, '2026-03-10')).toBe('valid'));
  it('is valid on validUntil (inclusive)', () => expect(consentStateOn(c, '2026-09-30')).toBe('valid'));
  it('has expired the day after validUntil', () => expect(consentStateOn(c, '2026-10-01')).toBe('expired'));
  it('a revocation is final whatever the date', () => {
    expect(consentStateOn(consent({ revoked: true }), '2026-05-01')).toBe('revoked');
    expect(consentStateOn(consent({ revoked: true }), '2026-03-09')).toBe('revoked');
  });
  it('documenting the past: a revoked consent covered the days before its revocation, not its day or after', () => {
    const revoked = consent({ revoked: true, revokedOn: '2026-06-01' });
    expect(consentStateOn(revoked, '2026-05-31', true)).toBe('valid');
    expect(consentStateOn(revoked, '2026-06-01', true)).toBe('revoked');
    expect(consentStateOn(revoked, '2026-03-09', true)).toBe('not_yet_valid');
    expect(consentStateOn(revoked, '2026-05-31')).toBe('revoked');
    expect(checkConsent([revoked], { kind: 'coordination', on: '2026-05-31', documentsThePast: true })).toMatchObject({
      allowed: true,
    });
    expect(checkConsent([revoked], { kind: 'coordination', on: '2026-05-31' })).toMatchObject({
      allowed: false,
      reason: 'revoked',
    });
  });
  it('voided outranks revoked', () => {
    expect(consentStateOn(consent({ revoked: true, voided: true }), '2026-05-01')).toBe('voided');
  });
});

describe('checkConsent', () => {
  const on = '2026-05-01';

  it('answers none when the patient has no consent of the kind', () => {
    expect(checkConsent([], { kind: 'coordination', on })).toEqual({ allowed: false, reason: 'none' });
    expect(
      checkConsent([consent({ kind: 'information_sharing', actors: ['employer'] })], { kind: 'coordination', on }),
    ).toEqual({ allowed: false, reason: 'none' });
  });

  it('allows with a valid consent and names it', () => {
    expect(checkConsent([consent()], { kind: 'coordination', on })).toEqual({
      allowed: true,
      reason: 'valid',
      consentId: 'c1',
      validUntil: '2026-09-30',
    });
  });

  it('answers expired, not_yet_valid, revoked and voided with the consent it is about', () => {
    expect(checkConsent([consent()], { kind: 'coordination', on: '2026-10-01' })).toMatchObject({
      allowed: false,
      reason: 'expired',
      consentId: 'c1',
    });
    expect(checkConsent([consent()], { kind: 'coordination', on: '2026-03-09' })).toMatchObject({
      reason: 'not_yet_valid',
    });
    expect(checkConsent([consent({ revoked: true })], { kind: 'coordination', on })).toMatchObject({
      reason: 'revoked',
    });
    expect(checkConsent([consent({ voided: true })], { kind: 'coordination', on })).toMatchObject({
      reason: 'voided',
    });
  });

  it('answers actor_not_covered when sharing consents exist but none names the actor', () => {
    const sharing = consent({ kind: 'information_sharing', actors: ['employer'] });
    expect(checkConsent([sharing], { kind: 'information_sharing', actor: 'social_services', on })).toEqual({
      allowed: false,
      reason: 'actor_not_covered',
    });
    expect(checkConsent([sharing], { kind: 'information_sharing', actor: 'employer', on })).toMatchObject({
      allowed: true,
    });
  });

  it('ignores actors for coordination consents', () => {
    expect(checkConsent([consent()], { kind: 'coordination', actor: 'employer', on }).allowed).toBe(true);
  });

  it('a valid consent wins over refusing ones', () => {
    const result = checkConsent(
      [
        consent({ id: 'old', revoked: true }),
        consent({ id: 'new', validFrom: '2026-04-01', validUntil: '2026-06-01' }),
      ],
      { kind: 'coordination', on },
    );
    expect(result).toMatchObject({ allowed: true, consentId: 'new' });
  });

  it('among several valid consents picks the one valid longest', () => {
    const result = checkConsent(
      [consent({ id: 'short', validUntil: '2026-06-01' }), consent({ id: 'long', validUntil: '2027-01-01' })],
      { kind: 'coordination', on },
    );
    expect(result).toMatchObject({ consentId: 'long', validUntil: '2027-01-01' });
  });

  it('documenting the past, picks a consent still standing over a longer one revoked since', () => {
    const standing = consent({ id: 'standing', validFrom: '2026-01-01', validUntil: '2027-01-01' });
    const revoked = consent({
      id: 'revoked',
      validFrom: '2026-05-01',
      validUntil: '2027-05-01',
      revoked: true,
      revokedOn: '2026-06-01',
    });
    for (const consents of [
      [standing, revoked],
      [revoked, standing],
    ]) {
      expect(checkConsent(consents, { kind: 'coordination', on, documentsThePast: true })).toMatchObject({
        consentId: 'standing',
      });
    }
    // Alone, the revoked one still documents the day it covered.
    expect(checkConsent([revoked], { kind: 'coordination', on, documentsThePast: true })).toMatchObject({
      allowed: true,
      consentId: 'revoked',
    });
  });

  it('prefers revoked over expired over not yet valid over voided when none allows', () => {
    const expired = consent({ id: 'e', validUntil: '2026-04-01' });
    const future = consent({ id: 'f', validFrom: '2026-06-01', validUntil: '2026-12-01' });
    const revoked = consent({ id: 'r', revoked: true });
    const voided = consent({ id: 'v', voided: true });
    const q = { kind: 'coordination' as const, on };
    expect(checkConsent([voided, future, expired, revoked], q).reason).toBe('revoked');
    expect(checkConsent([voided, future, expired], q).reason).toBe('expired');
    expect(checkConsent([voided, future], q).reason).toBe('not_yet_valid');
    expect(checkConsent([voided], q).reason).toBe('voided');
  });

  it('names the most recently expired consent', () => {
    const result = checkConsent(
      [consent({ id: 'a', validUntil: '2026-03-20' }), consent({ id: 'b', validUntil: '2026-04-20' })],
      { kind: 'coordination', on },
    );
    expect(result).toMatchObject({ reason: 'expired', consentId: 'b', validUntil: '2026-04-20' });
  });

  it('a sharing consent for the actor that was revoked says revoked, not actor_not_covered', () => {
    const result = checkConsent(
      [
        consent({ id: 'x', kind: 'information_sharing', actors: ['employer'], revoked: true }),
        consent({ id: 'y', kind: 'information_sharing', actors: ['social_services'] }),
      ],
      { kind: 'information_sharing', actor: 'employer', on },
    );
    expect(result).toMatchObject({ allowed: false, reason: 'revoked', consentId: 'x' });
  });

  it('a voided sharing consent for the actor beside a standing one for another actor: actor_not_covered', () => {
    const result = checkConsent(
      [
        consent({ id: 'x', kind: 'information_sharing', actors: ['employer'], voided: true }),
        consent({ id: 'y', kind: 'information_sharing', actors: ['occupational_health'] }),
      ],
      { kind: 'information_sharing', actor: 'employer', on },
    );
    expect(result).toEqual({ allowed: false, reason: 'actor_not_covered' });
  });

  it('voided sharing consents for other actors only: voided', () => {
    const result = checkConsent([consent({ kind: 'information_sharing', actors: ['other'], voided: true })], {
      kind: 'information_sharing',
      actor: 'employer',
      on,
    });
    expect(result.reason).toBe('voided');
  });
});
