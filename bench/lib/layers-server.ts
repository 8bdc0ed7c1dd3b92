/**
 * The service's own app (src/app.ts, same configuration from the environment) with diagnostic routes that answer a
 * consent check after fewer of its layers, for bench/layers.ts. Never part of the service: only the bench starts it.
 *
 *   POST /bench/consent-check/hooks      the app's hooks only (request id, security headers, rate limit, metrics)
 *   POST /bench/consent-check/auth       + the bearer token check
 *   POST /bench/consent-check/schemas    + the body and response schemas of the real route
 *   POST /bench/consent-check/lookup     + the consent lookup (shared query, as the service batches it) and the rule
 *   POST /v1/consent-checks              + the audit append: the real route
 */
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { stockholmDate } from '../../src/domain/calendar.js';
import { checkConsent } from '../../src/domain/consent-rules.js';
import { Batcher, fulfilled } from '../../src/lib/batcher.js';
import { prepareConsentsForChecks } from '../../src/modules/consents/repository.js';
import { ConsentCheckBodySchema, ConsentCheckResultSchema } from '../../src/modules/consents/schemas.js';
import { toFacts } from '../../src/modules/consents/service.js';

const config = loadConfig();
const logger = pino({ level: config.logLevel });
const database = await openDatabase({ ...config.database, logger });
await runMigrations(database);
const app = (await buildApp({ config, database, logger })).withTypeProvider<ZodTypeProvider>();

// What the real route answers for the bench's seeded consents, so every layer sends a body of the same size.
const fixed = {
  allowed: true,
  reason: 'valid' as const,
  consentId: '00000000-0000-4000-8000-000000000000',
  validUntil: '2027-12-01',
  on: stockholmDate(),
};
const staff = app.requireRole(['coordinator', 'doctor']);
const schema = { body: ConsentCheckBodySchema, response: { 200: ConsentCheckResultSchema } };
// The same grouping as ConsentService (at most 200 keys per query, 4 queries at once).
const lookup = prepareConsentsForChecks(database.db);
const lookups = new Batcher(
  async (keys: Parameters<typeof lookup>[0]) => (await lookup(keys)).map((rows) => fulfilled(rows)),
  200,
  4,
);

app.post('/bench/consent-check/hooks', async () => fixed);
app.post('/bench/consent-check/auth', { preHandler: staff }, async () => fixed);
app.post('/bench/consent-check/schemas', { preHandler: staff, schema }, async () => fixed);
app.post('/bench/consent-check/lookup', { preHandler: staff, schema }, async (req) => {
  const on = req.body.on ?? stockholmDate();
  const rows = await lookups.add({
    careGiverId: req.actor.careGiverId,
    unitId: req.body.unitId,
    patientId: req.body.patientId,
    kind: req.body.kind,
  });
  return { ...checkConsent(rows.map(toFacts), { kind: req.body.kind, actor: req.body.actor, on }), on };
});

await app.listen({ port: config.port, host: config.host });
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => database.close())
    .then(() => process.exit(0));
});
