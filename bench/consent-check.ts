/**
 * Consent-check throughput on PostgreSQL, side by side with a bare Fastify route (the HTTP ceiling).
 *
 *   node --import tsx bench/consent-check.ts [--duration 10] [--connections 20] [--patients 500]
 *
 * Uses DATABASE_URL when set, else creates a fresh database on postgres://postgres@127.0.0.1:5432 and drops it
 * afterwards. The service and the bare route each run in a child process (one core each way: the load generator,
 * autocannon, stays in this process), with rate limiting and load shedding effectively off.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSigner } from 'fast-jwt';
import Fastify from 'fastify';
import pg from 'pg';

// autocannon ships no types; this is the little of it the bench uses.
interface AutocannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => EventEmitter & PromiseLike<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const CARE_GIVER = 'SE2321000016-CG01';
const UNIT = 'SE2321000016-U001';
const SECRET = 'bench-secret-that-is-long-enough-for-hs256-signing';
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
    patients: { type: 'string', default: '500' },
    serve: { type: 'string' },
    body: { type: 'string' },
  },
});

/** A valid 12-digit personnummer for a running number (Luhn over YYMMDDNNN). */
function personnummer(n: number): string {
  const year = 1950 + (n % 50);
  const month = 1 + (Math.floor(n / 50) % 12);
  const day = 1 + (Math.floor(n / 600) % 28);
  const serial = 100 + (Math.floor(n / 16_800) % 900);
  const ten = `${String(year).slice(2)}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${serial}`;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = Number(ten[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return `${String(year).slice(0, 2)}${ten}${(10 - (sum % 10)) % 10}`;
}

/** Child process: the service on DATABASE_URL, or a bare Fastify route returning a fixed body. */
async function serve(kind: string): Promise<void> {
  if (kind === 'bare') {
    const app = Fastify({ logger: false });
    const body = values.body ?? '{}';
    app.post('/v1/consent-checks', async (_req, reply) => reply.type('application/json').send(body));
    await app.listen({ port: 0, host: '127.0.0.1' });
    process.send?.({ port: (app.server.address() as { port: number }).port });
    return;
  }
  const { loadConfig } = await import('../src/config.js');
  const { openDatabase } = await import('../src/db/client.js');
  const { runMigrations } = await import('../src/db/migrate.js');
  const { buildApp } = await import('../src/app.js');
  const pino = (await import('pino')).default;
  const config = loadConfig();
  const database = await openDatabase({ url: config.database.url, poolMax: config.database.poolMax });
  await runMigrations(database);
  const app = await buildApp({ config, database, logger: pino({ level: 'warn' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.send?.({ port: (app.server.address() as { port: number }).port });
  process.on('SIGTERM', async () => {
    await app.close();
    await database.close();
    process.exit(0);
  });
}

async function start(kind: string, env: Record<string, string>, extra: string[] = []) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', kind, ...extra], {
    env: { ...process.env, ...env },
    // BENCH_PROFILE=dir writes a V8 CPU profile of the service process there.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_PROFILE && kind === 'app'
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
        : []),
    ],
  });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { child, port: message.port };
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, drop: async () => {} };
  const name = `samverkan_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: ADMIN_URL.replace(/\/postgres$/, `/${name}`),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** Per patient: a coordination consent, an information-sharing one for the employer, and a revoked old one. */
async function seed(url: string, patients: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `insert into consents (care_giver_id, unit_id, patient_id, kind, form, actors, given_on, valid_from, valid_until,
                           recorded_by, revoked_at, revoked_by, revoke_reason)
     select $1, $2, p, k.kind, 'written', k.actors, k.given_on, k.given_on, k.valid_until, 'SE2321000016-K001',
            k.revoked_at, k.revoked_by, k.reason
     from unnest($3::text[]) as p
     cross join (values
       ('coordination', '{}'::text[], '2026-06-01'::date, '2027-05-31'::date, null::timestamptz, null, null),
       ('information_sharing', '{employer}'::text[], '2026-06-01'::date, '2027-05-31'::date, null, null, null),
       ('coordination', '{}'::text[], '2025-06-01'::date, '2026-05-31'::date, now(), 'SE2321000016-K001', 'old')
     ) as k(kind, actors, given_on, valid_until, revoked_at, revoked_by, reason)`,
    [CARE_GIVER, UNIT, patients],
  );
  await client.end();
}

interface Measured {
  result: AutocannonResult;
  /** Every response time in ms, for exact percentiles (autocannon's own table has no p95). */
  latencies: number[];
}

async function run(url: string, token: string, bodies: string[]): Promise<Measured> {
  let i = 0;
  const latencies: number[] = [];
  const instance = autocannon({
    url,
    method: 'POST',
    connections: Number(values.connections),
    duration: Number(values.duration),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => {
          i = (i + 1) % bodies.length;
          return { ...req, body: bodies[i] };
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return { result, latencies };
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? 0
    : Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!.toFixed(2));

function summary(name: string, { result, latencies }: Measured) {
  return {
    name,
    'req/s': Math.round(result.requests.average),
    'p50 ms': percentile(latencies, 50),
    'p95 ms': percentile(latencies, 95),
    'p99 ms': percentile(latencies, 99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

async function main(): Promise<void> {
  const patients = Array.from({ length: Number(values.patients) }, (_, n) => personnummer(n));
  const db = await freshDatabase();
  const env = {
    DATABASE_URL: db.url,
    JWT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '1000000000',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    DATABASE_POOL_MAX: '20',
    DOCS_ENABLED: 'false',
  };
  const service = await start('app', env);
  try {
    await seed(db.url, patients);
    const token = createSigner({ key: SECRET, algorithm: 'HS256', expiresIn: 3_600_000 })({
      sub: 'SE2321000016-K001',
      role: 'coordinator',
      careGiverId: CARE_GIVER,
      units: [UNIT],
    });
    // Mixed questions: coordination (allowed), sharing with the employer (allowed) and with social services (not).
    const bodies = patients.flatMap((patientId) => [
      JSON.stringify({ patientId, unitId: UNIT, kind: 'coordination', on: '2026-11-20' }),
      JSON.stringify({ patientId, unitId: UNIT, kind: 'information_sharing', actor: 'employer', on: '2026-11-20' }),
      JSON.stringify({ patientId, unitId: UNIT, kind: 'information_sharing', actor: 'social_services' }),
    ]);
    const sample = await fetch(`http://127.0.0.1:${service.port}/v1/consent-checks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: bodies[0],
    });
    const sampleBody = await sample.text();
    if (sample.status !== 200) throw new Error(`consent check answered ${sample.status}: ${sampleBody}`);

    const serviceUrl = `http://127.0.0.1:${service.port}/v1/consent-checks`;
    await run(serviceUrl, token, bodies.slice(0, 60)); // warm-up (JIT, pool)
    const svc = await run(serviceUrl, token, bodies);
    await stop(service.child);

    const bare = await start('bare', {}, ['--body', sampleBody]);
    const bareUrl = `http://127.0.0.1:${bare.port}/v1/consent-checks`;
    await run(bareUrl, token, bodies.slice(0, 60));
    const ceiling = await run(bareUrl, token, bodies);
    await stop(bare.child);

    const rows = [summary('consent check (service)', svc), summary('bare Fastify, same body', ceiling)];
    console.log(
      `\nPOST /v1/consent-checks — ${values.connections} connections, ${values.duration} s, ` +
        `${patients.length * 3} consents, body ${sampleBody.length} bytes`,
    );
    console.table(rows);
    console.log(
      `service / ceiling throughput: ${(svc.result.requests.average / ceiling.result.requests.average).toFixed(3)}`,
    );
    console.log(`ceiling / service: ${(ceiling.result.requests.average / svc.result.requests.average).toFixed(2)}×`);
  } finally {
    if (service.child.exitCode === null) await stop(service.child).catch(() => {});
    await db.drop();
  }
}

if (values.serve) {
  void serve(values.serve);
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
