import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problemResponses } from '../../lib/schemas.js';
import { AuditListQuerySchema, AuditPageSchema, AuditSearchBodySchema } from './schemas.js';

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  const auditor = app.requireRole(['auditor']);
  const security = [{ bearerAuth: [] }];

  app.get(
    '/v1/audit-events',
    {
      schema: {
        tags: ['audit'],
        summary: 'The care giver’s audit events, newest first',
        description:
          'Of every unit of the token’s care giver: an auditor follows up the whole care giver, and the token’s ' +
          'units do not narrow the list (unitId filters by any unit of the care giver).',
        security,
        querystring: AuditListQuerySchema,
        response: { 200: AuditPageSchema, ...problemResponses },
      },
      preHandler: auditor,
    },
    (req) => app.services.audit.list(req.actor, req.query),
  );

  app.post(
    '/v1/audit-events/search',
    {
      schema: {
        tags: ['audit'],
        summary: 'Who accessed this patient’s data (the patient’s right to the access log)',
        security,
        body: AuditSearchBodySchema,
        response: { 200: AuditPageSchema, ...problemResponses },
      },
      preHandler: auditor,
    },
    (req) => app.services.audit.searchPatient(req.actor, req.body),
  );
};
