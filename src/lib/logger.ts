import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

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
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: FastifyRequest) => ({
        method: req.method,
        route: req.routeOptions?.url ?? '(no route)',
        remoteAddress: req.ip,
      }),
    },
  };
}
