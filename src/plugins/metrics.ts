import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/client.js';
import { TEXT_BODY } from './docs.js';
import { problemResponses } from '../lib/schemas.js';
import { Unauthorized } from '../lib/errors.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether an Authorization header carries `token` as its bearer token, compared in constant time (over digests, so
 * the length of a wrong guess tells nothing either). Without a token every scraper is let in.
 */
export function metricsScraperCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (authorization) => {
    const sent = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
    return sent !== undefined && timingSafeEqual(digest(sent), expected);
  };
}

/** Prometheus metrics on a registry of this app's own, so several apps in one process do not collide. */
export const metricsPlugin = fp(async (app: FastifyInstance, opts: { database: Database; token?: string }) => {
  const scraper = metricsScraperCheck(opts.token);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Read at scrape time, so the gauge needs no updates of its own.
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state (PostgreSQL only)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = opts.database.stats();
      if (!stats) return;
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });

  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: bounded label values and no identifiers.
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  app.get(
    '/metrics',
    {
      schema: {
        [TEXT_BODY]: 'text/plain',
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        description:
          'Open unless the service is started with METRICS_TOKEN; then only a scraper sending that token as a bearer ' +
          'token is answered, and a request without it is 401 and counts in the rate limit (429 once over it) as any ' +
          'failed authentication does. With the right token, or without METRICS_TOKEN, it is never rate limited.',
        // Declared whatever this process's configuration, so the contract is one for every deployment.
        security: [{}, { metricsToken: [] }],
        response: {
          200: z.string().describe('Prometheus text format'),
          401: problemResponses[401].describe('METRICS_TOKEN is set and the bearer token is not it'),
          429: problemResponses[429].describe('METRICS_TOKEN is set: too many requests without the token'),
          431: problemResponses[431],
        },
      },
      // Route patterns and their traffic are not patient data, but with METRICS_TOKEN only the scraper sees them.
      // In preHandler, as the API's own token check: after the rate limit's hook, so that a wrong token counts.
      preHandler: async (request) => {
        if (!scraper(request.headers.authorization)) throw new Unauthorized('The metrics token is required');
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
});
