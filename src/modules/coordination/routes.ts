import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { etagOf } from '../../lib/etag.js';
import { Conflict, PreconditionFailed } from '../../lib/errors.js';
import { ETAG_HEADER, LOCATION_HEADER } from '../../plugins/docs.js';
import { notFoundResponse, Problem, problemResponses, UnitParams } from '../../lib/schemas.js';
import {
  EffortIdParams,
  EffortListSchema,
  EffortPageSchema,
  EffortPatchSchema,
  EffortSchema,
  NewEffortSchema,
  NewStatusSchema,
  PatientAtUnitSchema,
  StatusHistorySchema,
  StatusSchema,
  UnitEffortsQuerySchema,
} from './schemas.js';

const consentRequired = {
  422: Problem.describe(
    'No valid consent for the effort on performedOn (type …/consent-required); `reason` is the consent check’s ' +
      'answer (none, expired, not_yet_valid, revoked, voided, actor_not_covered), `kind` the consent kind missing. ' +
      'No effort is written; as the answer tells the consent’s state, it is audited as a consent check (a change of ' +
      'an effort: as a read of the effort)',
  ),
};
const preconditionFailed = {
  412: Problem.describe(
    'If-Match names no tag of the effort’s current version (type …/precondition-failed, with `version`): it changed since it was read; nothing is written but an audit event of the read (the answer tells the version)',
  ),
};
const IF_MATCH = /^\s*(\*|(W\/)?"[^"]*"(\s*,\s*(W\/)?"[^"]*")*)\s*$/;
const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .max(1_000)
    // RFC 9110's field: * or entity tags, each quoted. `If-Match: 2` was a 412 (no tag matched), as if the effort
    // had changed, where the mistake was the client's.
    .regex(IF_MATCH, 'must be * or entity tags as the ETag gives them, quoted ("3"), comma-separated')
    .optional()
    .describe('Optional: the ETag the effort was read with ("3"), or a list of them, or *; a change since is 412'),
  'if-none-match': z
    .string()
    .max(1_000)
    .regex(IF_MATCH, 'must be * or entity tags as the ETag gives them, quoted ("3"), comma-separated')
    .optional()
    .describe(
      'Optional (RFC 9110): the change is made unless the effort is at a version it names (weak comparison); `*` ' +
        'is always 412, the effort existing',
    ),
});
const invalidTransition = {
  409: Problem.describe(
    'The status change is not allowed (type …/invalid-status-transition, with `from`, `to` and the effort’s `version`, also as `ETag`)',
  ),
};

export const coordinationRoutes: FastifyPluginAsyncZod = async (app) => {
  const staff = app.requireRole(['coordinator', 'doctor']);
  const security = [{ bearerAuth: [] }];
  const tags = ['coordination'];

  app.post(
    '/v1/coordination-efforts',
    {
      schema: {
        tags,
        summary: 'Record a coordination effort (needs valid consent on performedOn)',
        description:
          'Valid on performedOn: started, not expired, not voided, and not revoked by then. An effort done records ' +
          'what was done on its day, so one performed on a day before a later revocation may still be recorded as ' +
          'done; one planned or under way is still to be given, and no revoked consent covers it, whatever its day ' +
          '(422 consent-required, revoked).',
        security,
        body: NewEffortSchema,
        response: { 201: EffortSchema, ...problemResponses, ...consentRequired },
        [ETAG_HEADER]: true,
        [LOCATION_HEADER]: true,
      },
      preHandler: staff,
    },
    async (req, reply) => {
      const effort = await app.services.coordination.create(req.actor, req.body);
      return reply
        .code(201)
        .header('etag', etagOf(effort.version))
        .header('location', `/v1/coordination-efforts/${effort.id}`)
        .send(effort);
    },
  );

  app.get(
    '/v1/coordination-efforts/:id',
    {
      schema: {
        tags,
        summary: 'One coordination effort (403 for another care giver’s or another unit’s)',
        security,
        params: EffortIdParams,
        response: { 200: EffortSchema, ...problemResponses, ...notFoundResponse },
        [ETAG_HEADER]: true,
      },
      preHandler: staff,
    },
    async (req, reply) => {
      const effort = await app.services.coordination.get(req.actor, req.params.id);
      return reply.header('etag', etagOf(effort.version)).send(effort);
    },
  );

  app.patch(
    '/v1/coordination-efforts/:id',
    {
      schema: {
        tags,
        summary: 'Change an effort’s status, note or day',
        description:
          'Status moves on: planned → in_progress → done, or planned → done (a planned meeting that was held), and ' +
          'planned or in_progress → cancelled or declined; done, cancelled and declined are final. Any other ' +
          'change (back to planned, out of a final status) is 409. A new performedOn, or a move to in_progress or done, must rest ' +
          'on valid consent on performedOn, as creating the effort did (422); declining, cancelling or editing the ' +
          'note needs none, so an effort whose consent was revoked can still be closed. A patch names at least one ' +
          'of status, note and performedOn (an empty one is 400); one whose values change nothing ' +
          'answers the effort as it is (same version). Each answer carries the version as `ETag`; sent back in ' +
          '`If-Match`, it makes the change conditional on no one having changed the effort since (412 otherwise); ' +
          '`If-None-Match` is honoured as RFC 9110 has it (`*` is 412, the effort existing).',
        security,
        params: EffortIdParams,
        headers: IfMatchHeaders,
        body: EffortPatchSchema,
        [ETAG_HEADER]: true,
        response: {
          200: EffortSchema,
          ...problemResponses,
          ...notFoundResponse,
          ...preconditionFailed,
          ...invalidTransition,
          ...consentRequired,
        },
      },
      preHandler: staff,
    },
    async (req, reply) => {
      try {
        const effort = await app.services.coordination.update(req.actor, req.params.id, req.body, {
          ifMatch: req.headers['if-match'],
          ifNoneMatch: req.headers['if-none-match'],
        });
        return reply.header('etag', etagOf(effort.version)).send(effort);
      } catch (error) {
        // Every answer about the effort carries its version as ETag, the 412 and 409 that name it too.
        const version =
          error instanceof PreconditionFailed || error instanceof Conflict ? error.extra.version : undefined;
        if (typeof version === 'number') reply.header('etag', etagOf(version));
        throw error;
      }
    },
  );

  app.get(
    '/v1/units/:unitId/coordination-efforts',
    {
      schema: {
        tags,
        summary:
          'The unit’s coordination efforts, newest performedOn first (then the latest recorded), with cursor pages',
        security,
        params: UnitParams,
        querystring: UnitEffortsQuerySchema,
        response: { 200: EffortPageSchema, ...problemResponses },
      },
      preHandler: staff,
    },
    (req) => app.services.coordination.listForUnit(req.actor, req.params.unitId, req.query),
  );

  app.post(
    '/v1/patients/coordination-efforts',
    {
      schema: {
        tags,
        summary: 'The patient’s coordination efforts at the unit, newest performedOn first (then the latest recorded)',
        security,
        body: PatientAtUnitSchema,
        response: { 200: EffortListSchema, ...problemResponses },
      },
      preHandler: staff,
    },
    (req) => app.services.coordination.listForPatient(req.actor, req.body),
  );

  app.post(
    '/v1/patients/coordination-status',
    {
      schema: {
        tags,
        summary: 'Set the coordinator status of the patient’s case at the unit (append-only; role coordinator)',
        security,
        body: NewStatusSchema,
        response: {
          201: StatusSchema,
          ...problemResponses,
          422: Problem.describe(
            'The patient has no sick-leave certificate at the unit that counts (type …/no-sick-leave-at-unit): a ' +
              'status is of a case there; nothing is written, the lookup is audited',
          ),
        },
      },
      preHandler: app.requireRole(['coordinator']),
    },
    async (req, reply) => reply.code(201).send(await app.services.coordination.setStatus(req.actor, req.body)),
  );

  app.post(
    '/v1/patients/coordination-status/history',
    {
      schema: {
        tags,
        summary: 'Every coordinator status set for the patient at the unit, newest first',
        security,
        body: PatientAtUnitSchema,
        response: { 200: StatusHistorySchema, ...problemResponses },
      },
      preHandler: staff,
    },
    (req) => app.services.coordination.statusHistory(req.actor, req.body),
  );
};
