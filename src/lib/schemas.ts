import { z } from 'zod';
import { EARLIEST_DATE, isSupportedDate, LATEST_DATE, stockholmToday } from '../domain/calendar.js';
import { HSA_ID_MAX_LENGTH, HSA_ID_PATTERN } from '../domain/hsa-id.js';
import { identityFault, MAX_AGE_YEARS, parsePersonalIdentity } from '../domain/personal-identity.js';
import { showsSomething } from '../domain/text.js';

/** Shared wire schemas: every module builds its own from these so a rule lives in one place. */
export const HsaId = z
  .string()
  .max(HSA_ID_MAX_LENGTH)
  .regex(HSA_ID_PATTERN, 'must be an HSA-id: SE + 10 digits + - + code')
  .meta({ example: 'SE2321000016-U001' });

/** Free text of at most `max` characters; no NUL characters (PostgreSQL text cannot store them). */
export const FreeText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

/** Free text that must say something: trimmed, with a character that shows (see showsSomething; '' shows none). */
export const ShownText = (max: number) =>
  FreeText(max).trim().min(1, { abort: true }).refine(showsSomething, 'must hold a character that shows');

export const LocalDateSchema = z
  .string()
  .refine(isSupportedDate, `must be a calendar date YYYY-MM-DD between ${EARLIEST_DATE} and ${LATEST_DATE}`)
  .meta({ format: 'date', example: '2026-11-25' });

export const Instant = z.iso
  .datetime({ offset: true })
  .refine((v) => isSupportedDate(v.slice(0, 10)), `must lie between ${EARLIEST_DATE} and ${LATEST_DATE}`)
  .meta({ example: '2026-11-20T09:30:00Z' });

export const UnitParams = z.object({ unitId: HsaId });

/**
 * For a query string's strict object: a parameter the operation does not have is a 400 naming it (a misspelt filter
 * would otherwise be ignored and the unfiltered answer given); `explain` may say more about some keys.
 */
export function unknownParameters(explain: (keys: string[]) => string | undefined = () => undefined) {
  // Without an explanation, zod's wording stays, which the errors plugin words as 'is not a parameter' per key.
  return {
    error: (issue: { code?: string; keys?: string[] }) =>
      issue.code === 'unrecognized_keys' ? explain(issue.keys ?? []) : undefined,
  };
}

// Number() reads '0x10' as 16, '1e1' as 10 and ' 5' as 5: a query string's number must be digits only.
const digitsOnly = (value: unknown) => (typeof value === 'string' && !/^\d+$/.test(value) ? Number.NaN : value);

/**
 * A whole number in a query string: digits only, read as a number (documented as an integer). The default goes inside
 * (`fallback`): put on the outside, the contract would not show it.
 */
export function QueryInt(min: number, max: number, fallback?: number) {
  const number = z.coerce
    .number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a whole number in digits' : undefined) })
    .min(min)
    .max(max)
    .int(); // after the bounds: 1e20 is then 'at most 500', not zod's safe-integer bound
  return z.preprocess(digitsOnly, fallback === undefined ? number : number.default(fallback));
}

/** A page size in a query string (text, read as a number). */
export const Limit = (max: number, fallback: number) => QueryInt(1, max, fallback);

/** A page size in a JSON body: a JSON number (coerced, null or true would read as 0 or 1). */
export const BodyLimit = (max: number, fallback: number) => z.number().int().min(1).max(max).default(fallback);

export const CursorSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor from a previous page')
  .meta({ description: 'Sealed cursor from `nextCursor` of the previous page (it shows nothing of that page)' });

export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(FieldErrorSchema).optional(),
    reason: z.string().optional(),
  })
  .catchall(z.unknown())
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details (application/problem+json)',
    example: {
      type: 'https://samverkan.example/problems/validation-failed',
      title: 'Validation failed',
      status: 400,
      detail: 'The request is not valid',
      errors: [{ path: 'patient.id', message: 'must be a valid personnummer or samordningsnummer' }],
    },
  });

const problem = (description: string) => Problem.describe(description);

/** Answers every authenticated route can give besides its own. */
export const problemResponses = {
  400: problem('The request is not valid (see `errors`)'),
  401: problem(
    'Missing, expired or invalid bearer token; `WWW-Authenticate: Bearer realm="samverkan"` (with `error="invalid_token"` when one was sent)',
  ),
  403: problem('The token does not allow this role, unit or care giver'),
  429: problem('Too many requests; retry after the `Retry-After` seconds'),
  431: problem('The request line and headers are over 16 KB (a long query string, or a token over 8 KB)'),
  500: problem('Internal error; nothing about it is shown'),
  503: problem(
    'Temporarily unavailable (database down or overloaded, or a concurrent change got in the way); retry after `Retry-After`',
  ),
} as const;

export const notFoundResponse = { 404: problem('No such resource') } as const;

/** For a patient lookup that shows other units' records: they go only to a unit with a care relation (inner secrecy). */
export const careRelationResponses = {
  403: problem(
    'The token does not allow this role or unit, or the unit has no care relation with the patient (type ' +
      '`…/no-care-relation`: the unit issued the patient no certificate (of any type, neither a test nor revoked), ' +
      'and holds no consent of theirs, of either kind, valid today). That answer depends on the asking unit alone; ' +
      'the refused lookup is audited',
  ),
} as const;

const IDENTITY_FAULTS = {
  form: 'must be a personnummer or samordningsnummer: YYYYMMDDNNNN, YYYYMMDD-NNNN, YYMMDD-NNNN or YYMMDD+NNNN',
  'check digit':
    'must be a valid personnummer or samordningsnummer: its check digit (the last) does not match the others (a ' +
    'mistyped digit)',
  'birth date': `must be a valid personnummer or samordningsnummer: its birth date must be a real day (day + 60 for a samordningsnummer), not after today and at most ${MAX_AGE_YEARS} years ago`,
} as const;

/** A personnummer or samordningsnummer in any accepted form, answered as 12 digits. */
export const PatientId = z
  .string()
  .max(13)
  .transform((value, ctx) => {
    const today = stockholmToday();
    const parsed = parsePersonalIdentity(value, today);
    if (!parsed) {
      ctx.addIssue({ code: 'custom', message: IDENTITY_FAULTS[identityFault(value, today) ?? 'birth date'] });
      return z.NEVER;
    }
    return parsed.id;
  })
  .meta({
    description: 'Personnummer or samordningsnummer: YYYYMMDDNNNN, YYYYMMDD-NNNN, or YYMMDD-NNNN / YYMMDD+NNNN',
    example: '191212121212',
  });

/** A date, or an instant, as the lower or upper bound of a time window. */
export const DateOrInstant = z
  .union([LocalDateSchema, Instant], {
    error: `must be a calendar date YYYY-MM-DD or an RFC 3339 instant with an offset, between ${EARLIEST_DATE} and ${LATEST_DATE}`,
  })
  .meta({ description: 'A Swedish calendar date (YYYY-MM-DD) or an RFC 3339 instant', example: '2026-11-01' });

/**
 * A schema's mark (in `.meta()`) naming the component the contract shows in its place, for a value a route takes as
 * anything because its service validates it itself: a batch's items, each answered on its own. The docs plugin
 * replaces the marked schema by a $ref to that component.
 */
export const SCHEMA_REF = 'x-schema-ref';
