import { randomUUID } from 'node:crypto';
/**
 * Property-based input hardening for every POST/PATCH operation of the served contract: hostile bodies, sent with a
 * token of a role the operation accepts, are never a 5xx, every non-2xx is problem+json, and a 4xx writes nothing —
 * no row in any table, no audit event with the request's id.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import {
  allowedRoles,
  auth,
  brief,
  exampleBody,
  label,
  rejectionTracker,
  type Method,
  securedOperations,
  seed,
  urlFor,
} from './harness.js';
import { malformedPayload } from './hostile.js';

// Load shedding is tested elsewhere; a busy machine must not turn an answer into 503 here.
const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });
const RUNS = 120;

describe('hostile bodies on every POST/PATCH operation', () => {
  it('never a 5xx, always problem+json, and a 4xx writes nothing', { timeout: 240_000 }, async () => {
    const ops = (await securedOperations(ctx.app)).filter((op) => op.method === 'post' || op.method === 'patch');
    expect(ops.length).toBeGreaterThanOrEqual(10);
    const ids = await seed(ctx.app, ops);
    const failures: string[] = [];
    let sent = 0;
    for (const op of ops) {
      const roles = await allowedRoles(ctx.app, op);
      expect(roles.length, `${label(op)} accepts some role`).toBeGreaterThan(0);
      const url = urlFor(op, ids);
      const tracker = await rejectionTracker(ctx.database);
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...roles),
            malformedPayload(exampleBody(op) ?? {}),
            async (role, payload) => {
              const requestId = randomUUID();
              const res = await ctx.app.inject({
                method: op.method.toUpperCase() as Method,
                url,
                payload,
                headers: { ...auth(role), 'content-type': 'application/json', 'x-request-id': requestId },
              });
              sent++;
              await tracker.check(res, requestId, `${role} ${label(op)}`, label(op));
            },
          ),
          { numRuns: RUNS, endOnFailure: true },
        );
        await tracker.expectNoAuditOfRejected(label(op));
      } catch (error) {
        failures.push(`${label(op)}: ${brief(error)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(ops.length * RUNS);
    // The process still answers after all of it.
    expect((await ctx.app.inject({ url: '/health/live' })).statusCode).toBe(200);
  });
});
