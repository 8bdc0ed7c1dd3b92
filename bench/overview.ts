/**
 * Overview benchmark on a generated PostgreSQL database (see bench/generate.ts): starts the service as a child
 * process on a free loopback port and measures, with autocannon, the largest unit's overview first page (with total)
 * and its summary at 4 and 20 concurrent clients, twice: cold (SICK_LEAVE_CACHE_ENTRIES=0: every request loads and
 * builds the unit's cases, as the first request after a write does) and warm (the case cache in use). Beside it, the
 * database floor: the same SQL run directly through `pg` at the same concurrency (cold: version lookup + the unit's
 * case certificates; warm: version lookup + the page's coordination statuses), and the service/floor ratio of p50.
 * Also times the query and the engine alone, in this process.
 *
 *   npx tsx bench/overview.ts --size 2M [--duration 15] [--mode cold,warm] [--database-url postgres://…]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { createSigner } from 'fast-jwt';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { addDays } from '../src/domain/calendar.js';
import { casesOn } from '../src/domain/sick-leave-engine.js';
import { unitCaseCertificates, unitCaseVersion } from '../src/modules/certificates/case-source.js';
import { findLatestStatuses } from '../src/modules/coordination/repository.js';

interface AutocannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (options: Record<string, unknown>) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const ACTIVE_ON = '2026-03-16';
const SECRET = 'bench-secret-that-is-long-enough-for-hs256-signing';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('port'))));
    });
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function startService(url: string, port: number, cacheEntries: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      JWT_SECRET: SECRET,
      RATE_LIMIT_MAX: '100000000',
      DOCS_ENABLED: 'false',
      DATABASE_POOL_MAX: '10',
      // Measure latency under load instead of shedding it with 503s (under-pressure off).
      MAX_EVENT_LOOP_DELAY_MS: '0',
      SICK_LEAVE_CACHE_ENTRIES: String(cacheEntries),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error('the service did not become ready');
}

async function measure(
  name: string,
  url: string,
  headers: Record<string, string>,
  connections: number,
  duration: number,
) {
  // Warm-up: JIT, plan cache and the database's buffers.
  for (let i = 0; i < 3; i++) await (await fetch(url, { headers })).arrayBuffer();
  const latencies: number[] = [];
  const instance = autocannon({ url, headers, connections, duration });
  instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const row = {
    loadavg: loadAverage(),
    scenario: name,
    connections,
    requests: latencies.length,
    'req/s': Math.round(result.requests.average * 10) / 10,
    p50: Math.round(percentile(latencies, 50)),
    p95: Math.round(percentile(latencies, 95)),
    p99: Math.round(percentile(latencies, 99)),
    errors: result.errors + result.non2xx + result.timeouts,
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  return row;
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Runs `fn` back to back on `connections` workers for `duration` seconds: the database floor of one scenario. */
async function floor(name: string, connections: number, duration: number, fn: () => Promise<unknown>) {
  for (let i = 0; i < 3; i++) await fn();
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + duration * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          await fn();
          latencies.push(performance.now() - t0);
        } catch {
          errors += 1; // e.g. the statement timeout when the machine is saturated
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const row = {
    loadavg: loadAverage(),
    scenario: name,
    connections,
    requests: latencies.length,
    'req/s': Math.round((latencies.length / duration) * 10) / 10,
    p50: Math.round(percentile(latencies, 50) * 10) / 10,
    p95: Math.round(percentile(latencies, 95) * 10) / 10,
    p99: Math.round(percentile(latencies, 99) * 10) / 10,
    errors,
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  return row;
}

const ratio = (service: { p50: number }, base: { p50: number }) =>
  process.stdout.write(`${JSON.stringify({ ratio: Math.round((service.p50 / Math.max(base.p50, 0.1)) * 10) / 10 })}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '2M' },
      duration: { type: 'string', default: '15' },
      mode: { type: 'string', default: 'cold,warm' },
      'database-url': { type: 'string' },
    },
  });
  const url =
    values['database-url'] ??
    process.env.DATABASE_URL ??
    `postgres://postgres@127.0.0.1:5432/samverkan_bench_${values.size!.toLowerCase()}`;
  const duration = Number(values.duration);

  // The largest unit by patients on sick leave on ACTIVE_ON, and the query and engine timed alone.
  const database = await openDatabase({ url });
  await runMigrations(database);
  const rows = await queryRows<{ care_giver_id: string; unit_id: string; patients: number }>(
    database.db,
    sql`select care_giver_id, unit_id, count(distinct patient_id)::int as patients from certificates
        where counts and start_date <= ${ACTIVE_ON}::date and end_date >= ${ACTIVE_ON}::date
        group by 1, 2 order by 3 desc limit 1`,
  );
  const largest = rows[0]!;
  const queryMs: number[] = [];
  const engineMs: number[] = [];
  let loaded = 0;
  let cases = 0;
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const certs = await unitCaseCertificates(
      database.readDb,
      largest.care_giver_id,
      largest.unit_id,
      ACTIVE_ON,
      addDays(ACTIVE_ON, 0),
      5,
    );
    const t1 = performance.now();
    cases = casesOn(certs, { activeOn: ACTIVE_ON, maxGapDays: 5, recentlyEndedDays: 0 }).length;
    engineMs.push(performance.now() - t1);
    queryMs.push(t1 - t0);
    loaded = certs.length;
  }
  const median = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[xs.length >> 1]! * 10) / 10;
  process.stdout.write(
    `${JSON.stringify({
      unit: largest.unit_id,
      patientsActive: largest.patients,
      certificatesLoaded: loaded,
      cases,
      queryMsMedian: median(queryMs),
      engineMsMedian: median(engineMs),
    })}\n`,
  );

  // The database floor: the service's statements through pg, at the service's pool size.
  const floorDb = await openDatabase({ url, poolMax: 10 });
  const cg = largest.care_giver_id;
  const unit = largest.unit_id;
  const built = casesOn(await unitCaseCertificates(floorDb.readDb, cg, unit, ACTIVE_ON, ACTIVE_ON, 5), {
    activeOn: ACTIVE_ON,
    maxGapDays: 5,
    recentlyEndedDays: 0,
  });
  const page = built
    .sort((a, b) => (a.start === b.start ? (a.patientId < b.patientId ? -1 : 1) : a.start < b.start ? -1 : 1))
    .slice(0, 100)
    .map((c) => ({ patientId: c.patientId, start: c.start, end: c.end }));
  const coldSql = async () => {
    await unitCaseVersion(floorDb.readDb, unit);
    await unitCaseCertificates(floorDb.readDb, cg, unit, ACTIVE_ON, ACTIVE_ON, 5);
  };
  const warmSql = async () => {
    await unitCaseVersion(floorDb.readDb, unit);
    await findLatestStatuses(floorDb.readDb, cg, unit, page);
  };

  const modes = values.mode!.split(',');
  const token = createSigner({ key: SECRET, algorithm: 'HS256', expiresIn: 3_600_000 })({
    sub: 'SE2321000001-K001',
    role: 'coordinator',
    careGiverId: cg,
    units: [unit],
  });
  const headers = { authorization: `Bearer ${token}` };
  for (const mode of modes) {
    const port = await freePort();
    const child = await startService(url, port, mode === 'cold' ? 0 : 64);
    try {
      const base = `http://127.0.0.1:${port}/v1/units/${unit}/sick-leaves`;
      const check = await fetch(`${base}?activeOn=${ACTIVE_ON}&limit=100`, { headers });
      const first = (await check.json()) as { total: number; items: unknown[] };
      process.stdout.write(
        `${JSON.stringify({ mode, status: check.status, total: first.total, items: first.items?.length })}\n`,
      );
      for (const connections of [4, 20]) {
        const sqlFloor = await floor(`${mode} SQL floor`, connections, duration, mode === 'cold' ? coldSql : warmSql);
        const overview = await measure(
          `${mode} overview first page`,
          `${base}?activeOn=${ACTIVE_ON}&limit=100`,
          headers,
          connections,
          duration,
        );
        ratio(overview, sqlFloor);
        await measure(`${mode} summary`, `${base}/summary?activeOn=${ACTIVE_ON}`, headers, connections, duration);
      }
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      process.stdout.write(`${JSON.stringify({ mode, servicePeakRss: /VmHWM:\s+(\d+ kB)/.exec(status)?.[1] })}\n`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
  await floorDb.close();
  await database.close();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
