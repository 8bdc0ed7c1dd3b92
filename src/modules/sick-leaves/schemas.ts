import { showsSomething } from '../../domain/text.js';
import { z } from 'zod';
import { CHAPTERS } from '../../domain/icd10.js';
import { DEFAULT_MAX_GAP_DAYS, MAX_GAP_DAYS, MAX_RECENTLY_ENDED_DAYS } from '../../domain/sick-leave-engine.js';
import {
  BodyLimit,
  CursorSchema,
  HsaId,
  Limit,
  QueryInt,
  LocalDateSchema,
  PatientId,
  unknownParameters,
} from '../../lib/schemas.js';

export const COORDINATION_STATUSES = ['contacted', 'active', 'follow_up', 'closed', 'declined', 'no_action'] as const;
export const SORTS = ['start', '-start', 'days', '-days', 'end', '-end', 'age', '-age'] as const;
export const LENGTH_BUCKETS = ['0-14', '15-30', '31-90', '91-180', '181-365', '366+'] as const;
const DEGREES = ['25', '50', '75', '100'] as const;

/**
 * Where a query arrives: in a query string every value is text, so numbers are read from their digits; in a JSON body
 * a number must be a JSON number (coercing there would read null, true or "" as 0 or 1, and take the default away).
 */
type Form = 'query' | 'body';

function int(form: Form, min: number, max: number, fallback?: number): z.ZodType<number, unknown> {
  if (form === 'query') return QueryInt(min, max, fallback);
  const number = z.number().int().min(min).max(max);
  return fallback === undefined ? number : number.default(fallback);
}

const maxGapDays = (form: Form) =>
  int(form, 0, MAX_GAP_DAYS, DEFAULT_MAX_GAP_DAYS).describe(
    'Most empty days between two certificates of one case (0–90)',
  );

/** The filters shared by the overview and its summary. */
function caseFilters(form: Form) {
  return {
    activeOn: LocalDateSchema.optional().describe('The day the cases are active on; default today (Europe/Stockholm)'),
    maxGapDays: maxGapDays(form),
    recentlyEndedDays: int(form, 0, MAX_RECENTLY_ENDED_DAYS, 0).describe(
      'Also show cases that ended at most this many days before activeOn, as ended (0–14)',
    ),
    doctorId: HsaId.optional()
      .describe('Only cases whose active certificate this doctor signed')
      .meta({ example: 'SE2321000016-D001' }),
    diagnosisChapter: z.enum(CHAPTERS).optional().describe('ICD-10-SE chapter of the main diagnosis, e.g. F00-F99'),
    minDays: int(form, 0, 100_000)
      .optional()
      .describe('Shortest case length in days (inclusive); over maxDays is a 400'),
    maxDays: int(form, 0, 100_000).optional().describe('Longest case length in days (inclusive)'),
    minAge: int(form, 0, 150).optional().describe('Youngest patient age on activeOn (inclusive); over maxAge is a 400'),
    maxAge: int(form, 0, 150).optional().describe('Oldest patient age on activeOn'),
    gender: z.enum(['F', 'M']).optional().describe('F or M, from the personal identity number'),
    degree: (form === 'query' ? z.enum(DEGREES).transform(Number) : z.literal([25, 50, 75, 100]))
      .optional()
      .describe('Current degree (reduction of work capacity, percent)'),
    coordinationStatus: z
      .enum(COORDINATION_STATUSES)
      .optional()
      .describe('The case’s coordinator status as of activeOn (the latest set from its start up to activeOn)'),
  };
}

function paging(form: Form) {
  return {
    sort: z
      .enum(SORTS)
      .default('start')
      .describe('start, days, end or age; prefix - for descending; default start (earliest first); ties by patient id'),
    limit: form === 'query' ? Limit(500, 100) : BodyLimit(500, 100),
    cursor: CursorSchema.optional(),
  };
}

/** A name is not taken in a URL (proxies and browsers keep URLs): a `q` there is refused, saying where it goes. */
const nameNotInUrl = (where: string) =>
  unknownParameters((keys) => (keys.includes('q') ? `q (a patient’s name) ${where}` : undefined));

export const CaseFiltersSchema = z.strictObject(
  caseFilters('query'),
  nameNotInUrl('is not taken in a URL, and the summary has no name filter'),
);
export const OverviewQuerySchema = z.strictObject(
  { ...caseFilters('query'), ...paging('query') },
  nameNotInUrl('is not taken in a URL: search by name with POST /v1/units/{unitId}/sick-leaves/search'),
);
/** The search takes its query in the body only. */
export const SearchQuerySchema = z.strictObject({}, nameNotInUrl('goes in the body, never in a URL'));

/** The overview's query as a JSON body, with the one filter a URL may not carry: part of the patient's name. */
export const OverviewSearchSchema = z
  .strictObject({
    ...caseFilters('body'),
    ...paging('body'),
    q: z
      .string()
      .normalize('NFC')
      .trim()
      .min(1)
      .max(100)
      .refine(showsSomething, 'must hold a character that shows')
      .optional()
      .describe('Part of the patient’s name (any case; composed as names are stored, NFC)'),
  })
  .meta({ id: 'SickLeaveSearch' });

const DiagnosisSchema = z.object({
  code: z.string().meta({ example: 'F321' }).describe('ICD-10-SE code, stored without the dot'),
  chapter: z.string().nullable().meta({ example: 'F00-F99' }),
});

const DegreeStepSchema = z.object({
  degree: z.number().int().min(25).max(100).meta({ example: 100 }),
  start: z.string().meta({ format: 'date' }),
  end: z.string().meta({ format: 'date' }),
});

const DoctorSchema = z.object({ id: z.string().meta({ example: 'SE2321000016-D001' }), name: z.string().nullable() });

const PatientSchema = z.object({
  id: z.string().meta({ example: '191212121212' }),
  name: z
    .string()
    .nullable()
    .meta({ example: 'Tolvan Tolvansson' })
    .describe(
      'As on the latest-signed certificate that carries one, in the newest case that has one; null when no certificate shown carries one, or no case is shown (a history of only employer certificates)',
    ),
  age: z.number().int().min(0).describe('Whole years on activeOn'),
  gender: z.enum(['F', 'M']),
});

const CaseFields = {
  start: z.string().meta({ format: 'date' }).describe('First day of the case'),
  end: z.string().meta({ format: 'date' }).describe('Last day of the case (may lie in the future)'),
  days: z.number().int().min(1).describe('Days covered by any period; overlaps once, gaps not counted'),
  degree: z
    .number()
    .int()
    .min(25)
    .max(100)
    .describe(
      'Degree on activeOn; for a case not active on it (ended, or in the history interrupted): the degree of its ' +
        'period that ended last before activeOn; for an upcoming case: its first degree',
    ),
  degrees: z.array(DegreeStepSchema).describe('The degree steps of the case in order'),
  diagnosis: DiagnosisSchema.nullable().describe('Main diagnosis of the active certificate'),
  secondaryDiagnoses: z.array(DiagnosisSchema),
  certificateCount: z.number().int().min(1),
  doctors: z.array(DoctorSchema).describe('The responsible doctor (signed the active certificate) first'),
};

export const SickLeaveItemSchema = z
  .object({
    patient: PatientSchema,
    ...CaseFields,
    status: z.enum(['active', 'ended']),
    coordinationStatus: z
      .enum(COORDINATION_STATUSES)
      .optional()
      .describe('The coordinator status as of activeOn: the latest set from the case’s start up to activeOn'),
  })
  .meta({ id: 'SickLeaveCase' });

export const SickLeavePageSchema = z
  .object({
    items: z.array(SickLeaveItemSchema),
    total: z.number().int().min(0).describe('Cases matching the filters, over all pages'),
    nextCursor: z.string().nullable(),
    activeOn: z.string().meta({ format: 'date' }),
    maxGapDays: z.number().int().min(0).max(90),
  })
  .meta({ id: 'SickLeavePage' });

export const SickLeaveSummarySchema = z
  .object({
    total: z.number().int().min(0),
    byGender: z.object({ F: z.number().int().min(0), M: z.number().int().min(0) }),
    byDiagnosisChapter: z.array(z.object({ chapter: z.string(), count: z.number().int().min(1) })),
    byDegree: z.object({
      '25': z.number().int().min(0),
      '50': z.number().int().min(0),
      '75': z.number().int().min(0),
      '100': z.number().int().min(0),
    }),
    byLength: z.array(z.object({ bucket: z.enum(LENGTH_BUCKETS), count: z.number().int().min(0) })),
  })
  .meta({ id: 'SickLeaveSummary' });

export const HistoryBodySchema = z.strictObject({
  patientId: PatientId,
  unitId: HsaId.describe('The unit the caller acts for'),
  maxGapDays: maxGapDays('body'),
  activeOn: LocalDateSchema.optional().describe('The day that sets each case’s status; default today'),
});

const HistoryCertificateSchema = z.object({
  id: z.string(),
  type: z.string().meta({ example: 'FK7804' }),
  signedAt: z.string().meta({ format: 'date-time' }),
  doctor: DoctorSchema,
  unitId: z.string(),
  periods: z.array(DegreeStepSchema),
  diagnoses: z.array(DiagnosisSchema),
});

export const HistoryCaseSchema = z
  .object({
    ...CaseFields,
    status: z
      .enum(['active', 'ended', 'upcoming', 'interrupted'])
      .describe('Relative to activeOn; interrupted: activeOn falls in a gap inside the case'),
    certificates: z.array(HistoryCertificateSchema).describe('The case’s certificates, by start'),
  })
  .meta({ id: 'SickLeaveHistoryCase' });

export const SickLeaveHistorySchema = z
  .object({
    patient: PatientSchema,
    activeOn: z.string().meta({ format: 'date' }),
    maxGapDays: z.number().int().min(0).max(90),
    cases: z.array(HistoryCaseSchema).describe('Newest first'),
  })
  .meta({ id: 'SickLeaveHistory' });

export const OverviewCursor = z.object({
  a: z.string(),
  k: z.union([z.string(), z.number()]),
  p: z.string(),
});

export type CaseFilters = z.infer<typeof CaseFiltersSchema> & { q?: string };
export type OverviewQuery = z.infer<typeof OverviewSearchSchema>;
export type SickLeaveItem = z.infer<typeof SickLeaveItemSchema>;
export type SickLeavePage = z.infer<typeof SickLeavePageSchema>;
export type SickLeaveSummary = z.infer<typeof SickLeaveSummarySchema>;
export type HistoryBody = z.infer<typeof HistoryBodySchema>;
export type SickLeaveHistory = z.infer<typeof SickLeaveHistorySchema>;
export type CoordinationStatus = (typeof COORDINATION_STATUSES)[number];
