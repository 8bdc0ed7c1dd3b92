import { randomUUID } from 'node:crypto';
/**
 * Object-level authorisation, derived from the served contract: every operation on one resource (a path with `{id}`:
 * certificates, consents, coordination efforts, and whatever is added later) is tried on a resource of care giver A
 * by every role of care giver B. The answer is 403, as the outline has it for a resource of another care giver
 * (an id that does not exist is 404 for a role that may use the operation), shows nothing of the resource, and
 * nothing is written or audited. Certificates are the exception: their ids are the issuing systems', unique within a
 * care giver only (care giver B may hold a certificate with the same id), so an id only A holds is simply not one of
 * B's certificates and is answered exactly as an id nobody holds (404 for a role that may use the operation, 403 for
 * one that may not); it was 403 while certificate ids were shared by all care givers. A user of the same care giver but another unit is refused the same way on every
 * operation (403, the unit is not in the token), and learns nothing of the resource's content.
 */
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { CARE_GIVER, OTHER_CARE_GIVER, OTHER_UNIT, UNIT } from '../helpers/tokens.js';
import {
  allowedRoles,
  auditEventsOf,
  auth,
  collectionOf,
  exampleBody,
  label,
  MISSING_IDS,
  type Method,
  ROLES,
  securedOperations,
  seed,
  tableCounts,
  urlFor,
} from '../hardening/harness.js';
import type { Operation } from './openapi-walk.js';

const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });
const OTHER_CARE_GIVERS_UNIT = 'SE2321000099-U001';
/** The collection whose ids are unique within a care giver only (see above). */
const PER_CARE_GIVER_IDS = '/v1/certificates/';

/** Care giver B, with its own unit, and with a token that (wrongly) claims A's unit id as well. */
const OUTSIDERS = {
  'care giver B': { careGiverId: OTHER_CARE_GIVER, units: [OTHER_CARE_GIVERS_UNIT] },
  "care giver B claiming A's unit id": { careGiverId: OTHER_CARE_GIVER, units: [UNIT, OTHER_CARE_GIVERS_UNIT] },
};

async function ask(op: Operation, ids: Record<string, string>, role: string, claims: object) {
  const requestId = randomUUID();
  const res = await ctx.app.inject({
    method: op.method.toUpperCase() as Method,
    url: urlFor(op, ids),
    payload: exampleBody(op),
    headers: { ...auth(role, { ...claims }), 'x-request-id': requestId },
  });
  return { res, requestId };
}

async function objectOperations() {
  const all = await securedOperations(ctx.app);
  const ops = all.filter((op) => collectionOf(op));
  const collections = new Set(ops.map(collectionOf));
  for (const c of ['/v1/certificates/', '/v1/consents/', '/v1/coordination-efforts/'])
    expect(collections, `the contract has operations on one of ${c}`).toContain(c);
  for (const c of collections) expect(MISSING_IDS[c!], `a missing id for ${c}`).toBeDefined();
  return { all, ops };
}

/** Each seeded resource as care giver A's coordinator (or the EHR for certificates) reads it. */
async function snapshotOf(ops: Operation[], ids: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const op of ops.filter((o) => o.method === 'get')) {
    const res = await ctx.app.inject({ url: urlFor(op, ids), headers: auth('coordinator') });
    expect(res.statusCode, label(op)).toBe(200);
    out[op.path] = res.body;
  }
  return out;
}

describe('object-level authorisation on every operation with an {id}', () => {
  it("care giver B is refused A's resources (403; certificates: as a missing id) on every operation, for every role, and learns nothing", async () => {
    const { all, ops } = await objectOperations();
    const ids = await seed(ctx.app, all);
    const before = await tableCounts(ctx.database);
    const resources = await snapshotOf(ops, ids);
    const rejected: string[] = [];
    let compared = 0;
    for (const op of ops) {
      for (const [who, claims] of Object.entries(OUTSIDERS)) {
        for (const role of ROLES) {
          const existing = await ask(op, ids, role, claims);
          const missing = await ask(op, MISSING_IDS, role, claims);
          rejected.push(existing.requestId, missing.requestId);
          const what = `${role} of ${who}: ${label(op)}`;
          if (collectionOf(op) === PER_CARE_GIVER_IDS) {
            expect.soft(existing.res.statusCode, `${what} (as for a missing id)`).toBe(missing.res.statusCode);
          } else {
            expect.soft(existing.res.statusCode, what).toBe(403);
          }
          expect.soft([403, 404], `${what} (missing)`).toContain(missing.res.statusCode);
          expect.soft(existing.res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
          for (const secret of ['191212121212', 'Tolvan'])
            expect.soft(existing.res.body, `${what} shows ${secret}`).not.toContain(secret);
          compared++;
        }
      }
    }
    expect(compared).toBe(ops.length * ROLES.length * Object.keys(OUTSIDERS).length);
    expect(await tableCounts(ctx.database)).toEqual(before);
    expect(await auditEventsOf(ctx.database, rejected)).toBe(0);
    expect(await snapshotOf(ops, ids)).toEqual(resources);
  });

  it('a user of the same care giver at another unit is refused alike on every operation, and learns nothing', async () => {
    const { all, ops } = await objectOperations();
    const ids = await seed(ctx.app, all);
    const roles = new Map<Operation, string[]>();
    for (const op of ops) roles.set(op, await allowedRoles(ctx.app, op));
    const before = await tableCounts(ctx.database);
    const resources = await snapshotOf(ops, ids);
    const rejected: string[] = [];
    const statuses = new Map<string, string[]>();
    for (const op of ops) {
      for (const role of roles.get(op)!) {
        const { res, requestId } = await ask(op, ids, role, { careGiverId: CARE_GIVER, units: [OTHER_UNIT] });
        rejected.push(requestId);
        const what = `${role} of ${OTHER_UNIT}: ${label(op)}`;
        expect.soft(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
        for (const secret of ['191212121212', 'Tolvan', UNIT, ids[collectionOf(op)!]!])
          expect.soft(res.body, `${what} shows ${secret}`).not.toContain(secret);
        statuses.set(String(res.statusCode), [...(statuses.get(String(res.statusCode)) ?? []), what]);
      }
    }
    // Inner secrecy: documented as 403 (the resource's unit is not in the token) on every operation alike.
    expect(Object.fromEntries(statuses), 'one status for every operation').toEqual({ 403: expect.any(Array) });
    expect(await tableCounts(ctx.database)).toEqual(before);
    expect(await auditEventsOf(ctx.database, rejected)).toBe(0);
    expect(await snapshotOf(ops, ids)).toEqual(resources);
  });
});
