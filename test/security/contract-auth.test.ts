/**
 * Authorisation derived from the served OpenAPI document, so every new route is covered without writing a test:
 * every secured operation refuses bad tokens with 401, and refuses every role acting for a unit outside its token
 * (or another care giver) with 401/403 — never data.
 */
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { CARE_GIVER, OTHER_CARE_GIVER, OTHER_UNIT, TEST_SECRET, tokenFor, UNIT } from '../helpers/tokens.js';
import { exampleFor, type OpenApi, operationsOf } from './openapi-walk.js';

const ctx = useTestApp();
const ROLES = ['doctor', 'coordinator', 'ehr', 'auditor'] as const;

function unsigned(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'SE2321000016-X001', role: 'coordinator', careGiverId: CARE_GIVER, units: [UNIT], exp: Math.floor(Date.now() / 1000) + 600 })}.`;
}

const BAD_TOKENS: Record<string, () => string | undefined> = {
  'no token': () => undefined,
  'alg none': unsigned,
  expired: () => tokenFor({ role: 'coordinator' }, { expiresInMs: -1_000 }),
  'not valid yet': () => tokenFor({ role: 'coordinator' }, { notBefore: 3_600_000 }),
  'wrong key': () => tokenFor({ role: 'coordinator' }, { key: `${TEST_SECRET}-but-another` }),
  oversized: () => `${tokenFor({ role: 'coordinator' })}${'A'.repeat(9_000)}`,
};

async function operations() {
  const doc = (await ctx.app.inject({ url: '/openapi.json' })).json() as OpenApi;
  return operationsOf(doc).filter((op) => op.secured);
}

/** A request for the operation acting for `unitId`, with a plausible body from the schema's examples. */
function requestFor(op: Awaited<ReturnType<typeof operations>>[number], unitId: string) {
  const url = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'unitId' ? unitId : 'c-does-not-exist-1'));
  const body = op.body ? (exampleFor(op.body, op.doc) as Record<string, unknown>) : undefined;
  if (body && typeof body === 'object' && 'unitId' in (op.body?.properties ?? {})) body.unitId = unitId;
  return { method: op.method.toUpperCase() as 'GET', url, payload: body };
}

describe('every secured operation in the contract', () => {
  it('is found (the walk sees the routes)', async () => {
    expect((await operations()).length).toBeGreaterThanOrEqual(2);
  });

  for (const [name, token] of Object.entries(BAD_TOKENS)) {
    it(`answers 401 problem+json with ${name}`, async () => {
      for (const op of await operations()) {
        const t = token();
        const res = await ctx.app.inject({
          ...requestFor(op, UNIT),
          headers: t ? { authorization: `Bearer ${t}` } : {},
        });
        expect.soft(res.statusCode, `${op.method.toUpperCase()} ${op.path}`).toBe(401);
        expect.soft(res.headers['content-type'], `${op.method} ${op.path}`).toContain('application/problem+json');
      }
    });
  }

  it('refuses every role acting for a unit outside its token', async () => {
    for (const op of await operations()) {
      if (!op.path.includes('{unitId}') && !('unitId' in (op.body?.properties ?? {}))) continue;
      for (const role of ROLES) {
        const res = await ctx.app.inject({
          ...requestFor(op, OTHER_UNIT),
          headers: { authorization: `Bearer ${tokenFor({ role, units: [UNIT] })}` },
        });
        expect
          .soft([400, 403], `${role} ${op.method.toUpperCase()} ${op.path} → ${res.statusCode}`)
          .toContain(res.statusCode);
        expect.soft(res.headers['content-type']).toContain('application/problem+json');
      }
    }
  });

  it('never answers 2xx to a role of another care giver', async () => {
    for (const op of await operations()) {
      for (const role of ROLES) {
        const res = await ctx.app.inject({
          ...requestFor(op, UNIT),
          headers: {
            authorization: `Bearer ${tokenFor({ role, careGiverId: OTHER_CARE_GIVER, units: [OTHER_UNIT] })}`,
          },
        });
        if (op.path === '/v1/audit-events' && role === 'auditor') continue; // the auditor sees its own (empty) log
        expect.soft(res.statusCode, `${role} ${op.method.toUpperCase()} ${op.path}`).toBeGreaterThanOrEqual(400);
        expect.soft(res.statusCode, `${role} ${op.method.toUpperCase()} ${op.path}`).toBeLessThan(500);
      }
    }
  });
});
