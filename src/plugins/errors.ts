import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import {
  AppError,
  boundedFieldErrors,
  type FieldError,
  issueFieldErrors,
  PROBLEM_BASE,
  Forbidden,
  ServiceUnavailable,
} from '../lib/errors.js';
import {
  isConcurrencyConflict,
  isDatabaseUnavailable,
  isPoolExhausted,
  isSchemaMissing,
  isStatementTimeout,
  isUnitOfAnotherCareGiver,
} from '../db/errors.js';
import { newRequestId } from '../lib/request-id.js';
import { SECURITY_HEADERS } from './security-headers.js';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  [key: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  429: 'Too many requests',
  431: 'Request header fields too large',
  500: 'Internal server error',
  503: 'Service unavailable',
};

const SLUGS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
};

const VALIDATION_DETAIL: Record<string, string> = {
  body: 'The request body is not valid',
  querystring: 'The request querystring is not valid',
  params: 'The path parameters are not valid',
  headers: 'The request headers are not valid',
};

function locationPrefix(context: string | undefined): string {
  if (context === 'querystring') return 'query.';
  if (context === 'params') return 'params.';
  if (context === 'headers') return 'headers.';
  return '';
}

function toProblem(error: FastifyError | AppError | Error, request: FastifyRequest): ProblemBody {
  if (error instanceof AppError) {
    return { type: error.type, title: error.title, status: error.status, detail: error.message, ...error.extra };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const prefix = locationPrefix(error.validationContext);
    const errors: FieldError[] = boundedFieldErrors(
      error.validation.flatMap((v) =>
        issueFieldErrors(
          {
            path: v.instancePath.split('/').filter((p) => p !== ''),
            code: v.keyword,
            message: v.message ?? 'is not valid',
            keys: Array.isArray(v.params.keys) ? (v.params.keys as string[]) : undefined,
          },
          prefix,
        ),
      ),
    );
    return {
      type: `${PROBLEM_BASE}validation-failed`,
      title: 'Validation failed',
      status: 400,
      detail: VALIDATION_DETAIL[error.validationContext ?? 'body'] ?? 'The request is not valid',
      errors,
    };
  }
  if (isUnitOfAnotherCareGiver(error)) {
    const problem = new Forbidden('The unit belongs to another care giver');
    return { type: problem.type, title: problem.title, status: 403, detail: problem.message };
  }
  const unavailable = unavailableDetail(error);
  if (unavailable) {
    // A deadlock is worth knowing (the write paths take their locks in one order to avoid it), but the client only
    // needs to send the request again.
    if (isConcurrencyConflict(error)) request.log.warn({ code: 'concurrency-conflict' }, 'answered 503');
    // So is a statement that ran out of time: a query gone slow, or a lock held too long elsewhere.
    if (isStatementTimeout(error)) request.log.warn({ code: 'statement-timeout' }, 'answered 503');
    // A process whose pool stays full needs more connections or more processes (DATABASE_POOL_MAX).
    if (isPoolExhausted(error)) request.log.warn({ code: 'pool-exhausted' }, 'answered 503');
    // And an operator must act on this one: the database answers, but without the service's tables.
    if (isSchemaMissing(error))
      request.log.error({ code: 'schema-missing' }, 'answered 503: the database is not migrated');
    const problem = new ServiceUnavailable(unavailable);
    return { type: problem.type, title: problem.title, status: 503, detail: problem.message };
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) {
    const code = (error as FastifyError).code ?? '';
    return {
      type: PROBLEM_BASE + (SLUGS[code] ?? (status === 429 ? 'rate-limited' : 'bad-request')),
      title: TITLES[status] ?? 'Bad request',
      status,
      detail: status === 400 && code.startsWith('FST_ERR_CTP') ? 'The body is not valid JSON' : error.message,
    };
  }
  request.log.error({ err: error }, 'unhandled error');
  return {
    type: `${PROBLEM_BASE}internal`,
    title: 'Internal server error',
    status: 500,
    detail: isResponseSerializationError(error) ? 'The response could not be produced' : 'An unexpected error occurred',
  };
}

export const POOL_EXHAUSTED = 'Every database connection of this process is in use; retry shortly';

/** Why the request may succeed if sent again shortly (a 503), or undefined. */
function unavailableDetail(error: Error): string | undefined {
  if ((error as FastifyError).statusCode === 503) return 'The service is under too much load; retry shortly';
  if (isPoolExhausted(error)) return POOL_EXHAUSTED;
  if (isDatabaseUnavailable(error)) return 'The database is not reachable right now; retry shortly';
  if (isSchemaMissing(error)) return 'The database is not migrated; retry shortly';
  if (isConcurrencyConflict(error)) return 'A concurrent change got in the way; retry shortly';
  if (isStatementTimeout(error)) return 'The database took too long to answer; retry shortly';
  return undefined;
}

export function sendProblem(reply: FastifyReply, problem: ProblemBody): FastifyReply {
  if (problem.status === 503) reply.header('retry-after', '2');
  if (problem.status === 401) {
    // RFC 6750 §3: the scheme, and invalid_token when a bearer token was sent but not accepted.
    const sent = /^bearer /i.test(reply.request.headers.authorization ?? '');
    reply.header('www-authenticate', `Bearer realm="samverkan"${sent ? ', error="invalid_token"' : ''}`);
  }
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

type Limit = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * frameworkErrors, counted by the rate limit first (`limit()`: the app's limiter once it is registered): a request
 * refused before routing runs no hook, so 414s and bad percent-encodings were free to send without end.
 */
export function limitedFrameworkErrors(
  limit: () => Limit | undefined,
  forwardedClient?: (raw: FastifyRequest['raw']) => string,
) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    // Fastify makes this request without trustProxy: its ip is the proxy's, which put every client of a balancer in
    // one bucket (and in the log). The client the trusted proxies name, as on every other request.
    if (forwardedClient) Object.defineProperty(request, 'ip', { value: forwardedClient(request.raw) });
    const check = limit();
    if (!check) {
      frameworkErrors(error, request, reply);
      return;
    }
    check(request, reply).then(
      () => frameworkErrors(error, request, reply),
      (limited: FastifyError) => {
        reply.headers(SECURITY_HEADERS).header('x-request-id', request.id);
        sendProblem(reply, {
          type: `${PROBLEM_BASE}rate-limited`,
          title: TITLES[429]!,
          status: 429,
          detail: limited.message,
        });
        request.log.info({ res: { statusCode: 429 } }, 'request completed');
      },
    );
  };
}

/**
 * Errors the router raises before any hook or error handler runs (malformed percent-encoding in the path, a path
 * parameter over maxParamLength): problem+json like everything else, without echoing the URL back.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
  // No hook has run: the headers every answer carries are set here.
  reply.headers(SECURITY_HEADERS).header('x-request-id', request.id);
  sendProblem(reply, {
    type: PROBLEM_BASE + (status === 414 ? 'uri-too-long' : status >= 500 ? 'internal' : 'bad-request'),
    title: TITLES[status] ?? 'Bad request',
    status,
    detail:
      status === 414
        ? 'A path parameter is too long'
        : status >= 500
          ? 'An unexpected error occurred'
          : 'The URL is not valid (malformed percent-encoding)',
  });
  // Fastify logs no completion for an answer given here; every other request has one, which log queries count on.
  // (No response time: Fastify has not started the request's clock here.)
  request.log.info({ res: { statusCode: status } }, 'request completed');
}

const CLIENT_ERRORS: Record<string, { status: number; slug: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    slug: 'headers-too-large',
    detail: 'The request line and headers are too large (over 16 KB: a long query string, or a token over 8 KB)',
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, slug: 'request-timeout', detail: 'The request did not arrive in time' },
};

/**
 * A request Node's HTTP parser refused before Fastify saw it (headers too large, malformed HTTP, too slow): answered
 * as problem+json with the headers every answer carries, and logged by its code only. Fastify's own handler logs the
 * error whole at trace level, and the error holds the raw bytes of the request: its token and its body.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[error.code ?? ''];
  const status = known?.status ?? 400;
  // A request id of its own, as every answer has one: the log line and the answer can be matched.
  const requestId = newRequestId();
  this.log.debug({ code: error.code ?? 'unknown', reqId: requestId }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({
      type: PROBLEM_BASE + (known?.slug ?? 'bad-request'),
      title: STATUS_CODES[status] ?? 'Bad Request',
      status,
      detail: known?.detail ?? 'The request is not valid HTTP',
    });
    const headers = Object.entries({
      ...SECURITY_HEADERS,
      'x-request-id': requestId,
      'content-type': 'application/problem+json',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers}\r\n${body}`);
  }
  socket.destroy();
}

/**
 * The methods of each route's path pattern, so that a path the API has, asked with a method it lacks, is answered
 * 405 with `Allow` (RFC 9110 §15.5.6) rather than 404 as if the path did not exist.
 */
export class RouteMethods {
  private readonly routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(url: string, method: string | string[]): void {
    const route = this.routes.get(url) ?? {
      // A parameter is one segment; a trailing * (the API reference's static files) is any rest of the path.
      pattern: new RegExp(
        `^${url
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replace(/:[A-Za-z]+/g, '[^/]+')
          .replace(/\\\*$/, '.*')}$`,
      ),
      methods: new Set<string>(),
    };
    for (const m of Array.isArray(method) ? method : [method]) route.methods.add(m);
    this.routes.set(url, route);
  }

  allowedOn(path: string): string[] {
    const allowed = new Set<string>();
    for (const { pattern, methods } of this.routes.values())
      if (pattern.test(path)) for (const m of methods) allowed.add(m);
    return [...allowed].sort();
  }
}

/**
 * The answer to a request no route takes (set in app.ts, after rate limiting, which it goes through too): 405 for a
 * known path, else 404. Neither echoes the URL: a client that put a personal identity number into it would get it
 * back in the body (and in whatever logs the body).
 */
export const notFound =
  (routes: RouteMethods, docsEnabled: boolean) => (request: FastifyRequest, reply: FastifyReply) => {
    const allowed = routes.allowedOn(request.url.split('?')[0] ?? '');
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(reply, {
        type: `${PROBLEM_BASE}method-not-allowed`,
        title: 'Method not allowed',
        status: 405,
        detail: `This path has no ${request.method} operation; it has ${allowed.join(', ')}`,
      });
    }
    return sendProblem(reply, {
      type: `${PROBLEM_BASE}not-found`,
      title: 'Not found',
      status: 404,
      // Pointing to the contract only where it is served (DOCS_ENABLED=false turns /openapi.json off).
      detail: docsEnabled
        ? 'No operation has this path (the contract is at /openapi.json)'
        : 'No operation has this path',
    });
  };

/** One place turns every error — ours and Fastify's — into application/problem+json; a 5xx never shows internals. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error as FastifyError, request);
    if (problem.status >= 500 && problem.status !== 503) reply.header('cache-control', 'no-store');
    return sendProblem(reply, problem);
  });
});
