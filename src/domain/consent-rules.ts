import { addDays, isValidDate, type LocalDate } from './calendar.js';

/** Consent (samtycke): the rules of validity, in one place. Pure: no I/O, dates are 'YYYY-MM-DD' strings. */

export const CONSENT_KINDS = ['coordination', 'information_sharing'] as const;
export type ConsentKind = (typeof CONSENT_KINDS)[number];

export const CONSENT_FORMS = ['written', 'oral'] as const;
export type ConsentForm = (typeof CONSENT_FORMS)[number];

/** The actors a patient's information may be shared with. */
export const CONSENT_ACTORS = [
  'employer',
  'social_insurance_agency',
  'public_employment_service',
  'social_services',
  'occupational_health',
  'other',
] as const;
export type ConsentActor = (typeof CONSENT_ACTORS)[number];

/** Why a check says no; `valid` when it says yes. */
export const CONSENT_REFUSALS = ['none', 'expired', 'not_yet_valid', 'revoked', 'voided', 'actor_not_covered'] as const;
export type ConsentRefusal = (typeof CONSENT_REFUSALS)[number];
export type ConsentCheckReason = 'valid' | ConsentRefusal;

/** What the rules need to know of a stored consent. */
export interface ConsentFacts {
  id: string;
  kind: string;
  actors: readonly string[];
  validFrom: LocalDate;
  validUntil: LocalDate;
  revoked: boolean;
  /** The day (Europe/Stockholm) it was revoked on, when it was. */
  revokedOn?: LocalDate;
  voided: boolean;
  /** Tie-break between equally good consents: the later recorded wins. */
  recordedAt?: Date;
}

export interface ConsentCheckQuery {
  kind: ConsentKind;
  /** Required for `information_sharing`; ignored for `coordination`. */
  actor?: string;
  on: LocalDate;
  /**
   * The date is of something done that is being documented (an effort's performedOn), not of something about to be
   * done: a consent revoked later still covered the days before its revocation. A check before sharing leaves it
   * out: a revoked consent allows nothing more, whatever day is asked about.
   */
  documentsThePast?: boolean;
}

export type ConsentCheckResult =
  | { allowed: true; reason: 'valid'; consentId: string; validUntil: LocalDate }
  | { allowed: false; reason: ConsentRefusal; consentId?: string; validUntil?: LocalDate };

/**
 * The one-year anniversary of a date. A consent given on 29 February reaches its anniversary on 1 March (the day
 * after 28 February), so its longest validity ends on 28 February.
 */
export function oneYearAfter(date: LocalDate): LocalDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next = `${String(y + 1).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return isValidDate(next) ? next : addDays(`${String(y + 1).padStart(4, '0')}-${String(m).padStart(2, '0')}-28`, 1);
}

/**
 * The last day a consent may be valid, and its default: one year after `validFrom`, its anniversary, as the outline
 * has it ("default and at most one year after validFrom": from 2026-03-10 → until 2027-03-10). From 29 February, a
 * year reaches no 29th: until 28 February, not 1 March.
 */
export function latestValidUntil(validFrom: LocalDate): LocalDate {
  const anniversary = oneYearAfter(validFrom);
  return anniversary.slice(5) === '03-01' && validFrom.slice(5) === '02-29' ? addDays(anniversary, -1) : anniversary;
}

export function defaultValidUntil(validFrom: LocalDate): LocalDate {
  return latestValidUntil(validFrom);
}

/** Validity is at most one year: `validFrom <= validUntil <= latestValidUntil(validFrom)`. */
export function withinOneYear(validFrom: LocalDate, validUntil: LocalDate): boolean {
  return validUntil >= validFrom && validUntil <= latestValidUntil(validFrom);
}

/** Oral consent counts only when its journal reference is recorded. */
export function needsJournalReference(form: ConsentForm): boolean {
  return form === 'oral';
}

/** Information sharing must name at least one actor. */
export function needsActors(kind: ConsentKind): boolean {
  return kind === 'information_sharing';
}

/** Validity dates are inclusive at both ends. */
export function coversDate(consent: Pick<ConsentFacts, 'validFrom' | 'validUntil'>, on: LocalDate): boolean {
  return consent.validFrom <= on && on <= consent.validUntil;
}

/**
 * What one consent says on a date. Voiding (registered in error) outranks revocation, and a revocation is final: a
 * revoked consent allows nothing from then on, whatever date is asked about; only what is documented of a day
 * before the revocation (`documentsThePast`) was still covered, as the patient's consent stood then.
 */
export function consentStateOn(consent: ConsentFacts, on: LocalDate, documentsThePast = false): ConsentCheckReason {
  if (consent.voided) return 'voided';
  const stoodThen = documentsThePast && consent.revokedOn !== undefined && on < consent.revokedOn;
  if (consent.revoked && !stoodThen) return 'revoked';
  if (on < consent.validFrom) return 'not_yet_valid';
  if (on > consent.validUntil) return 'expired';
  return 'valid';
}

/** Sharing with an actor needs a consent naming that actor; coordination consents are not about actors. */
export function coversActor(consent: ConsentFacts, query: ConsentCheckQuery): boolean {
  if (query.kind !== 'information_sharing') return true;
  return query.actor !== undefined && consent.actors.includes(query.actor);
}

/**
 * When no consent allows, the refusal that tells the most: a revocation (the patient said no) before an expiry
 * before a consent that has not started yet before one registered in error.
 */
const REFUSAL_RANK: Record<Exclude<ConsentCheckReason, 'valid'>, number> = {
  revoked: 0,
  expired: 1,
  not_yet_valid: 2,
  voided: 3,
  actor_not_covered: 4,
  none: 5,
};

/**
 * Checks the patient's consents (already narrowed to one care giver, unit and patient) for a kind, actor and date.
 * Allowed when at least one consent of the kind covers the actor and is valid on the date; among several the one
 * valid longest wins (then the later recorded). Otherwise the most telling refusal, naming the consent it is about.
 */
export function checkConsent(consents: readonly ConsentFacts[], query: ConsentCheckQuery): ConsentCheckResult {
  const ofKind = consents.filter((c) => c.kind === query.kind);
  if (ofKind.length === 0) return { allowed: false, reason: 'none' };
  const covering = ofKind.filter((c) => coversActor(c, query));
  // Consents for the kind exist but none names the actor. Voided ones (registered in error) do not count as existing:
  // a voided consent for the actor beside a standing one for another actor is still actor_not_covered.
  if (covering.every((c) => c.voided) && ofKind.some((c) => !c.voided)) {
    return { allowed: false, reason: 'actor_not_covered' };
  }
  if (covering.length === 0) return { allowed: false, reason: 'voided' };
  const valid = covering
    .filter((c) => consentStateOn(c, query.on, query.documentsThePast) === 'valid')
    .sort(standingLongestFirst);
  const best = valid[0];
  if (best) return { allowed: true, reason: 'valid', consentId: best.id, validUntil: best.validUntil };
  let refusal: { consent: ConsentFacts; reason: ConsentRefusal } | undefined;
  for (const consent of covering) {
    const reason = consentStateOn(consent, query.on, query.documentsThePast) as ConsentRefusal;
    if (
      !refusal ||
      REFUSAL_RANK[reason] < REFUSAL_RANK[refusal.reason] ||
      (reason === refusal.reason && closer(consent, refusal.consent, reason))
    ) {
      refusal = { consent, reason };
    }
  }
  const { consent, reason } = refusal!;
  return { allowed: false, reason, consentId: consent.id, validUntil: consent.validUntil };
}

/**
 * Among consents valid on the day, one still standing before one revoked since (valid only for what documents the
 * past): an effort tied to the revoked one had an auditor find a withdrawn consent while another covered it. Then the
 * one valid longest.
 */
function standingLongestFirst(a: ConsentFacts, b: ConsentFacts): number {
  if (a.revoked !== b.revoked) return a.revoked ? 1 : -1;
  if (a.validUntil !== b.validUntil) return a.validUntil > b.validUntil ? -1 : 1;
  return (b.recordedAt?.getTime() ?? 0) - (a.recordedAt?.getTime() ?? 0);
}

/** Between two refusals for the same reason, the consent nearest the date: latest expiry, earliest start. */
function closer(candidate: ConsentFacts, current: ConsentFacts, reason: ConsentRefusal): boolean {
  if (reason === 'not_yet_valid') return candidate.validFrom < current.validFrom;
  return candidate.validUntil > current.validUntil;
}
