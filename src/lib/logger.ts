import type { FastifyRequest } from 'fastify';
import { type LoggerOptions, stdSerializers } from 'pino';
import { clientAddress } from './client-address.js';

/**
 * Technical logs never carry a personal identity number, a name or free text from a record. Request bodies are
 * never logged, and neither is the URL: a client may wrongly put a personal identity number in a path or a query
 * string, so only the matched route pattern is logged (the request id correlates). These paths are redacted should
 * any object reach a log line anyway.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.patientId',
  '*.patient',
  '*.name',
  '*.note',
  '*.purpose',
  '*.reason',
  '*.journalReference',
  'body',
  '*.body',
  // Node's HTTP parser puts the raw bytes of a request it refuses on its error (token and body included).
  'err.rawPacket',
  '*.rawPacket',
];

interface DatabaseErrorFields {
  code?: string;
  message?: string;
  constraint?: string;
  table?: string;
  column?: string;
  routine?: string;
}

/** Quoted values and `(column)=(value)` details of a database message: they can be the data that failed. */
const scrubDatabaseMessage = (message: string) =>
  message.replace(/"[^"]*"|'[^']*'/g, '"…"').replace(/\([^)]*\)=\([^)]*\)/g, '(…)=(…)');

/**
 * Errors as pino logs them, except a failed query (drizzle's DrizzleQueryError): its message and stack carry the
 * query's parameters, i.e. the patient data being written or looked up. Only what failed is kept: the SQLSTATE, the
 * constraint, table and column, and the database's message with quoted values removed.
 */
export function serializeError(err: unknown): unknown {
  const e = err as (Error & { query?: unknown; params?: unknown; cause?: unknown }) | null;
  if (!e || typeof e !== 'object' || !('params' in e) || !('query' in e)) return stdSerializers.err(err as Error);
  const cause = (e.cause ?? {}) as DatabaseErrorFields;
  return {
    type: e.constructor?.name ?? 'Error',
    message: 'database query failed',
    ...(cause.code ? { code: cause.code } : {}),
    ...(cause.constraint ? { constraint: cause.constraint } : {}),
    ...(cause.table ? { table: cause.table } : {}),
    ...(cause.column ? { column: cause.column } : {}),
    ...(cause.routine ? { routine: cause.routine } : {}),
    ...(typeof cause.message === 'string' ? { cause: scrubDatabaseMessage(cause.message) } : {}),
  };
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      err: serializeError,
      req: (req: FastifyRequest) => ({
        method: req.method,
        route: req.routeOptions?.url ?? '(no route)',
        remoteAddress: clientAddress(req),
      }),
    },
  };
}
