import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { type Database, ping } from '../db/client.js';
import { migrationsApplied } from '../db/migrate.js';
import { ServiceUnavailable } from '../lib/errors.js';
import { Problem } from '../lib/schemas.js';

const Status = z.object({ status: z.literal('ok') });
const Readiness = z.object({ status: z.literal('ready'), database: z.enum(['pg', 'pglite']) });

export const healthPlugin = fp(async (app: FastifyInstance, opts: { database: Database }) => {
  let migrated = false;

  app.get(
    '/health/live',
    {
      schema: {
        tags: ['operations'],
        summary: 'The process is up (also while it sheds load)',
        response: { 200: Status },
      },
      // Never shed: a liveness probe that failed under load would get a busy, healthy process restarted. Readiness
      // is shed, which takes an overloaded process out of the balancer's rotation instead.
      config: { pressureHandler: () => undefined },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'The database is reachable and every migration is applied',
        response: { 200: Readiness, 503: Problem },
      },
    },
    async () => {
      try {
        // Once more on failure: a pooled connection the server ended (a restart, pg_terminate_backend) fails the
        // first query on it and leaves the pool; the next one is fresh. One failed probe took a healthy process out.
        await ping(opts.database.db).catch(() => ping(opts.database.db));
        migrated ||= await migrationsApplied(opts.database);
      } catch {
        throw new ServiceUnavailable('The database is not reachable');
      }
      if (!migrated) throw new ServiceUnavailable('Database migrations are not applied yet');
      return { status: 'ready' as const, database: opts.database.kind };
    },
  );
});
