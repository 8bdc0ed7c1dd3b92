import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { UNLIMITED_PATHS } from '../lib/rate-limit.js';
import { Problem, problemResponses, SCHEMA_REF } from '../lib/schemas.js';

export const API_DESCRIPTION = `Sick-leave overview, coordination efforts and consent for Swedish healthcare (Rehabstöd-style).

All patient data is scoped to the caller's care giver (\`careGiverId\` claim) and units (\`units\` claim); every read
and write of patient data leaves an audit event. Patient identifiers and names never travel in URLs: endpoints that take one are
POSTs with a JSON body. Every 4xx/5xx answer is \`application/problem+json\` (RFC 9457). A JSON body in which any text
(a value or a key) holds a NUL character or an unpaired UTF-16 surrogate escape (\`\\uD800\`–\`\\uDFFF\` alone) is
refused as a whole with 400 naming the field: PostgreSQL cannot store either. So is a body nesting objects and arrays
more than 32 levels deep, and one naming a key twice in an object. A body sent as \`application/json\` that is empty (or JSON
whitespace only) is no body: an operation that needs one answers 400 "is required" (a body of another media type is 415,
empty or not). Bodies are \`application/json\` in
UTF-8 and uncompressed: another media type, a \`charset\` other than UTF-8, or a \`Content-Encoding\` other than
\`identity\` is 415. Every answer carries \`Cache-Control: no-store\`: none may be kept by a browser or proxy cache.
A request may send \`x-request-id\` (a UUID; anything else is replaced): every answer carries the request's id back in
\`X-Request-Id\`, and the log lines and audit events of the request name it. A path of this API asked with a method it
does not have is 405 with \`Allow\` naming the methods it has (HEAD included: only \`/health/live\` and \`/health/ready\`
answer HEAD, as their GET without a body); a path it does not have is 404.`;

/**
 * The OpenAPI document is generated from the routes' zod schemas; `npm run openapi` writes it to openapi.yaml and a
 * test fails when the committed file differs. The document is registered even when DOCS_ENABLED is off (it is what
 * openapi.yaml is built from); the flag only hides the interactive reference and /openapi.json.
 */
type OpenApiDocument = { components?: { schemas?: Record<string, unknown> }; [key: string]: unknown };

/** 'GET /v1/units/:unitId/sick-leaves' → 'getUnitsUnitIdSickLeaves'. */
function operationId(method: string | string[], url: string): string {
  const verb = (Array.isArray(method) ? method[0]! : method).toLowerCase();
  const words = url
    .replace(/^\/v1\//, '/')
    .split(/[/:{}.-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return verb + words.join('');
}

/** Every schema marked with SCHEMA_REF, replaced by a $ref to the component it names (its description kept). */
function withSchemaRefs(doc: OpenApiDocument): OpenApiDocument {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (!value || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    const target = record[SCHEMA_REF];
    if (typeof target === 'string') {
      if (!doc.components?.schemas?.[target]) throw new Error(`${SCHEMA_REF}: no component schema ${target}`);
      return {
        $ref: `#/components/schemas/${target}`,
        ...(record.description ? { description: record.description } : {}),
      };
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, visit(v)]));
  };
  return visit(doc) as OpenApiDocument;
}

/** The zod transform registers input and output variants of every named schema; keep only those referenced. */
function withoutUnusedSchemas(doc: OpenApiDocument): OpenApiDocument {
  const schemas = doc.components?.schemas;
  if (!schemas) return doc;
  let names = Object.keys(schemas);
  for (;;) {
    const text =
      JSON.stringify({ ...doc, components: { ...doc.components, schemas: undefined } }) +
      JSON.stringify(names.map((n) => schemas[n]));
    const used = names.filter((n) => text.includes(`"#/components/schemas/${n}"`));
    if (used.length === names.length) break;
    names = used;
  }
  return { ...doc, components: { ...doc.components, schemas: Object.fromEntries(names.map((n) => [n, schemas[n]])) } };
}

type Responses = Record<string, { description?: string; content?: Record<string, unknown>; headers?: unknown }>;
type Operation = {
  requestBody?: { required?: boolean };
  responses?: Responses;
  [OPTIONAL_BODY]?: boolean;
  [ETAG_HEADER]?: boolean;
  [LOCATION_HEADER]?: boolean;
  [TEXT_BODY]?: string;
};

/**
 * A route schema's mark for a body that may be left out (`schema: { [OPTIONAL_BODY]: true }`): @fastify/swagger
 * declares every body required, and copies x- keys onto the operation, where withProblemResponses reads it.
 */
export const OPTIONAL_BODY = 'x-optional-body';

/** A route schema's mark for answers that carry the resource's version as an ETag (declared on its 2xx answers). */
export const ETAG_HEADER = 'x-etag';

/** A route schema's mark for a 201 that names the created resource's address in Location. */
export const LOCATION_HEADER = 'x-location';

/** A route schema's mark for a 200 answered as text of this media type (the zod transform declares JSON). */
export const TEXT_BODY = 'x-text-body';

/** Headers the service sends, declared once (components.headers) and referred to from each answer that carries one. */
const HEADERS = {
  'X-Request-Id': {
    description:
      'The request id: the caller’s x-request-id when it was a UUID holding no personal identity number, else one made here; it is in the log lines and the audit events of the request',
    schema: { type: 'string' as const, format: 'uuid' },
  },
  'Retry-After': {
    description: 'Seconds to wait before sending the request again',
    schema: { type: 'integer' as const },
  },
  'X-RateLimit-Limit': {
    description:
      'Requests a client address may send per window (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS), failed authentication included',
    schema: { type: 'integer' as const, example: 1000 },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left to this client address in the current window',
    schema: { type: 'integer' as const, minimum: 0 },
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the current window ends and the count starts again',
    schema: { type: 'integer' as const, minimum: 0 },
  },
  Location: {
    description: 'The address of what was created (its GET), relative to the service',
    schema: {
      type: 'string' as const,
      format: 'uri-reference',
      example: '/v1/consents/8d3c1f0e-5b7a-4c2e-9f1d-2a6b4c8e0f13',
    },
  },
  'WWW-Authenticate': {
    description: 'The Bearer challenge (RFC 6750), with error="invalid_token" when a token was sent',
    schema: { type: 'string' as const, example: 'Bearer realm="samverkan", error="invalid_token"' },
  },
};
const headerRef = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

/**
 * Error answers as the service sends them: the zod transform declares every response `application/json`, while every
 * 4xx/5xx is `application/problem+json`. An operation that takes a body can also answer 408, 413 and 415 (checked
 * before its schema runs), which no route declares itself.
 */
function withProblemResponses(doc: OpenApiDocument): OpenApiDocument {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Operation>>;
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const limited = !(UNLIMITED_PATHS.has(path) && (method === 'get' || method === 'head'));
      if (operation[OPTIONAL_BODY]) {
        if (operation.requestBody) operation.requestBody.required = false;
        delete operation[OPTIONAL_BODY];
      }
      const responses = operation.responses;
      if (operation[ETAG_HEADER]) {
        for (const [status, response] of Object.entries(responses ?? {})) {
          // A 412 and a refused status change (409) carry the current version too, so a client can tell what it missed.
          if ((Number(status) < 200 || Number(status) >= 300) && status !== '412' && status !== '409') continue;
          response.headers = {
            ETag: {
              description:
                'The version as a strong entity tag ("3"); send it back in If-Match to change it only if unchanged',
              schema: { type: 'string', example: '"3"' },
            },
          };
        }
        delete operation[ETAG_HEADER];
      }
      const location = operation[LOCATION_HEADER];
      delete operation[LOCATION_HEADER];
      const text = operation[TEXT_BODY];
      delete operation[TEXT_BODY];
      if (!responses) continue;
      if (text && responses['200']) {
        const json = responses['200'].content?.['application/json'] as unknown;
        responses['200'].content = { [text]: json ?? { schema: { type: 'string' } } };
      }
      for (const [status, response] of Object.entries(responses)) {
        const json = response.content?.['application/json'];
        if (Number(status) >= 400 && json) response.content = { 'application/problem+json': json };
      }
      const problem = responses['400']?.content?.['application/problem+json'];
      if (operation.requestBody && problem) {
        responses['413'] ??= {
          description: 'The body is larger than BODY_LIMIT_BYTES',
          content: { 'application/problem+json': structuredClone(problem) },
        };
        responses['415'] ??= {
          description: 'The body is not application/json, not UTF-8, or compressed',
          content: { 'application/problem+json': structuredClone(problem) },
        };
        // Answered by the HTTP server itself, before any route, to a body sent too slowly (see REQUEST_TIMEOUT_MS).
        responses['408'] ??= {
          description:
            'The request (headers and body) did not arrive whole within REQUEST_TIMEOUT_MS (30 s by default)',
          content: { 'application/problem+json': structuredClone(problem) },
        };
      }
      // Every answer carries its request id, and of a limited operation the rate limit's count (except a 408 and a
      // 431, which the HTTP server's parser refuses before any hook: clientErrorHandler); 429 and 503 Retry-After
      // (the rate limit's window, load shedding's and the database's retry); 401 the Bearer challenge.
      for (const [status, response] of Object.entries(responses)) {
        const headers = (response.headers ?? {}) as Record<string, unknown>;
        headers['X-Request-Id'] = headerRef('X-Request-Id');
        if (limited && status !== '408' && status !== '431') {
          headers['X-RateLimit-Limit'] = headerRef('X-RateLimit-Limit');
          headers['X-RateLimit-Remaining'] = headerRef('X-RateLimit-Remaining');
          headers['X-RateLimit-Reset'] = headerRef('X-RateLimit-Reset');
        }
        if (status === '429' || status === '503') headers['Retry-After'] = headerRef('Retry-After');
        if (status === '401') headers['WWW-Authenticate'] = headerRef('WWW-Authenticate');
        if (status === '201' && location) headers.Location = headerRef('Location');
        response.headers = headers;
      }
    }
    // A HEAD (the probes') answers as its GET, without a body.
    for (const response of Object.values(operations.head?.responses ?? {})) {
      delete response.content;
      if (response.description === 'Default Response') response.description = 'As the GET, without a body';
    }
  }
  return doc;
}

export const docsPlugin = fp(async (app: FastifyInstance, opts: { enabled: boolean }) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'samverkan',
        version: '1.0.0',
        description: API_DESCRIPTION,
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      servers: [{ url: '/', description: 'This service' }],
      tags: [
        { name: 'operations', description: 'Health, readiness and metrics' },
        { name: 'certificates', description: 'Sick-leave certificates sent by EHR systems' },
        { name: 'sick-leaves', description: 'Sick-leave cases built from certificates' },
        { name: 'consents', description: 'Patient consent to coordination and information sharing' },
        { name: 'coordination', description: 'Coordination efforts (koordineringsinsatser) and coordinator status' },
        { name: 'audit', description: 'The audit trail (who accessed which patient’s data)' },
      ],
      components: {
        headers: HEADERS,
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'A JWT with sub, role, careGiverId, units and exp (and iss/aud when the service is configured with them); a token whose exp is further ahead than JWT_MAX_LIFETIME_MS (12 h by default), or whose header or payload names a key twice, is refused.',
          },
          metricsToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'The METRICS_TOKEN the service is started with (32 characters or more), for GET /metrics only; without METRICS_TOKEN, /metrics is open.',
          },
        },
      },
    },
    transform: (input) => {
      const out = jsonSchemaTransform(input);
      const schema = out.schema as Record<string, unknown>;
      // Every operation gets a stable id and an explicit security list (public probes say so with []).
      schema.operationId ??= operationId(input.route.method, out.url);
      schema.security ??= [];
      return out;
    },
    transformObject: (input) =>
      withProblemResponses(
        withoutUnusedSchemas(withSchemaRefs(jsonSchemaTransformObject(input) as OpenApiDocument)),
      ) as ReturnType<typeof jsonSchemaTransformObject>,
  });
  if (!opts.enabled) return;
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['operations'],
        summary: 'This OpenAPI document',
        // Rate limited as the API is (only the probes and /metrics are not).
        response: {
          200: z.record(z.string(), z.unknown()),
          429: Problem.describe('Too many requests from this client'),
          431: problemResponses[431],
        },
      },
    },
    async () => app.swagger(),
  );
});
