import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { careRelationResponses, problemResponses, UnitParams } from '../../lib/schemas.js';
import {
  CaseFiltersSchema,
  HistoryBodySchema,
  OverviewQuerySchema,
  OverviewSearchSchema,
  SearchQuerySchema,
  SickLeaveHistorySchema,
  SickLeavePageSchema,
  SickLeaveSummarySchema,
} from './schemas.js';

export const sickLeavesRoutes: FastifyPluginAsyncZod = async (app) => {
  const readers = app.requireRole(['doctor', 'coordinator']);
  const security = [{ bearerAuth: [] }];

  app.get(
    '/v1/units/:unitId/sick-leaves',
    {
      schema: {
        tags: ['sick-leaves'],
        summary: 'The unit’s sick-leave cases active on a day, filtered, sorted and paged',
        description:
          'The unit’s patients are those with a counted certificate at the unit that starts by activeOn and ended at ' +
          'most 240 days (plus maxGapDays + 1) before activeOn − recentlyEndedDays. ' +
          'Each patient’s case is built from all their counted ' +
          'certificates within the caller’s care giver, at any of its units, as the patient history builds it, so ' +
          'its start, length, degrees, certificate count and active certificate are the same there; only the case ' +
          'visible on activeOn that holds one of the unit’s certificates is listed (a case of other units’ ' +
          'certificates alone is not the unit’s). The active certificate may be another unit’s. A doctor sees only the ' +
          'cases whose active certificate they signed; a coordinator sees every case of the unit. One audit event ' +
          'is written per patient on the page.',
        security,
        params: UnitParams,
        querystring: OverviewQuerySchema,
        response: { 200: SickLeavePageSchema, ...problemResponses },
      },
      preHandler: readers,
    },
    (req) => app.services.sickLeaves.overview(req.actor, req.params.unitId, req.query),
  );

  app.post(
    '/v1/units/:unitId/sick-leaves/search',
    {
      schema: {
        tags: ['sick-leaves'],
        summary: 'The overview with its query in a JSON body, which may also search by part of the patient’s name',
        description:
          'The same cases, filters, sort, paging and audit as GET /v1/units/{unitId}/sick-leaves; `q` searches the ' +
          'patients’ names, which never travel in a URL. A page’s `nextCursor` is sent back in the next body.',
        security,
        params: UnitParams,
        querystring: SearchQuerySchema,
        body: OverviewSearchSchema,
        response: { 200: SickLeavePageSchema, ...problemResponses },
      },
      preHandler: readers,
    },
    (req) => app.services.sickLeaves.overview(req.actor, req.params.unitId, req.body, ''),
  );

  app.get(
    '/v1/units/:unitId/sick-leaves/summary',
    {
      schema: {
        tags: ['sick-leaves'],
        summary: 'Counts over the same cases as the overview (by gender, chapter, degree and length)',
        description:
          'Audited for the unit (resource sick_leave_summary); a summary of at most five cases, which can single its ' +
          'patients out, also as a read of each of them.',
        security,
        params: UnitParams,
        querystring: CaseFiltersSchema,
        response: { 200: SickLeaveSummarySchema, ...problemResponses },
      },
      preHandler: readers,
    },
    (req) => app.services.sickLeaves.summary(req.actor, req.params.unitId, req.query),
  );

  app.post(
    '/v1/patients/sick-leave-history',
    {
      schema: {
        tags: ['sick-leaves'],
        summary: 'All the patient’s sick-leave cases within the caller’s care giver, newest first',
        security,
        body: HistoryBodySchema,
        response: {
          200: SickLeaveHistorySchema,
          ...problemResponses,
          ...careRelationResponses,
        },
      },
      preHandler: readers,
    },
    (req) => app.services.sickLeaves.history(req.actor, req.body),
  );
};
