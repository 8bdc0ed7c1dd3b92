import { LOCATION_HEADER, OPTIONAL_BODY } from '../../plugins/docs.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { notFoundResponse, Problem, problemResponses } from '../../lib/schemas.js';
import {
  BatchBody,
  BatchResultSchema,
  CertificateInput,
  CertificateParams,
  CertificateSchema,
  RevokeBody,
} from './schemas.js';

export const certificatesRoutes: FastifyPluginAsyncZod = async (app) => {
  const ehr = app.requireRole(['ehr']);
  const readers = app.requireRole(['doctor', 'coordinator']);
  const security = [{ bearerAuth: [] }];
  const conflict = {
    409: Problem.describe(
      'A certificate of this care giver with this id exists with different content (`certificateId` names it)',
    ),
  };

  app.post(
    '/v1/certificates',
    {
      schema: {
        tags: ['certificates'],
        summary: 'Store one certificate (idempotent by care giver and id)',
        description:
          'A certificate is identified by its care giver and its id in the issuing system: another care giver may ' +
          'hold a certificate with the same id, which is another certificate. 201 when stored, 200 with the stored ' +
          'certificate when the care giver posts the same id again with the same content, 409 when the care giver ' +
          'has that id with different content. A relation names a certificate of the same care giver.',
        security,
        body: CertificateInput,
        response: {
          201: CertificateSchema.describe('Stored'),
          200: CertificateSchema.describe('Already stored with identical content'),
          ...problemResponses,
          ...conflict,
        },
        [LOCATION_HEADER]: true,
      },
      preHandler: ehr,
    },
    async (req, reply) => {
      const { created, certificate } = await app.services.certificates.create(req.actor, req.body);
      if (created) reply.header('location', `/v1/certificates/${encodeURIComponent(certificate.id)}`);
      return reply.code(created ? 201 : 200).send(certificate);
    },
  );

  app.post(
    '/v1/certificates/batch',
    {
      schema: {
        tags: ['certificates'],
        summary: 'Store up to 1,000 certificates; each stands or falls alone',
        description:
          'Each item is answered on its own: one for another care giver, a unit outside the token or of another care ' +
          'giver, or replacing a certificate of a unit outside the token is `forbidden` and the others are stored; a ' +
          'batch of which the caller may write none is 403. An invalid item lists at ' +
          'most 10 errors (then "and N more"); once the answer lists 500, each further invalid item gets one line, ' +
          '"not listed (500 errors listed already)".',
        security,
        body: BatchBody,
        response: { 200: BatchResultSchema, ...problemResponses },
      },
      preHandler: ehr,
    },
    (req) => app.services.certificates.createBatch(req.actor, req.body.certificates),
  );

  app.post(
    '/v1/certificates/:id/revoke',
    {
      schema: {
        tags: ['certificates'],
        summary: 'Revoke (makulera) a certificate; final and idempotent',
        description:
          "The caller's care giver's certificate with this id; an id only another care giver holds is 404, as an " +
          'id that does not exist.',
        security,
        params: CertificateParams,
        body: RevokeBody.nullish(),
        // A revocation needs no reason: the body may be left out.
        [OPTIONAL_BODY]: true,
        response: { 200: CertificateSchema, ...problemResponses, ...notFoundResponse },
      },
      preHandler: ehr,
    },
    (req) => app.services.certificates.revoke(req.actor, req.params.id, req.body),
  );

  app.get(
    '/v1/certificates/:id',
    {
      schema: {
        tags: ['certificates'],
        summary: 'One certificate of a unit in the token',
        description:
          "The caller's care giver's certificate with this id (ids are unique within a care giver only); an id " +
          'only another care giver holds is 404, as an id that does not exist.',
        security,
        params: CertificateParams,
        response: { 200: CertificateSchema, ...problemResponses, ...notFoundResponse },
      },
      preHandler: readers,
    },
    (req) => app.services.certificates.get(req.actor, req.params.id),
  );
};
