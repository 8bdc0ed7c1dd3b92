/**
 * Shared by the hardening and object-access tests: the served contract's operations, the roles each one accepts,
 * a small seeded world (a certificate, two consents, an effort) and the "nothing was written" probe.
 */
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { type Database, queryRows } from '../../src/db/client.js';
import { type Operation, exampleFor, type OpenApi, operationsOf } from '../security/openapi-walk.js';
import { tokenFor, UNIT } from '../helpers/tokens.js';

export const ROLES = ['doctor', 'coordinator', 'ehr', 'auditor'] as const;
export type RoleName = (typeof ROLES)[number];
export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Ids of the seeded resources, by the collection their paths start with. */
export type SeededIds = Record<string, string>;

/** A well-formed id of each collection that no seeded resource has. */
export const MISSING_IDS: SeededIds = {
  '/v1/certificates/': 'c-does-not-exist-1',
  '/v1/consents/': '5b0c9a52-7a3e-4f0e-9a51-2f6d1c0e9a11',
  '/v1/coordination-efforts/': '7e1d3f0a-2c4b-4d6e-8f10-3a5b7c9d1e2f',
};

export async function securedOperations(app: FastifyInstance): Promise<Operation[]> {
  const doc = (await app.inject({ url: '/openapi.json' })).json() as OpenApi;
  return operationsOf(doc).filter((op) => op.secured);
}

export const label = (op: Operation) => `${op.method.toUpperCase()} ${op.path}`;

/** The collection of an operation whose path has an `{id}`, e.g. `/v1/consents/`. */
export function collectionOf(op: Operation): string | undefined {
  const i = op.path.indexOf('{id}');
  return i < 0 ? undefined : op.path.slice(0, i);
}

export function urlFor(op: Operation, ids: SeededIds, unitId = UNIT): string {
  return op.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
    name === 'unitId' ? unitId : encodeURIComponent(ids[collectionOf(op) ?? ''] ?? 'x'),
  );
}

/** The schema's example body, with optional cursors dropped (an example cursor is never one of ours). */
export function exampleBody(op: Operation): Record<string, unknown> | undefined {
  if (!op.body) return undefined;
  const body = exampleFor(op.body, op.doc) as Record<string, unknown>;
  if (body && typeof body === 'object' && !op.body.required?.includes('cursor')) delete body.cursor;
  return body;
}

export const auth = (role: string, claims: Record<string, unknown> = {}) => ({
  authorization: `Bearer ${tokenFor({ role, ...claims })}`,
});

/**
 * The roles the operation lets act for UNIT: those not refused with 403 for its example request. Operations on one
 * resource are probed on an id that does not exist (the role is checked first), so probing changes nothing.
 */
export async function allowedRoles(app: FastifyInstance, op: Operation): Promise<RoleName[]> {
  const out: RoleName[] = [];
  for (const role of ROLES) {
    const res = await app.inject({
      method: op.method.toUpperCase() as Method,
      url: urlFor(op, MISSING_IDS),
      payload: exampleBody(op),
      headers: auth(role),
    });
    if (res.statusCode !== 403) out.push(role);
  }
  return out;
}

function operation(ops: Operation[], method: string, path: string): Operation {
  const op = ops.find((o) => o.method === method && o.path === path);
  if (!op) throw new Error(`the contract has no ${method} ${path}`);
  return op;
}

async function created(res: LightMyRequestResponse, what: string): Promise<string> {
  if (res.statusCode !== 201) throw new Error(`seeding ${what}: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

/**
 * A certificate, a coordination and an information-sharing consent and an external-collaboration effort at UNIT of
 * CARE_GIVER, all posted through the API with the contract's own example bodies.
 */
export async function seed(app: FastifyInstance, ops: Operation[]): Promise<SeededIds> {
  const post = (path: string, role: string, patch: Record<string, unknown> = {}) =>
    app.inject({
      method: 'POST',
      url: path,
      payload: { ...exampleBody(operation(ops, 'post', path)), ...patch },
      headers: auth(role),
    });
  const certificate = await created(await post('/v1/certificates', 'ehr'), 'certificate');
  await created(
    await post('/v1/consents', 'coordinator', { kind: 'coordination', actors: undefined }),
    'coordination consent',
  );
  const consent = await created(await post('/v1/consents', 'coordinator'), 'consent');
  const effort = await created(await post('/v1/coordination-efforts', 'coordinator'), 'effort');
  return {
    '/v1/certificates/': certificate,
    '/v1/consents/': consent,
    '/v1/coordination-efforts/': effort,
  };
}

/** Row counts of every table except the audit trail (checked per request id instead: reads append to it). */
export async function tableCounts(database: Database): Promise<Record<string, number>> {
  const tables = await queryRows<{ name: string }>(
    database.db,
    sql`select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'audit%'
        order by table_name`,
  );
  const select = tables.map((t) => `(select count(*)::int from "${t.name}") as "${t.name}"`).join(', ');
  return (await queryRows<Record<string, number>>(database.db, sql.raw(`select ${select}`)))[0]!;
}

export async function auditEventsOf(database: Database, requestIds: string[]): Promise<number> {
  if (requestIds.length === 0) return 0;
  const rows = await queryRows<{ n: number }>(
    database.db,
    sql`select count(*)::int as n from audit_events where request_id = any(${`{${requestIds.join(',')}}`}::text[])`,
  );
  return rows[0]!.n;
}

/** Never a 5xx; anything but 2xx is problem+json whose `status` is the response's. */
export function expectWellFormed(res: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`).toBeLessThan(500);
  if (res.statusCode >= 300) {
    expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
    const problem = res.json() as { status?: number; type?: string; title?: string };
    expect(problem.status, what).toBe(res.statusCode);
    expect(typeof problem.type, what).toBe('string');
    expect(typeof problem.title, what).toBe('string');
  }
}

/** A fast-check failure without a megabyte of counterexample: its start (seed, input) and end (the error). */
export function brief(error: unknown): string {
  const message = String((error as Error).message);
  return message.length <= 1600 ? message : `${message.slice(0, 600)} … ${message.slice(-1000)}`;
}

/**
 * Follows a run of hostile requests: each answer must be well formed, a rejected one must leave every table as it
 * was, and at the end no audit event may carry a rejected request's id; but for a refusal that tells of what is
 * stored (409, 412, 422: an effort's status, version or consent state), which is audited as a read or a check of it.
 */
const TELLING_REFUSALS = new Set([409, 412, 422]);

export async function rejectionTracker(database: Database) {
  const rejected: string[] = [];
  let before = await tableCounts(database);
  return {
    async check(res: LightMyRequestResponse, requestId: string, what: string, opLabel: string): Promise<void> {
      expectWellFormed(res, what);
      const after = await tableCounts(database);
      if (res.statusCode >= 400) {
        if (!TELLING_REFUSALS.has(res.statusCode)) rejected.push(requestId);
        expect(after, `${opLabel} ${res.statusCode} wrote rows`).toEqual(before);
      }
      before = after;
    },
    async expectNoAuditOfRejected(opLabel: string): Promise<void> {
      expect(await auditEventsOf(database, rejected), `${opLabel}: audit events of rejected requests`).toBe(0);
    },
  };
}
