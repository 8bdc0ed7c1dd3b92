import { showsSomething } from '../../domain/text.js';
import { z } from 'zod';
import { CONSENT_ACTORS } from '../../domain/consent-rules.js';
import { COORDINATOR_STATUSES, EFFORT_KINDS, EFFORT_STATUSES, needsActor } from '../../domain/coordination-rules.js';
import {
  CursorSchema,
  FreeText,
  HsaId,
  Limit,
  LocalDateSchema,
  PatientId,
  unknownParameters,
} from '../../lib/schemas.js';
import { RecordDate } from '../consents/schemas.js';

export const NOTE_MAX = 4_000;

export const EffortKindSchema = z
  .enum(EFFORT_KINDS)
  .describe('Personal support, internal coordination within healthcare, or collaboration with an outside actor');
export const EffortStatusSchema = z
  .enum(EFFORT_STATUSES)
  .describe(
    'planned → in_progress → done, or planned → done; planned or in_progress → cancelled or declined; done, cancelled, declined are final',
  );
export const EffortActorSchema = z
  .enum(CONSENT_ACTORS)
  .describe('The outside actor of an external collaboration; needs an information_sharing consent naming it');
export const CoordinatorStatusSchema = z
  .enum(COORDINATOR_STATUSES)
  .describe('The coordinator’s status of the patient’s case at the unit');

// A note of nothing that shows (white space, a zero-width space) is no note: stored as none (null), not as an empty
// text lists would show.
const Note = FreeText(NOTE_MAX)
  .transform((note) => (showsSomething(note) ? note : null))
  .describe(
    `Free text, at most ${NOTE_MAX} characters; never logged, shown only to staff of the unit; blank is none (null)`,
  );

export const EffortIdParams = z.object({ id: z.uuid().describe('Coordination effort id') });

export const EffortSchema = z
  .object({
    id: z.uuid(),
    patientId: z.string().describe('12-digit personal identity number'),
    careGiverId: z.string(),
    unitId: z.string(),
    kind: EffortKindSchema,
    actor: EffortActorSchema.nullable(),
    performedOn: z.string().meta({ format: 'date' }),
    status: EffortStatusSchema,
    note: z.string().nullable().describe('Free text; shown only to staff of the unit'),
    consentId: z
      .uuid()
      .describe(
        'The coordination consent the effort rested on when recorded (or re-dated): of those valid on performedOn, ' +
          'one not revoked before one revoked since, then the one valid longest',
      ),
    sharingConsentId: z.uuid().nullable().describe('The information_sharing consent, for external collaboration'),
    createdBy: z.string(),
    createdAt: z.string().meta({ format: 'date-time' }),
    updatedBy: z.string(),
    updatedAt: z.string().meta({ format: 'date-time' }),
    version: z.number().int().min(1).describe('Starts at 1; one more with every update'),
  })
  .meta({ id: 'CoordinationEffort' });

export const NewEffortSchema = z
  .strictObject({
    patientId: PatientId,
    unitId: HsaId.describe('The unit giving the effort; must be in the token'),
    kind: EffortKindSchema,
    actor: EffortActorSchema.optional().describe('Required for external_collaboration, not allowed otherwise'),
    performedOn: RecordDate.describe(
      'The day the effort is (to be) performed; consent must be valid on it. A done effort’s is not after today (400)',
    ),
    status: EffortStatusSchema,
    note: Note.optional(),
  })
  .superRefine((body, ctx) => {
    if (needsActor(body.kind) && !body.actor) {
      ctx.addIssue({ code: 'custom', path: ['actor'], message: 'is required for external_collaboration' });
    }
    if (!needsActor(body.kind) && body.actor) {
      ctx.addIssue({ code: 'custom', path: ['actor'], message: 'is only for external_collaboration' });
    }
  })
  .meta({
    id: 'NewCoordinationEffort',
    example: {
      patientId: '191212121212',
      unitId: 'SE2321000016-U001',
      kind: 'external_collaboration',
      actor: 'employer',
      performedOn: '2026-11-24',
      status: 'planned',
      note: 'Meeting with the employer about adapted duties',
    },
  });

export const EffortPatchSchema = z
  .strictObject({
    status: EffortStatusSchema.optional(),
    note: Note.nullable().optional().describe('New note; null (or blank) removes it'),
    performedOn: RecordDate.optional().describe('A new day re-checks consent on that day (422 when missing)'),
  })
  .refine((b) => b.status !== undefined || b.note !== undefined || b.performedOn !== undefined, {
    message: 'must change at least one of status, note, performedOn',
  })
  .meta({ id: 'CoordinationEffortPatch', minProperties: 1 });

export const UnitEffortsQuerySchema = z.strictObject(
  {
    kind: EffortKindSchema.optional(),
    status: EffortStatusSchema.optional(),
    from: RecordDate.optional().describe('performedOn on or after this day'),
    to: RecordDate.optional().describe('performedOn on or before this day'),
    limit: Limit(500, 100),
    cursor: CursorSchema.optional(),
  },
  unknownParameters(),
);

export const EffortPageSchema = z
  .object({
    items: z.array(EffortSchema).describe('Newest performedOn first'),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'CoordinationEffortPage' });

export const PatientAtUnitSchema = z.strictObject({
  patientId: PatientId,
  unitId: HsaId.describe('The unit the caller acts for; must be in the token'),
});

export const EffortListSchema = z
  .object({ items: z.array(EffortSchema).describe('The patient’s efforts at the unit, newest performedOn first') })
  .meta({ id: 'CoordinationEffortList' });

export const NewStatusSchema = z
  .strictObject({
    patientId: PatientId,
    unitId: HsaId.describe('Must be in the token'),
    status: CoordinatorStatusSchema,
    on: RecordDate.optional().describe(
      'The day the status applies from; default today (Europe/Stockholm). Not after today, and (given or not) not ' +
        'before the first day of the patient’s counted certificates at the care giver (400). The overview shows the ' +
        'status as of activeOn: the latest set on a day from the case’s start up to activeOn',
    ),
  })
  .meta({ id: 'NewCoordinationStatus' });

export const StatusSchema = z
  .object({
    id: z.uuid(),
    patientId: z.string(),
    unitId: z.string(),
    status: CoordinatorStatusSchema,
    setOn: z.string().meta({ format: 'date' }),
    setAt: z.string().meta({ format: 'date-time' }),
    setBy: z.string(),
  })
  .meta({ id: 'CoordinationStatus' });

export const StatusHistorySchema = z
  .object({
    items: z
      .array(StatusSchema)
      .describe(
        'Newest set first (setAt; append-only: nothing is ever changed). The status in effect on a day is the one with ' +
          'the latest `setOn` up to that day (of those, the one set last), as the overview shows it: a status set later ' +
          'for an earlier day is listed first but is not the one in effect after a later setOn',
      ),
  })
  .meta({ id: 'CoordinationStatusHistory' });

export const EffortCursor = z.object({ p: LocalDateSchema, c: z.iso.datetime(), id: z.uuid() });

export type EffortOut = z.infer<typeof EffortSchema>;
export type NewEffort = z.infer<typeof NewEffortSchema>;
export type EffortPatch = z.infer<typeof EffortPatchSchema>;
export type UnitEffortsQuery = z.infer<typeof UnitEffortsQuerySchema>;
export type EffortPage = z.infer<typeof EffortPageSchema>;
export type PatientAtUnit = z.infer<typeof PatientAtUnitSchema>;
export type NewStatus = z.infer<typeof NewStatusSchema>;
export type StatusOut = z.infer<typeof StatusSchema>;
