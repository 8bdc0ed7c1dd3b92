import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The headers helmet sets with `options`, computed once: helmet's defaults do not depend on the request, and building
 * its middleware per request (as @fastify/helmet does) was a measurable share of a consent check.
 */
export function helmetHeaders(options: Readonly<HelmetOptions> = {}): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as never, response as never, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure;
  return headers;
}

/** What every answer carries, also those sent before any hook runs (router and client errors, see errors.ts). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...helmetHeaders(),
  'cache-control': 'no-store',
});

/**
 * Every answer carries helmet's security headers and `Cache-Control: no-store` (set in onRequest, so error answers
 * carry them too): answers hold patient data, which no browser or proxy cache may keep.
 */
export const securityHeadersPlugin = fp(async (app: FastifyInstance, opts: { helmet?: HelmetOptions }) => {
  const headers = opts.helmet ? { ...helmetHeaders(opts.helmet), 'cache-control': 'no-store' } : SECURITY_HEADERS;
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
});
