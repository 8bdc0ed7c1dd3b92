import { LOCATION_HEADER } from '../../plugins/docs.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { careRelationResponses, notFoundResponse, Problem, problemResponses } from '../../lib/schemas.js';
import {
  ClosingBodySchema,
  ConsentCheckBodySchema,
  ConsentCheckResultSchema,
  ConsentIdParams,
  ConsentListSchema,
  ConsentSchema,
  NewConsentSchema,
  PatientConsentsBodySchema,
} from './schemas.js';

const closedResponse = {
  409: Problem.describe(
    'The consent is already closed the other way: voiding a revoked one or revoking a voided one (type …/consent-closed); both are final. The same closing again answers the first one unchanged (200)',
  ),
};

export const consentsRoutes: FastifyPluginAsyncZod = async (app) => {
  const staff = app.requireRole(['coordinator', 'doctor']);
  const security = [{ bearerAuth: [] }];
  const tags = ['consents'];

  app.post(
    '/v1/consents',
    {
      schema: {
        tags,
        summary: 'Record a patient’s consent (coordination or information sharing)',
        security,
        body: NewConsentSchema,
        response: { 201: ConsentSchema, ...problemResponses },
        [LOCATION_HEADER]: true,
      },
      preHandler: staff,
    },
    async (req, reply) => {
      const consent = await app.services.consents.create(req.actor, req.body);
      return reply.code(201).header('location', `/v1/consents/${consent.id}`).send(consent);
    },
  );

  app.get(
    '/v1/consents/:id',
    {
      schema: {
        tags,
        summary: 'One consent (403 for another care giver’s or another unit’s)',
        security,
        params: ConsentIdParams,
        response: { 200: ConsentSchema, ...problemResponses, ...notFoundResponse },
      },
      preHandler: staff,
    },
    (req) => app.services.consents.get(req.actor, req.params.id),
  );

  app.post(
    '/v1/consents/:id/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke a consent (final; the record stays, with who, when and why)',
        security,
        params: ConsentIdParams,
        body: ClosingBodySchema,
        response: { 200: ConsentSchema, ...problemResponses, ...notFoundResponse, ...closedResponse },
      },
      preHandler: staff,
    },
    (req) => app.services.consents.revoke(req.actor, req.params.id, req.body.reason),
  );

  app.post(
    '/v1/consents/:id/void',
    {
      schema: {
        tags,
        summary: 'Void a consent registered in error (final; the record stays)',
        security,
        params: ConsentIdParams,
        body: ClosingBodySchema,
        response: { 200: ConsentSchema, ...problemResponses, ...notFoundResponse, ...closedResponse },
      },
      preHandler: staff,
    },
    (req) => app.services.consents.void(req.actor, req.params.id, req.body.reason),
  );

  app.post(
    '/v1/patients/consents',
    {
      schema: {
        tags,
        summary: 'The patient’s consents at every unit of the caller’s care giver, revoked and voided included',
        description:
          'Free text (purpose, journal reference, reasons) is returned only for consents of units in the token.',
        security,
        body: PatientConsentsBodySchema,
        response: { 200: ConsentListSchema, ...problemResponses, ...careRelationResponses },
      },
      preHandler: staff,
    },
    (req) => app.services.consents.listForPatient(req.actor, req.body),
  );

  app.post(
    '/v1/consent-checks',
    {
      schema: {
        tags,
        summary: 'Is there a valid consent of the patient at the unit, for the kind and actor, on a day?',
        description:
          'Valid means started, not expired (validUntil inclusive), not revoked and not voided. A revocation is ' +
          'final: a revoked consent allows nothing afterwards, whatever day is asked about (a check comes before ' +
          'sharing or acting). Only an effort that documents what was done on a day before the revocation still ' +
          'rests on it (see POST /v1/coordination-efforts).',
        security,
        body: ConsentCheckBodySchema,
        response: { 200: ConsentCheckResultSchema, ...problemResponses },
      },
      preHandler: staff,
    },
    (req) => app.services.consents.check(req.actor, req.body),
  );
};
