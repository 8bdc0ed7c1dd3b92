import type { FastifyInstance } from 'fastify';
import { CARE_GIVER, DOCTOR, UNIT, bearer } from '../../helpers/tokens.js';

export const PATIENT = '191212121212';

/** A valid FK7804 body; override anything to build the case a test needs. */
export function certificateBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'c-2026-000123',
    type: 'FK7804',
    patient: { id: PATIENT, name: 'Tolvan Tolvansson' },
    issuedBy: { id: DOCTOR, name: 'Dr Lisa Läkare' },
    unit: { id: UNIT, name: 'Vårdcentralen Norr' },
    careGiver: { id: CARE_GIVER, name: 'Region Exempel' },
    signedAt: '2026-11-20T09:30:00Z',
    diagnoses: [{ code: 'F32.1' }, { code: 'M54.5' }],
    periods: [
      { degree: 100, start: '2026-11-20', end: '2026-12-03' },
      { degree: 50, start: '2026-12-04', end: '2026-12-17' },
    ],
    occupations: ['CURRENT_JOB'],
    ...overrides,
  };
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
