import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { type Database, ping } from '../db/client.js';
import { migrationsApplied } from '../db/migrate.js';
import { isPoolExhausted } from '../db/errors.js';
import { ServiceUnavailable } from '../lib/errors.js';
import { POOL_EXHAUSTED } from './errors.js';
import { Problem, problemResponses } from '../lib/schemas.js';

const Status = z.object({ status: z.literal('ok') });
const Readiness = z.object({
  status: z.literal('ready'),
  database: z.enum(['pg', 'pglite']),
  auditSealing: z
    .enum(['ok', 'failing'])
    .describe(
      'Whether audit events are sealed into their hash chains: failing when this process’s last seal pass failed, or ' +
        'when a care giver’s chain cannot go on (its events wait; `npm run audit:verify` tells which and why). ' +
        'Failing leaves the process ready: every event is still written',
    ),
  standby: z
    .enum(['ok', 'failing'])
    .optional()
    .describe(
      'With DATABASE_READ_URL: whether the standby answers, migrated. A failing one leaves the process ready: its reads go to the primary',
    ),
});

export interface HealthOptions {
  database: Database;
  /** Whether audit sealing fails (asked after the database answered). */
  auditSealingFailing: () => Promise<boolean>;
}

export const healthPlugin = fp(async (app: FastifyInstance, opts: HealthOptions) => {
  const { database } = opts;

  app.get(
    '/health/live',
    {
      schema: {
        tags: ['operations'],
        summary: 'The process is up (also while it sheds load)',
        response: { 200: Status, 431: problemResponses[431] },
      },
      // Never shed: a liveness probe that failed under load would get a busy, healthy process restarted. Readiness
      // is shed, which takes an overloaded process out of the balancer's rotation instead.
      // swagger.exposeHeadRoute: the HEAD is in the contract too (the plugin leaves HEAD routes out by default).
      config: { pressureHandler: () => undefined, swagger: { exposeHeadRoute: true } },
      // A monitor may probe with HEAD; the probes show no patient data (the app turns implicit HEAD routes off).
      exposeHeadRoute: true,
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'The database is reachable and every migration is applied',
        response: { 200: Readiness, 431: problemResponses[431], 503: Problem },
      },
      config: { swagger: { exposeHeadRoute: true } },
      exposeHeadRoute: true,
    },
    async (request) => {
      let migrated: boolean;
      let sealingFailing = false;
      try {
        // Once more on failure: a pooled connection the server ended (a restart, pg_terminate_backend) fails the
        // first query on it and leaves the pool; the next one is fresh. One failed probe took a healthy process out.
        // Not after waiting for a connection of a full pool: that waited twice, outlasting a 3 s healthcheck.
        await ping(database.db).catch((err) => {
          if (isPoolExhausted(err)) throw err;
          return ping(database.db);
        });
        // Asked every time: a database dropped and created again empty answers the ping, and every request was a
        // 500 while the probe, remembering an earlier answer, said ready.
        migrated = await migrationsApplied(database.db);
        sealingFailing = migrated && (await opts.auditSealingFailing());
      } catch (err) {
        // A full pool is a busy process, not a database out of reach (and not one without migrations).
        if (isPoolExhausted(err)) {
          request.log.warn({ code: 'pool-exhausted' }, 'answered 503');
          throw new ServiceUnavailable(POOL_EXHAUSTED);
        }
        throw new ServiceUnavailable('The database is not reachable');
      }
      if (!migrated)
        throw new ServiceUnavailable("Database migrations are not applied, or the service's tables are missing");
      const ready = {
        status: 'ready' as const,
        database: database.kind,
        auditSealing: sealingFailing ? ('failing' as const) : ('ok' as const),
      };
      if (!database.hasStandby) return ready;
      // Failing too while its reads go to the primary: migrated, it may still lack a table or cancel queries.
      const standby = !database.standbyFailing() && (await migrationsApplied(database.readDb).catch(() => false));
      return { ...ready, standby: standby ? ('ok' as const) : ('failing' as const) };
    },
  );
});
