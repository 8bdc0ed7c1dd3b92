import { showsSomething } from '../../domain/text.js';
import { z } from 'zod';
import {
  CERTIFICATE_ID_PATTERN,
  CERTIFICATE_TYPES,
  type Diagnosis,
  normaliseDiagnoses,
  OCCUPATIONS,
  type Occupation,
  parseSignedAt,
  periodIssues,
  RELATION_KINDS,
  type RelationKind,
  type RuleIssue,
  relationIssues,
  sortOccupations,
  sortPeriods,
} from '../../domain/certificate-rules.js';
import { addDays, stockholmToday } from '../../domain/calendar.js';
import { CHAPTERS } from '../../domain/icd10.js';
import { birthDateOf, containsPersonalIdentity } from '../../domain/personal-identity.js';
import { HsaId, LocalDateSchema, PatientId, SCHEMA_REF, ShownText } from '../../lib/schemas.js';

export const CertificateId = z
  .string()
  .regex(CERTIFICATE_ID_PATTERN, 'must be 1–64 characters of A–Z, a–z, 0–9, . _ : -, and neither . nor ..')
  .meta({
    description:
      'The certificate’s id in the issuing system; unique within the care giver (another care giver may use it too)',
    example: 'c-2026-000123',
  });

export const CertificateParams = z.object({ id: CertificateId });

/**
 * A new certificate's id: no personal identity number in it, in any of its written forms. The id travels in URLs
 * (`GET /v1/certificates/{id}`), which proxies and balancers log; a stored one is still found by its id.
 */
const NO_IDENTITY_IN_ID = [
  (id: string) => !containsPersonalIdentity(id),
  { message: 'must not hold a personal identity number (a certificate id travels in URLs)' },
] as const;
const NewCertificateId = CertificateId.refine(...NO_IDENTITY_IN_ID).meta({
  description:
    'The certificate’s id in the issuing system; unique within the care giver (another care giver may use it too). ' +
    'It travels in URLs, so it may not hold a personal identity number: 12 or 10 digits, the last four after an ' +
    'optional `-`, `_`, `.` or `:`; grouped where its date breaks (`1912-1212-1212`, `12:12:12-1212`); or 12 ' +
    'digits from a century (19, 20) inside a longer run of digits (400)',
  example: 'c-2026-000123',
});

/**
 * Control characters, line and paragraph separators, and bidirectional marks, embeddings, overrides and isolates:
 * they break, hide or reorder what a screen shows.
 */
const UNSHOWN = /[\p{Cc}\p{Zl}\p{Zp}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/**
 * A patient's, doctor's, unit's or care giver's name, as coordinators see it in lists: "Tolvan \u202eosnavloT" showed
 * reversed, and a name of one zero-width space showed as none. Stored composed (NFC): "Vårdcentralen" with a combining
 * ring is the same name, and a re-post of a certificate spelling it so is the same certificate, not a 409.
 */
const Name = z
  .string()
  .normalize('NFC')
  .trim()
  .min(1)
  .max(200)
  .refine((name) => !UNSHOWN.test(name), 'must not hold control characters, line separators or bidirectional marks')
  .refine(showsSomething, 'must hold a character that shows');

const SIGNED_AT_SKEW_MS = 5 * 60_000;

const SignedAtInput = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const at = parseSignedAt(value);
    if (!at) {
      ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 time, or a Swedish local time without a zone' });
      return z.NEVER;
    }
    // A certificate is posted once signed; a signing time ahead of the clock (beyond a little skew) is an EHR's
    // mistake, and would make this the active certificate of its case over ones signed since.
    if (at.getTime() > Date.now() + SIGNED_AT_SKEW_MS) {
      ctx.addIssue({ code: 'custom', message: 'must not be in the future (at most 5 minutes ahead of this service)' });
      return z.NEVER;
    }
    return at.toISOString();
  })
  .meta({
    description:
      'Signing time: RFC 3339 with a zone, or without a zone read as Swedish local time (Europe/Stockholm; a time ' +
      'of the hour skipped in spring is read an hour later, as clocks move, and one of the autumn hour that occurs ' +
      'twice as the earlier, as Temporal’s "compatible"); the seconds may be left out (2026-11-20T09:30Z); not in ' +
      'the future (5 minutes of clock skew allowed). Answered as UTC',
    example: '2026-11-20T09:30:00Z',
  });

const DiagnosisInput = z.strictObject({
  code: z.string().max(10).meta({ description: 'ICD-10-SE code with or without the dot', example: 'F32.1' }),
});

const PeriodInput = z.strictObject({
  degree: z
    .number()
    .int()
    .min(0)
    .max(100)
    .meta({ description: 'Reduction of work capacity in percent: 25, 50, 75 or 100 (AG114: 0–100)', example: 100 }),
  start: LocalDateSchema.describe('First day of the period'),
  end: LocalDateSchema.describe('Last day of the period (inclusive)'),
});

const RelationSchema = z
  .strictObject({
    kind: z
      .enum(RELATION_KINDS)
      .describe(
        'replaces / supplements: the target stops counting (a stored target of the care giver must be at a unit of the token, else 403; an AG or test certificate supersedes only its own kind); extends: chains',
      ),
    // As the id: no certificate with a personal identity number in its id can be stored, and a client following the
    // relation would put it into GET /v1/certificates/{id}.
    certificateId: CertificateId.refine(...NO_IDENTITY_IN_ID).describe(
      'The related (earlier) certificate, of the same care giver and patient: a stored one of another patient is 400 (in a batch, that item is invalid), as is a replacement or supplement that would close a loop (a → b → c → a); like an id, it may not hold a personal identity number (400)',
    ),
  })
  .meta({ id: 'CertificateRelation' });

/** The outline's example certificate: the contract's example, and the base of test fixtures and bench data. */
export const CERTIFICATE_EXAMPLE = {
  id: 'c-2026-000123',
  type: 'FK7804',
  patient: { id: '191212121212', name: 'Tolvan Tolvansson' },
  issuedBy: { id: 'SE2321000016-D001', name: 'Dr Lisa Läkare' },
  unit: { id: 'SE2321000016-U001', name: 'Vårdcentralen Norr' },
  careGiver: { id: 'SE2321000016-CG01', name: 'Region Exempel' },
  signedAt: '2026-11-20T09:30:00Z',
  diagnoses: [{ code: 'F32.1' }, { code: 'M54.5' }],
  periods: [
    { degree: 100, start: '2026-11-20', end: '2026-12-03' },
    { degree: 50, start: '2026-12-04', end: '2026-12-17' },
  ],
  occupations: ['CURRENT_JOB'],
};
const CERTIFICATE_EXAMPLE_WITH_RELATION = {
  ...CERTIFICATE_EXAMPLE,
  relation: { kind: 'replaces', certificateId: 'c-2026-000101' },
};

const addIssues = (ctx: z.RefinementCtx, issues: RuleIssue[]) => {
  for (const issue of issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
};

/**
 * The periods rules depend on the type; they run whenever both parse, even when other fields fail. Told from the
 * issues found so far rather than by parsing the two again: none at `type`, and none at `periods` other than its
 * count (too few or too many periods still get the rules' messages, as a parse without the bounds would).
 */
function typeAndPeriodsParsed(payload: z.core.ParsePayload): boolean {
  if (typeof payload.value !== 'object' || payload.value === null || Array.isArray(payload.value)) return false;
  return !payload.issues.some((i) => {
    const [first] = i.path ?? [];
    if (first === 'type') return true;
    return first === 'periods' && !(i.path!.length === 1 && (i.code === 'too_small' || i.code === 'too_big'));
  });
}

/** Diagnoses as the refinement normalised them, for the transform to reuse (keyed by the parsed array). */
const normalisedDiagnoses = new WeakMap<object, Diagnosis[]>();

const CertificateShape = z.strictObject({
  id: NewCertificateId,
  type: z.enum(CERTIFICATE_TYPES).describe('Only FK7804 and FK7263 build sick-leave cases'),
  patient: z.strictObject({
    id: PatientId,
    name: Name.optional().meta({ example: 'Tolvan Tolvansson' }),
  }),
  issuedBy: z.strictObject({
    id: HsaId.meta({ example: 'SE2321000016-D001' }),
    name: Name.optional().meta({ example: 'Dr Lisa Läkare' }),
  }),
  unit: z.strictObject({ id: HsaId, name: Name.meta({ example: 'Vårdcentralen Norr' }) }),
  careGiver: z.strictObject({
    id: HsaId.meta({ example: 'SE2321000016-CG01' }),
    name: Name.meta({ example: 'Region Exempel' }),
  }),
  signedAt: SignedAtInput,
  diagnoses: z
    .array(DiagnosisInput)
    .min(1)
    .max(3)
    .superRefine((diagnoses, ctx) => {
      // Paths from the rules start at 'diagnoses'; here they are relative to the array.
      const { diagnoses: normalised, issues } = normaliseDiagnoses(diagnoses.map((d) => d.code));
      normalisedDiagnoses.set(diagnoses, normalised);
      addIssues(
        ctx,
        issues.filter((i) => i.path.length > 1).map((i) => ({ ...i, path: i.path.slice(1) })),
      );
    })
    .describe('1–3 ICD-10-SE codes; the first is the main diagnosis'),
  periods: z.array(PeriodInput).min(1).max(4).describe('1–4 periods (AG114: one), no overlap, each degree once'),
  occupations: z
    .array(z.enum(OCCUPATIONS))
    .min(1)
    .max(OCCUPATIONS.length)
    .superRefine((occupations, ctx) => {
      occupations.forEach((o, i) => {
        if (occupations.indexOf(o) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `${o} is already given` });
      });
    })
    .describe('The patient’s occupations, each at most once'),
  relation: RelationSchema.optional(),
  infectionControl: z.boolean().default(false).describe('Infection-control certificate (smittskydd): never counted'),
  test: z.boolean().default(false).describe('Test certificate: stored, never counted'),
});

/** How far ahead of today a period may end. */
const MAX_DAYS_AHEAD = 730;

/** A posted certificate, validated by the domain rules and normalised (12-digit patient id, codes without dots). */
export const CertificateInput = CertificateShape.superRefine(
  (c, ctx) => {
    addIssues(ctx, periodIssues(c.type, c.periods));
    addIssues(ctx, relationIssues(c.id, c.relation));
    // A period ending years ahead is a typo in the year (2199 for 2026): counted, it stood as an active case for
    // every day until then. Two years from today leaves any real certificate room.
    const latestEnd = addDays(stockholmToday(), MAX_DAYS_AHEAD);
    c.periods.forEach((p, i) => {
      if (p.end > latestEnd) {
        ctx.addIssue({
          code: 'custom',
          path: ['periods', i, 'end'],
          message: `must not be after ${latestEnd} (two years from today)`,
        });
      }
    });
    // Sick leave from work before the patient was born is a typo in a date or in the patient id.
    // The id is a string only once PatientId accepted it (as 12 digits); a refused one is already an issue.
    if (typeof c.patient?.id === 'string' && /^\d{12}$/.test(c.patient.id)) {
      const born = birthDateOf(c.patient.id);
      c.periods.forEach((p, i) => {
        if (p.start < born) {
          ctx.addIssue({
            code: 'custom',
            path: ['periods', i, 'start'],
            message: `must not be before the patient’s birth (${born})`,
          });
        }
      });
    }
  },
  { when: typeAndPeriodsParsed },
)
  .transform((c) => normalise(c))
  .meta({
    id: 'NewCertificate',
    description: 'A sick-leave certificate as an EHR system posts it',
    example: CERTIFICATE_EXAMPLE_WITH_RELATION,
  });

type ParsedShape = z.output<typeof CertificateShape>;

/** The normalised content: what is hashed, stored as `content` and answered. */
export interface CertificateContent {
  id: string;
  type: ParsedShape['type'];
  patient: { id: string; name?: string };
  issuedBy: { id: string; name?: string };
  unit: { id: string; name: string };
  careGiver: { id: string; name: string };
  signedAt: string;
  diagnoses: Diagnosis[];
  periods: { degree: number; start: string; end: string }[];
  occupations: Occupation[];
  relation?: { kind: RelationKind; certificateId: string };
  infectionControl: boolean;
  test: boolean;
}

function normalise(c: ParsedShape): CertificateContent {
  const diagnoses =
    normalisedDiagnoses.get(c.diagnoses) ?? normaliseDiagnoses(c.diagnoses.map((d) => d.code)).diagnoses;
  return {
    id: c.id,
    type: c.type,
    patient: c.patient.name === undefined ? { id: c.patient.id } : { id: c.patient.id, name: c.patient.name },
    issuedBy: c.issuedBy.name === undefined ? { id: c.issuedBy.id } : { id: c.issuedBy.id, name: c.issuedBy.name },
    unit: { id: c.unit.id, name: c.unit.name },
    careGiver: { id: c.careGiver.id, name: c.careGiver.name },
    signedAt: c.signedAt,
    diagnoses,
    periods: sortPeriods(c.periods).map((p) => ({ degree: p.degree, start: p.start, end: p.end })),
    occupations: sortOccupations(c.occupations),
    ...(c.relation ? { relation: { kind: c.relation.kind, certificateId: c.relation.certificateId } } : {}),
    infectionControl: c.infectionControl,
    test: c.test,
  };
}

const Revocation = z
  .object({
    at: z.string().meta({ format: 'date-time', example: '2026-11-21T08:00:00.000Z' }),
    by: z.string().describe('HSA-id of the system or person that revoked it'),
    reason: z.string().optional().describe('Why, as given'),
  })
  .meta({ id: 'CertificateRevocation' });

export const CertificateSchema = z
  .object({
    id: z.string().meta({ example: 'c-2026-000123' }),
    type: z.enum(CERTIFICATE_TYPES),
    patient: z.object({
      id: z.string().describe('12 digits').meta({ example: '191212121212' }),
      name: z.string().optional(),
    }),
    issuedBy: z.object({ id: z.string(), name: z.string().optional() }),
    unit: z.object({ id: z.string(), name: z.string() }),
    careGiver: z.object({ id: z.string(), name: z.string() }),
    signedAt: z.string().meta({ format: 'date-time', example: '2026-11-20T09:30:00.000Z' }),
    diagnoses: z.array(
      z.object({
        code: z.string().describe('Without the dot').meta({ example: 'F321' }),
        chapter: z.enum(CHAPTERS).meta({ example: 'F00-F99' }),
      }),
    ),
    periods: z.array(
      z.object({
        degree: z.number().int().min(0).max(100).meta({ example: 100 }),
        start: z.string().meta({ format: 'date' }),
        end: z.string().meta({ format: 'date' }),
      }),
    ),
    occupations: z.array(z.enum(OCCUPATIONS)),
    relation: z.object({ kind: z.enum(RELATION_KINDS), certificateId: z.string() }).optional(),
    infectionControl: z.boolean(),
    test: z.boolean(),
    revoked: Revocation.nullable().describe('Set once revoked (makulerad); revocation is final'),
    counts: z
      .boolean()
      .describe(
        'Whether it counts in sick-leave cases: an FK type, and neither revoked, a test, infection control nor superseded',
      ),
    createdAt: z.string().meta({ format: 'date-time' }).describe('When this service first stored it'),
  })
  .meta({ id: 'Certificate' });

export type Certificate = z.infer<typeof CertificateSchema>;

export const BatchBody = z
  .strictObject({
    certificates: z
      .array(
        // Validated one by one by the service (an invalid item is that item's answer), so the route takes any value;
        // the contract shows the certificate it must be (SCHEMA_REF, see the docs plugin).
        z.unknown().meta({
          description: 'A certificate; each is validated on its own, and one that is not valid is answered `invalid`',
          [SCHEMA_REF]: 'NewCertificateInput',
        }),
      )
      .min(1)
      .max(1_000)
      .describe('At most 1,000 certificates; each stands or falls alone'),
  })
  .meta({
    id: 'CertificateBatch',
    description:
      'Each certificate is validated and stored on its own, access too: one that names another care giver, a unit ' +
      'outside the token or of another care giver, or replaces or supplements a certificate of a unit outside the ' +
      'token is answered `forbidden`, and the others are stored.',
    example: { certificates: [CERTIFICATE_EXAMPLE_WITH_RELATION] },
  });

export const BATCH_STATUSES = ['created', 'unchanged', 'conflict', 'invalid', 'forbidden'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const BatchResultSchema = z
  .object({
    results: z.array(
      z.object({
        id: z.string().nullable().describe('The item’s id, or null when it has none'),
        status: z.enum(BATCH_STATUSES),
        errors: z
          .array(z.object({ path: z.string(), message: z.string() }))
          .optional()
          .describe('For invalid, conflicting and forbidden items'),
      }),
    ),
  })
  .meta({
    id: 'CertificateBatchResult',
    example: {
      results: [
        { id: 'c-1', status: 'created' },
        { id: 'c-2', status: 'unchanged' },
        {
          id: 'c-3',
          status: 'invalid',
          errors: [{ path: 'periods.1.degree', message: 'must be one of 25, 50, 75, 100' }],
        },
      ],
    },
  });

export type BatchResult = z.infer<typeof BatchResultSchema>;

export const RevokeBody = z
  .strictObject({
    reason: ShownText(1_000).optional().describe('Why it is revoked (free text)'),
  })
  .meta({ id: 'CertificateRevoke' });

export type RevokeInput = z.infer<typeof RevokeBody>;
