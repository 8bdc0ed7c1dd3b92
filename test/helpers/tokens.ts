import { createSigner } from 'fast-jwt';
import { DEVELOPMENT_JWT_SECRET } from '../../src/config.js';
import type { Actor, Role } from '../../src/lib/actor.js';

export const CARE_GIVER = 'SE2321000016-CG01';
export const OTHER_CARE_GIVER = 'SE2321000099-CG02';
export const UNIT = 'SE2321000016-U001';
export const OTHER_UNIT = 'SE2321000016-U002';
export const DOCTOR = 'SE2321000016-D001';
export const OTHER_DOCTOR = 'SE2321000016-D002';
export const COORDINATOR = 'SE2321000016-K001';
export const EHR = 'SE2321000016-EHR1';
export const AUDITOR = 'SE2321000016-A001';
/** The coordinator of UNIT as a service sees them once authenticated, for tests that call services directly. */
export const COORDINATOR_ACTOR: Actor = {
  id: COORDINATOR,
  role: 'coordinator',
  careGiverId: CARE_GIVER,
  units: [UNIT],
  requestId: 'r-1',
};
export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

export interface TokenClaims {
  role: Role | string;
  sub?: string;
  careGiverId?: string;
  units?: string[];
  name?: string;
  [claim: string]: unknown;
}

const DEFAULT_SUB: Record<string, string> = { doctor: DOCTOR, coordinator: COORDINATOR, ehr: EHR, auditor: AUDITOR };

/** A token as an identity provider would issue it; override anything to build a bad one. */
export function tokenFor(
  claims: TokenClaims,
  options: { key?: string; expiresInMs?: number; iss?: string; aud?: string; notBefore?: number } = {},
): string {
  const sign = createSigner({
    key: options.key ?? TEST_SECRET,
    algorithm: 'HS256',
    expiresIn: options.expiresInMs ?? 3_600_000,
    ...(options.iss ? { iss: options.iss } : {}),
    ...(options.aud ? { aud: options.aud } : {}),
    ...(options.notBefore ? { notBefore: options.notBefore } : {}),
  });
  return sign({
    sub: DEFAULT_SUB[claims.role] ?? DOCTOR,
    careGiverId: CARE_GIVER,
    units: [UNIT],
    ...claims,
  });
}

export const bearer = (claims: TokenClaims) => ({ authorization: `Bearer ${tokenFor(claims)}` });

export { DEVELOPMENT_JWT_SECRET };
