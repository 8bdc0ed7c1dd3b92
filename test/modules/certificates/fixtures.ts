import type { FastifyInstance } from 'fastify';
import { CERTIFICATE_EXAMPLE } from '../../../src/modules/certificates/schemas.js';
import { bearer } from '../../helpers/tokens.js';

export const PATIENT = '191212121212';

/** A valid FK7804 body (the contract's example); override anything to build the case a test needs. */
export function certificateBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(CERTIFICATE_EXAMPLE), ...overrides };
}

export const ehrHeaders = (claims: Record<string, unknown> = {}) => bearer({ role: 'ehr', ...claims });

export function postCertificate(app: FastifyInstance, body: unknown, headers: Record<string, string> = ehrHeaders()) {
  return app.inject({ method: 'POST', url: '/v1/certificates', headers, payload: body as object });
}

export function postBatch(app: FastifyInstance, certificates: unknown[], headers = ehrHeaders()) {
  return app.inject({ method: 'POST', url: '/v1/certificates/batch', headers, payload: { certificates } });
}

export function revoke(app: FastifyInstance, id: string, body?: object, headers = ehrHeaders()) {
  return app.inject({
    method: 'POST',
    url: `/v1/certificates/${encodeURIComponent(id)}/revoke`,
    headers,
    ...(body ? { payload: body } : {}),
  });
}

export function getCertificate(app: FastifyInstance, id: string, headers = bearer({ role: 'coordinator' })) {
  return app.inject({ method: 'GET', url: `/v1/certificates/${encodeURIComponent(id)}`, headers });
}
