/**
 * Certificate ingest rate on PostgreSQL: single posts from concurrent clients, then batches of 1,000.
 *
 *   node --import tsx bench/ingest.ts [--duration 10] [--connections 20] [--batch-connections 4]
 *
 * Uses DATABASE_URL when set, else creates a fresh database on postgres://postgres@127.0.0.1:5432 and drops it
 * afterwards. The service runs in a child process on an ephemeral port (autocannon stays in this process), with
 * rate limiting and load shedding effectively off. Every request carries new ids, so every certificate is a create;
 * the rate is counted from the rows actually stored.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type EventEmitter, once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSigner } from 'fast-jwt';
import pg from 'pg';

// autocannon ships no types; this is the little of it the bench uses.
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p97_5: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
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
    'batch-connections': { type: 'string', default: '4' },
    serve: { type: 'boolean', default: false },
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

/** A certificate as JSON text with `__ID__` where each request puts a new id. */
function certificateTemplate(n: number): string {
  return JSON.stringify({
    id: '__ID__',
    type: 'FK7804',
    patient: { id: personnummer(n % 5_000), name: 'Test Testsson' },
    issuedBy: { id: 'SE2321000016-D001', name: 'Dr Lisa Läkare' },
    unit: { id: UNIT, name: 'Vårdcentralen Norr' },
    careGiver: { id: CARE_GIVER, name: 'Region Exempel' },
    signedAt: '2026-11-20T09:30:00Z',
    diagnoses: [{ code: 'F32.1' }, { code: 'M54.5' }],
    periods: [
      { degree: 100, start: '2026-11-20', end: '2026-12-03' },
      { degree: 50, start: '2026-12-04', end: '2026-12-17' },
    ],
    occupations: ['CURRENT_JOB'],
  });
}

/** Child process: the service on DATABASE_URL. */
async function serve(): Promise<void> {
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

async function start(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
  });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { child, port: message.port };
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

async function countCertificates(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ n: number }>('select count(*)::int as n from certificates');
  await client.end();
  return rows[0]!.n;
}

async function run(
  url: string,
  token: string,
  connections: number,
  body: () => string,
): Promise<AutocannonResult & { seconds: number }> {
  const started = performance.now();
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: Number(values.duration),
    timeout: 60,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }) }],
  });
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const db = await freshDatabase();
  const { child, port } = await start({
    DATABASE_URL: db.url,
    JWT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '1000000000',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    DATABASE_POOL_MAX: '20',
    BODY_LIMIT_BYTES: String(16 * 1024 * 1024),
  });
  const token = createSigner({ key: SECRET, algorithm: 'HS256', expiresIn: 3_600_000 })({
    sub: 'SE2321000016-EHR1',
    role: 'ehr',
    careGiverId: CARE_GIVER,
    units: [UNIT],
  });
  const templates = Array.from({ length: 1_000 }, (_, n) => certificateTemplate(n));
  let seq = 0;
  const nextId = () => `bench-${process.pid}-${seq++}`;
  const rows: Record<string, unknown>[] = [];
  try {
    const base = `http://127.0.0.1:${port}/v1/certificates`;
    // A short warm-up so JIT and the pool are ready before measuring.
    await autocannon({
      url: base,
      method: 'POST',
      connections: 4,
      amount: 200,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      requests: [
        {
          setupRequest: (req: Record<string, unknown>) => ({ ...req, body: templates[0]!.replace('__ID__', nextId()) }),
        },
      ],
    });

    const before = await countCertificates(db.url);
    const single = await run(base, token, Number(values.connections), () =>
      templates[seq % templates.length]!.replace('__ID__', nextId()),
    );
    const afterSingle = await countCertificates(db.url);
    rows.push({
      scenario: `single posts, ${values.connections} clients`,
      'req/s': Math.round(single.requests.average),
      'certificates/s': Math.round((afterSingle - before) / single.seconds),
      'p50 ms': single.latency.p50,
      'p99 ms': single.latency.p99,
      non2xx: single.non2xx,
      errors: single.errors,
    });

    const batchBody = () => `{"certificates":[${templates.map((t) => t.replace('__ID__', nextId())).join(',')}]}`;
    const batch = await run(`${base}/batch`, token, Number(values['batch-connections']), batchBody);
    const afterBatch = await countCertificates(db.url);
    rows.push({
      scenario: `batches of 1,000, ${values['batch-connections']} clients`,
      'req/s': Number(batch.requests.average.toFixed(1)),
      'certificates/s': Math.round((afterBatch - afterSingle) / batch.seconds),
      'p50 ms': batch.latency.p50,
      'p99 ms': batch.latency.p99,
      non2xx: batch.non2xx,
      errors: batch.errors,
    });
    console.table(rows);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    await db.drop();
  }
}

if (values.serve) await serve();
else await main();
