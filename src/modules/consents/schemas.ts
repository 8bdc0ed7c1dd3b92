import { z } from 'zod';
import {
  CONSENT_ACTORS,
  CONSENT_FORMS,
  CONSENT_KINDS,
  CONSENT_REFUSALS,
  latestValidUntil,
  needsActors,
  needsJournalReference,
} from '../../domain/consent-rules.js';
import { isValidDate } from '../../domain/calendar.js';
import { HsaId, LocalDateSchema, PatientId, ShownText } from '../../lib/schemas.js';

export const PURPOSE_MAX = 1_000;
export const JOURNAL_REFERENCE_MAX = 200;
export const REASON_MAX = 1_000;

/** Calendar dates this module accepts: a sane range, so date arithmetic never leaves what PostgreSQL stores. */
export const RecordDate = LocalDateSchema.refine(
  (d) => d >= '1900-01-01' && d <= '2199-12-31',
  'must lie between 1900-01-01 and 2199-12-31',
);

export const ConsentKindSchema = z
  .enum(CONSENT_KINDS)
  .describe('`coordination` (to coordination efforts) or `information_sharing` (with the named actors)');
export const ConsentFormSchema = z
  .enum(CONSENT_FORMS)
  .describe('`written` (preferred) or `oral` (valid with a journal reference)');
export const ConsentActorSchema = z
  .enum(CONSENT_ACTORS)
  .describe('An actor outside healthcare the patient’s information may be shared with');

export const ConsentIdParams = z.object({ id: z.uuid().describe('Consent id') });

const ClosingSchema = z
  .object({
    at: z.string().meta({ format: 'date-time' }),
    by: z.string().describe('HSA-id of who recorded it'),
    reason: z
      .string()
      .nullable()
      .describe('Free text; shown only to staff of the consent’s unit (null for other units)'),
  })
  .nullable();

export const ConsentSchema = z
  .object({
    id: z.uuid(),
    patientId: z.string().describe('12-digit personal identity number'),
    careGiverId: z.string(),
    unitId: z.string().describe('The unit the consent was given to; checks look at this unit only'),
    kind: ConsentKindSchema,
    form: ConsentFormSchema,
    actors: z.array(ConsentActorSchema),
    purpose: z.string().nullable().describe('Free text; shown only to staff of the consent’s unit'),
    journalReference: z.string().nullable().describe('Free text; shown only to staff of the consent’s unit'),
    givenOn: z.string().meta({ format: 'date' }),
    validFrom: z.string().meta({ format: 'date' }),
    validUntil: z.string().meta({ format: 'date', description: 'Inclusive' }),
    recordedBy: z.string(),
    recordedAt: z.string().meta({ format: 'date-time' }),
    state: z
      .enum(['recorded', 'revoked', 'voided'])
      .describe('`recorded` until revoked or voided; both are final. Whether it is valid on a date: use a check'),
    revocation: ClosingSchema.describe('Who revoked it, when and why; null unless revoked'),
    voiding: ClosingSchema.describe('Who voided it (registered in error), when and why; null unless voided'),
  })
  .meta({ id: 'Consent' });

export const ConsentListSchema = z
  .object({ items: z.array(ConsentSchema).describe('Newest given first, revoked and voided ones included') })
  .meta({ id: 'ConsentList' });

export const NewConsentSchema = z
  .strictObject({
    patientId: PatientId,
    unitId: HsaId.describe('The unit the consent is given to; must be in the token'),
    kind: ConsentKindSchema,
    form: ConsentFormSchema,
    givenOn: RecordDate.describe('The day the patient gave the consent; not in the future'),
    validFrom: RecordDate.optional().describe(
      'First valid day (inclusive); default `givenOn`; not before `givenOn`, nor more than a year after it',
    ),
    validUntil: RecordDate.optional().describe(
      'Last valid day (inclusive). Default and latest allowed: one year after `validFrom`, its anniversary ' +
        '(from 2026-03-10 → until 2027-03-10; from 29 February → 28 February)',
    ),
    actors: z
      .array(ConsentActorSchema)
      .max(CONSENT_ACTORS.length)
      .optional()
      .describe('Required (at least one) for `information_sharing`, none for `coordination`; duplicates are merged'),
    purpose: ShownText(PURPOSE_MAX).optional().describe('What the consent is for (free text)'),
    journalReference: ShownText(JOURNAL_REFERENCE_MAX)
      .optional()
      .describe('Where the consent is documented in the patient record; required for `oral`'),
  })
  .superRefine((body, ctx) => {
    // Left out; one given that shows nothing has its own issue.
    if (needsJournalReference(body.form) && body.journalReference === undefined) {
      ctx.addIssue({ code: 'custom', path: ['journalReference'], message: 'is required for oral consent' });
    }
    if (needsActors(body.kind) && (body.actors ?? []).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['actors'],
        message: 'must name at least one actor for information sharing',
      });
    }
    // A coordination consent allows no sharing: a stored actor on it would claim a permission it does not give.
    if (!needsActors(body.kind) && (body.actors ?? []).length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['actors'],
        message: 'must be empty for a coordination consent (actors are for information_sharing)',
      });
    }
    // The date rules need real dates: a field that is not one has its own issue already (and no anniversary).
    const validFrom = body.validFrom ?? body.givenOn;
    if (!isValidDate(body.givenOn) || !isValidDate(validFrom)) return;
    if (validFrom < body.givenOn) {
      ctx.addIssue({ code: 'custom', path: ['validFrom'], message: 'must not be before givenOn' });
    } else if (validFrom > latestValidUntil(body.givenOn)) {
      // A consent is given for what lies ahead within its year: one given now for a year far ahead is a typo. "One
      // year after" reads as for validUntil (from 29 February: 28 February).
      ctx.addIssue({
        code: 'custom',
        path: ['validFrom'],
        message: `must be at most one year after givenOn (at the latest ${latestValidUntil(body.givenOn)})`,
      });
    }
    if (body.validUntil !== undefined) {
      if (body.validUntil < validFrom) {
        ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'must not be before validFrom' });
      } else if (body.validUntil > latestValidUntil(validFrom)) {
        ctx.addIssue({
          code: 'custom',
          path: ['validUntil'],
          message: `must be at most one year after validFrom (at the latest ${latestValidUntil(validFrom)})`,
        });
      }
    }
  })
  .meta({
    id: 'NewConsent',
    example: {
      patientId: '191212121212',
      unitId: 'SE2321000016-U001',
      kind: 'information_sharing',
      form: 'oral',
      givenOn: '2026-11-20',
      actors: ['employer'],
      purpose: 'Plan the return to work with the employer',
      journalReference: 'Journal note 2026-11-20, Dr Lisa Läkare',
    },
  });

export const ClosingBodySchema = z.strictObject({
  reason: ShownText(REASON_MAX).describe('Why (free text; never logged)'),
});

export const PatientConsentsBodySchema = z.strictObject({
  patientId: PatientId,
  unitId: HsaId.describe('The unit the caller acts for; must be in the token'),
});

export const ConsentCheckBodySchema = z
  .strictObject({
    patientId: PatientId,
    unitId: HsaId.describe('The unit whose consents are checked; must be in the token'),
    kind: ConsentKindSchema,
    actor: ConsentActorSchema.optional().describe(
      'Required for `information_sharing`; not allowed for `coordination` (400), which allows no sharing',
    ),
    on: RecordDate.optional().describe('The day to check; default today (Europe/Stockholm)'),
  })
  .superRefine((body, ctx) => {
    if (body.kind === 'information_sharing' && !body.actor) {
      ctx.addIssue({ code: 'custom', path: ['actor'], message: 'is required for information_sharing' });
    }
    // Answered allowed, a coordination check naming the employer read as leave to share with them: it gives none.
    if (body.kind === 'coordination' && body.actor) {
      ctx.addIssue({
        code: 'custom',
        path: ['actor'],
        message: 'must be left out for coordination (to share with an actor, check information_sharing)',
      });
    }
  })
  .meta({
    id: 'ConsentCheckRequest',
    example: {
      patientId: '191212121212',
      unitId: 'SE2321000016-U001',
      kind: 'information_sharing',
      actor: 'employer',
      on: '2026-11-25',
    },
  });

export const ConsentCheckResultSchema = z
  .object({
    allowed: z.boolean(),
    reason: z
      .enum(['valid', ...CONSENT_REFUSALS])
      .describe(
        '`valid` when allowed. Otherwise: `none` (no consent of this kind at the unit), `actor_not_covered` ' +
          '(consents of the kind exist but none names the actor), `revoked`, `expired` (validUntil before `on`), ' +
          '`not_yet_valid` (validFrom after `on`), `voided` (only consents registered in error). When several ' +
          'refuse, the most telling wins: revoked, expired, not_yet_valid, voided',
      ),
    consentId: z
      .uuid()
      .optional()
      .describe('The consent the answer is about: the valid one (valid longest) or the one refusing'),
    validUntil: z.string().meta({ format: 'date' }).optional().describe('That consent’s last valid day'),
    on: z.string().meta({ format: 'date' }).describe('The day checked'),
  })
  .meta({ id: 'ConsentCheckResult' });

export type ConsentOut = z.infer<typeof ConsentSchema>;
export type NewConsent = z.infer<typeof NewConsentSchema>;
export type ConsentCheckBody = z.infer<typeof ConsentCheckBodySchema>;
export type ConsentCheckOut = z.infer<typeof ConsentCheckResultSchema>;
export type PatientConsentsBody = z.infer<typeof PatientConsentsBodySchema>;
