import { z } from 'zod';
import {
  BodyLimit,
  CursorSchema,
  DateOrInstant,
  HsaId,
  Limit,
  PatientId,
  unknownParameters,
} from '../../lib/schemas.js';

const ACTIONS = ['read', 'create', 'update', 'revoke', 'void', 'check', 'export'] as const;

export const AuditEventSchema = z
  .object({
    id: z
      .string()
      .describe(
        'The event’s id, increasing in the order events were written. One sequence serves every care giver, so one ' +
          'care giver’s ids have gaps and count nothing',
      ),
    at: z.string().meta({ format: 'date-time' }),
    actorId: z.string().describe('HSA-id of the person or system'),
    role: z.string(),
    careGiverId: z.string(),
    unitId: z.string().nullable(),
    patientId: z.string().nullable().describe('12-digit personal identity number, when the event concerns a patient'),
    action: z.enum(ACTIONS),
    resource: z.string().describe('certificate, sick_leave, consent, consent_check, coordination_effort, …'),
    resourceId: z
      .string()
      .nullable()
      .describe(
        'The resource’s id (a certificate, consent or effort); for a sick_leave_summary, the day and filters it counted (activeOn=…&maxAge=…); for a patient’s history or consent list, the units whose records it showed (units:…), or refused:no-care-relation for a lookup refused for want of a care relation (nothing shown)',
      ),
    requestId: z.string().nullable(),
    purpose: z.string().describe('care_and_treatment, or audit_follow_up for the auditor’s own reads'),
  })
  .meta({ id: 'AuditEvent' });

export const AuditPageSchema = z
  .object({ items: z.array(AuditEventSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditEventPage' });

/** Filters both lists take: what was done, to what (an auditor asks who revoked, or who read sick leave). */
const kindFilters = {
  action: z.enum(ACTIONS).optional().describe('Only events of this action'),
  resource: z
    .string()
    .regex(/^[a-z_]{1,40}$/, 'must be a resource name, such as sick_leave or consent')
    .optional()
    .describe('Only events of this resource (certificate, sick_leave, sick_leave_summary, consent, consent_check, …)'),
};

export const AuditListQuerySchema = z.strictObject(
  {
    unitId: HsaId.optional(),
    actorId: HsaId.optional(),
    ...kindFilters,
    from: DateOrInstant.optional(),
    to: DateOrInstant.optional().describe('Exclusive for an instant; a date includes the whole day'),
    limit: Limit(500, 100),
    cursor: CursorSchema.optional(),
  },
  unknownParameters(),
);

export const AuditSearchBodySchema = z.strictObject({
  patientId: PatientId,
  ...kindFilters,
  from: DateOrInstant.optional(),
  to: DateOrInstant.optional(),
  limit: BodyLimit(500, 100),
  cursor: CursorSchema.optional(),
});

export const AuditCursor = z.object({ id: z.number().int().positive() });

export type AuditEventOut = z.infer<typeof AuditEventSchema>;
export type AuditPage = z.infer<typeof AuditPageSchema>;
export type AuditListQuery = z.infer<typeof AuditListQuerySchema>;
export type AuditSearchBody = z.infer<typeof AuditSearchBodySchema>;
