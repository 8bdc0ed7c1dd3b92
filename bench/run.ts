/**
 * The issue-6 measurement harness: the service on PostgreSQL as its own process, measured over loopback with
 * autocannon, side by side with a bare Fastify route returning the same body (the HTTP ceiling) and the service's own
 * SQL replayed straight through `pg` (the database floor). Writes bench/results/<date>.md and prints a summary.
 *
 *   npm run bench -- [--size 200k] [--duration 10] [--database-url postgres://…] [--regenerate]
 *                    [--only posts,batches,overview,summary,history,consent,two,replica] [--skip replica]
 *
 * See bench/README.md for what each scenario does and how to read the ratios.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  ACTIVE_ON,
  certificateCount,
  ensureDataSet,
  ingestRequests,
  ingestUnits,
  type Largest,
  largestUnit,
  primeScratch,
  scratchDatabase,
  SIZES,
  writeLoad,
} from './lib/data.js';
import { type HttpLoad, httpLoad, httpLoadSplit, loopLoad, quiet, warm } from './lib/load.js';
import { consoleLine, load1, row, type Section, sectionMarkdown, summaryTable } from './lib/report.js';
import { floorPool, firstWords, type InjectRequest, recordRequests, replayer } from './lib/sql-floor.js';
import { ROOT, type Running, startBare, startService, token } from './lib/service.js';

const SCENARIOS = ['posts', 'batches', 'overview', 'summary', 'history', 'consent', 'two', 'replica'] as const;
type Scenario = (typeof SCENARIOS)[number];

const USAGE = `usage: npm run bench -- [--size 200k|2M|10M] [--duration 10] [--database-url postgres://…] [--regenerate]
                     [--only ${SCENARIOS.join(',')}] [--skip …] [--pool-max 10] [--quiet 0.25]
                     [--max-wait 5] [--write-units 1] [--out bench/results/<date>.md]
See bench/README.md for the scenarios and how to read the ratios.`;

function parsed() {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (error) {
    // A wrong option is told in one line with the usage, not as a stack trace.
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(1);
  }
}

const OPTIONS = {
  help: { type: 'boolean', default: false },
  size: { type: 'string', default: '200k' },
  duration: { type: 'string', default: '10' },
  'database-url': { type: 'string' },
  regenerate: { type: 'boolean', default: false },
  only: { type: 'string' },
  skip: { type: 'string' },
  'pool-max': { type: 'string', default: '10' },
  quiet: { type: 'string', default: '0.25' },
  'write-units': { type: 'string', default: '1' },
  'max-wait': { type: 'string', default: '5' },
  out: { type: 'string' },
} as const;
const { values } = parsed();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const size = values.size;
if (!SIZES[size]) {
  console.error(`--size must be one of ${Object.keys(SIZES).join(', ')}\n${USAGE}`);
  process.exit(1);
}
const duration = Number(values.duration);
const poolMax = Number(values['pool-max']);
const quietBelow = Number(values.quiet);
const maxWait = Number(values['max-wait']);
const writeUnits = ingestUnits(Number(values['write-units']));
const databaseUrl =
  values['database-url'] ?? `postgres://postgres@127.0.0.1:5432/samverkan_bench_run_${size.toLowerCase()}`;
const chosen = (values.only?.split(',') ?? [...SCENARIOS]).filter((s) => !(values.skip?.split(',') ?? []).includes(s));
for (const s of chosen) if (!SCENARIOS.includes(s as Scenario)) throw new Error(`unknown scenario ${s}`);
const wants = (s: Scenario) => chosen.includes(s);

const sections: Section[] = [];
const log = (line: string) => process.stdout.write(`${line}\n`);
const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

const statements = (r: { reads: { text: string }[] }) =>
  `${r.reads.length} (${r.reads.map((q) => `\`${firstWords(q.text, 6)}…\``).join(', ')})`;

function done(section: Section): void {
  sections.push(section);
  log(consoleLine(section));
}

/** Runs one part of the bench; a failure is written into the results (first lines of the error) and the rest goes on. */
async function attempt(title: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 3).join(' ').slice(0, 400);
    done({
      title: `${title}: failed`,
      notes: [`Failed: ${message.replaceAll('|', '\\|')}`],
      rows: [],
      ratios: [],
      targets: [],
    });
  }
}

/** Waits for the machine to be quiet (see --quiet and --max-wait) and returns the CPU share others kept busy. */
const settle = () => quiet(quietBelow, maxWait);

/** Runs an HTTP load against a running process with its peak RSS reset first. */
async function measured(target: Running, load: HttpLoad) {
  await warm(load);
  const busyBefore = await settle();
  target.resetPeak();
  const result = await httpLoad({ ...load, warmup: 0 });
  return { result: { ...result, busyBefore }, peakRssMb: target.peakRssMb() };
}

/** The same requests answered by a bare Fastify process with `body`: the HTTP ceiling. */
async function ceiling(body: string, load: Omit<HttpLoad, 'url'>, path: string) {
  const bare = await startBare(body);
  try {
    return await measured(bare, { ...load, url: `${bare.base}${path}` });
  } finally {
    await bare.stop();
  }
}

/** The recorded reads of `req`, replayed at `connections` closed loops on a pool the size of the service's. */
async function floor(reads: Awaited<ReturnType<typeof recordRequests>>[number]['reads'], connections: number) {
  const pool = floorPool(databaseUrl, Math.min(connections, poolMax));
  try {
    const job = replayer(pool, reads);
    for (let i = 0; i < 20; i++) await job();
    const busyBefore = await settle();
    return { ...(await loopLoad(job, connections, duration, 0)), busyBefore };
  } finally {
    await pool.end();
  }
}

async function sample(url: string, init: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text() };
}

// ——— (1) single posts and (2) batches of 1,000, on a scratch database ———
async function writes(): Promise<void> {
  const scratch = await scratchDatabase(databaseUrl);
  const service = await startService({ databaseUrl: scratch.url, poolMax: Math.max(poolMax, 20) });
  const count = async () => (await certificateCount(scratch.url)) ?? 0;
  try {
    const requests = ingestRequests(writeUnits);
    const { headers, single, batch } = requests;
    const url = `${service.base}/v1/certificates`;
    await primeScratch(service.base, scratch.url, requests);
    const one = await sample(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: single(),
    });
    if (one.status !== 201) throw new Error(`single post answered ${one.status}: ${one.body}`);

    if (wants('posts')) {
      const load = writeLoad('posts', service.base, requests, duration);
      await warm(load);
      const before = await count();
      const svc = await measured(service, { ...load, warmup: 0 });
      const perSecond = ((await count()) - before) / svc.result.seconds;
      const bare = await ceiling(one.body, load, '/v1/certificates');
      done({
        title: '(1) Single certificate posts (POST /v1/certificates, unique ids)',
        notes: [
          `Scratch database primed with 10 batches of 1,000 and analysed (primeScratch in bench/lib/data.ts); service pool ${Math.max(poolMax, 20)}; certificates spread over ${writeUnits.length} unit(s) (--write-units). Response body ${one.body.length} bytes.`,
        ],
        rows: [
          row('service', svc.result, { certificatesPerSecond: perSecond, peakRssMb: svc.peakRssMb }),
          row('bare Fastify, same response body', bare.result, { peakRssMb: bare.peakRssMb }),
        ],
        ratios: [`service/bare throughput ${fmt(ratio(svc.result.rps, bare.result.rps))}`],
        targets: [{ what: `≥ 1,500 certificates/s (${Math.round(perSecond)})`, met: perSecond >= 1500 }],
      });
    }
    if (wants('batches')) {
      const batchUrl = `${url}/batch`;
      const first = await sample(batchUrl, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: batch(),
      });
      if (first.status >= 300) throw new Error(`batch post answered ${first.status}: ${first.body.slice(0, 300)}`);
      const load = writeLoad('batches', service.base, requests, duration);
      await warm(load);
      const before = await count();
      const svc = await measured(service, { ...load, warmup: 0 });
      const perSecond = ((await count()) - before) / svc.result.seconds;
      const bare = await ceiling(first.body, load, '/v1/certificates/batch');
      done({
        title: '(2) Batch posts of 1,000 certificates (POST /v1/certificates/batch)',
        notes: [
          `Certificates spread over ${writeUnits.length} unit(s) (--write-units). Request body ~${Math.round(batch().length / 1024)} kB, response body ${Math.round(first.body.length / 1024)} kB; the load generator builds every body (unique ids) in the same process.`,
        ],
        rows: [
          row('service', svc.result, { certificatesPerSecond: perSecond, peakRssMb: svc.peakRssMb }),
          row('bare Fastify, same response body', bare.result, {
            certificatesPerSecond: bare.result.rps * 1000,
            peakRssMb: bare.peakRssMb,
          }),
        ],
        ratios: [`service/bare throughput ${fmt(ratio(svc.result.rps, bare.result.rps))}`],
        targets: [{ what: `≥ 10,000 certificates/s (${Math.round(perSecond)})`, met: perSecond >= 10_000 }],
      });
    }
  } finally {
    await service.stop();
    await scratch.drop();
  }
}

// ——— (3)–(6) reads on the generated data set, each with its ceiling and its floor ———
interface ReadScenario {
  key: Scenario;
  title: string;
  request: (i: number) => InjectRequest;
  connections: number[];
  targets: (c: number, r: { p50: number; p95: number; rps: number }) => { what: string; met: boolean }[];
  ratioTargets?: (svc: number, bare: number, floor: number) => { what: string; met: boolean }[];
  /** Also measure a service process with the sick-leave case cache off (every request builds the cases). */
  cacheOff?: boolean;
}

async function reads(largest: Largest): Promise<void> {
  const service = await startService({ databaseUrl, poolMax });
  const auth = {
    authorization: `Bearer ${token({ sub: 'SE2321000001-K001', role: 'coordinator', careGiverId: largest.careGiverId, units: [largest.unitId] })}`,
  };
  const base = `/v1/units/${largest.unitId}/sick-leaves`;
  const patients = largest.patients;
  let uncached: Running | undefined;
  try {
    // A coordination consent for each of the patients the consent checks ask about (idempotent enough: a re-run adds one more).
    const checkOn = new Date().toISOString().slice(0, 10);
    let seeded = 0;
    if (wants('consent')) {
      for (const patientId of patients) {
        const check = await sample(`${service.base}/v1/consent-checks`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ patientId, unitId: largest.unitId, kind: 'coordination', on: checkOn }),
        });
        if (check.status === 200 && (JSON.parse(check.body) as { allowed: boolean }).allowed) continue;
        const res = await sample(`${service.base}/v1/consents`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({
            patientId,
            unitId: largest.unitId,
            kind: 'coordination',
            form: 'written',
            givenOn: checkOn,
          }),
        });
        if (res.status !== 201) throw new Error(`seeding a consent answered ${res.status}: ${res.body}`);
        seeded += 1;
      }
    }
    const scenarios: ReadScenario[] = [
      {
        key: 'overview',
        title: `(3) Overview of the largest unit, first page of 100 with total (GET ${base})`,
        request: () => ({ method: 'GET', url: `${base}?activeOn=${ACTIVE_ON}&limit=100`, headers: auth }),
        connections: [4, 20],
        cacheOff: true,
        targets: (c, r) =>
          c === 4
            ? [
                { what: `p50 ≤ 25 ms at 4 clients (${r.p50.toFixed(1)})`, met: r.p50 <= 25 },
                { what: `p95 ≤ 50 ms at 4 clients (${r.p95.toFixed(1)})`, met: r.p95 <= 50 },
              ]
            : [{ what: `≥ 100 req/s at 20 clients (${Math.round(r.rps)})`, met: r.rps >= 100 }],
        ratioTargets: (svc, _bare, floor) => [
          {
            what: `within 2× of its own SQL (p50 latency of the service with the case cache off / the cold SQL: ${fmt(svc / floor)})`,
            met: svc / floor <= 2,
          },
        ],
      },
      {
        key: 'summary',
        title: `(4) Summary of the largest unit (GET ${base}/summary)`,
        request: () => ({ method: 'GET', url: `${base}/summary?activeOn=${ACTIVE_ON}`, headers: auth }),
        connections: [4],
        cacheOff: true,
        targets: (_c, r) => [{ what: `p95 ≤ 50 ms at 4 clients (${r.p95.toFixed(1)})`, met: r.p95 <= 50 }],
      },
      {
        key: 'history',
        title: '(5) Patient history (POST /v1/patients/sick-leave-history)',
        request: (i) => ({
          method: 'POST',
          url: '/v1/patients/sick-leave-history',
          headers: { ...auth, 'content-type': 'application/json' },
          payload: JSON.stringify({
            patientId: patients[i % patients.length],
            unitId: largest.unitId,
            activeOn: ACTIVE_ON,
          }),
        }),
        connections: [4],
        targets: () => [],
      },
      {
        key: 'consent',
        title: '(6) Consent check (POST /v1/consent-checks)',
        request: (i) => ({
          method: 'POST',
          url: '/v1/consent-checks',
          headers: { ...auth, 'content-type': 'application/json' },
          payload: JSON.stringify({
            patientId: patients[i % patients.length],
            unitId: largest.unitId,
            kind: 'coordination',
            on: checkOn,
          }),
        }),
        connections: [20],
        targets: (_c, r) => [{ what: `≥ 5,000 req/s (${Math.round(r.rps)})`, met: r.rps >= 5000 }],
        ratioTargets: (svc, bare) => [
          { what: `within 3× of bare Fastify (bare/service throughput ${fmt(bare / svc)})`, met: bare / svc <= 3 },
        ],
      },
    ];
    for (const s of scenarios.filter((x) => wants(x.key)))
      await attempt(s.title, async () => {
        const first = s.request(0);
        const answer = await sample(`${service.base}${first.url}`, {
          method: first.method,
          headers: first.headers,
          body: first.payload,
        });
        if (answer.status !== 200) throw new Error(`${s.key} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
        // The SQL of a cold request (a fresh app) and of the next one, recorded in this process.
        const [cold, warm] = await recordRequests(databaseUrl, [first, first]);
        const sameSql = cold!.reads.map((q) => q.text).join() === warm!.reads.map((q) => q.text).join();
        // The patients' bodies, built once: the connections cycle through them.
        const bodies = first.payload === undefined ? undefined : patients.map((_, i) => s.request(i).payload!);
        const notes = [
          `Response body ${answer.body.length.toLocaleString('en-US')} bytes.` +
            (s.key === 'overview'
              ? ` Unit ${largest.unitId}, ${largest.activePatients} patients active on ${ACTIVE_ON}.`
              : '') +
            (s.key === 'consent'
              ? ` ${patients.length} patients with a coordination consent (${seeded} seeded this run).`
              : '') +
            (s.key === 'history'
              ? ` Cycling over ${patients.length} patients of the unit with the longest histories.`
              : ''),
          `SQL floor: the read statements the service sent for one request, recorded at the driver and replayed ` +
            `through pg on a pool of min(clients, ${poolMax}) connections. Cold request (fresh process): ${statements(cold!)}. ` +
            (sameSql ? 'A warm request sends the same.' : `Warm request (caches filled): ${statements(warm!)}.`) +
            ` Not replayed (writes): ${[...new Set([...cold!.skipped, ...warm!.skipped])].map((t) => `\`${t}…\``).join(', ') || 'nothing'}.`,
        ];
        for (const connections of s.connections) {
          const load: HttpLoad = {
            url: `${service.base}${first.url}`,
            method: first.method,
            headers: first.headers,
            body: bodies,
            connections,
            duration,
            warmup: 20,
          };
          const svc = await measured(service, load);
          uncached ??= s.cacheOff
            ? await startService({ databaseUrl, poolMax, env: { SICK_LEAVE_CACHE_ENTRIES: '0' } })
            : undefined;
          const off =
            s.cacheOff && uncached
              ? await measured(uncached, { ...load, url: `${uncached.base}${first.url}` })
              : undefined;
          const bare = await ceiling(answer.body, load, first.url);
          const floorResult = await floor(cold!.reads, connections);
          const warmFloor = sameSql ? undefined : await floor(warm!.reads, connections);
          const ratios = [
            `service/bare throughput ${fmt(ratio(svc.result.rps, bare.result.rps))} (bare is ${fmt(ratio(bare.result.rps, svc.result.rps))}× faster)`,
            `service/SQL floor${sameSql ? '' : ' (cold SQL)'}: throughput ${fmt(ratio(svc.result.rps, floorResult.rps))}, p50 latency ${fmt(ratio(svc.result.p50, floorResult.p50))}×`,
            ...(warmFloor
              ? [
                  `service/warm SQL: throughput ${fmt(ratio(svc.result.rps, warmFloor.rps))}, p50 latency ${fmt(ratio(svc.result.p50, warmFloor.p50))}× (the rest of a warm request is the service's own work)`,
                ]
              : []),
            ...(off
              ? [
                  `service with the cache off/cold SQL: throughput ${fmt(ratio(off.result.rps, floorResult.rps))}, p50 latency ${fmt(ratio(off.result.p50, floorResult.p50))}×`,
                ]
              : []),
          ];
          done({
            title: `${s.title} — ${connections} clients`,
            notes,
            rows: [
              row('service', svc.result, { peakRssMb: svc.peakRssMb }),
              ...(off
                ? [
                    row('service, case cache off (SICK_LEAVE_CACHE_ENTRIES=0)', off.result, {
                      peakRssMb: off.peakRssMb,
                    }),
                  ]
                : []),
              row('bare Fastify, same body (HTTP ceiling)', bare.result, { peakRssMb: bare.peakRssMb }),
              row(
                sameSql ? 'same SQL through pg (database floor)' : 'cold SQL through pg (database floor, no cache)',
                floorResult,
              ),
              ...(warmFloor ? [row('warm SQL through pg (what a cached request sends)', warmFloor)] : []),
            ],
            ratios,
            targets: [
              ...s.targets(connections, svc.result),
              ...(s.ratioTargets?.(
                s.key === 'consent' ? svc.result.rps : (off ?? svc).result.p50,
                bare.result.rps,
                floorResult.p50,
              ) ?? []),
            ],
          });
        }
      });

    // ——— two service processes against one PostgreSQL, load split between them ———
    if (wants('two'))
      await attempt('(7) Overview with two service processes on one PostgreSQL', async () => {
        const second = await startService({ databaseUrl, poolMax });
        try {
          const path = `${base}?activeOn=${ACTIVE_ON}&limit=100`;
          const loads = (connections: number): HttpLoad[] =>
            [service, second].map((p) => ({
              url: `${p.base}${path}`,
              headers: auth,
              connections: connections / 2,
              duration,
              warmup: 10,
            }));
          const rows = [];
          for (const connections of [4, 20]) {
            const one = await measured(service, {
              url: `${service.base}${path}`,
              headers: auth,
              connections,
              duration,
              warmup: 10,
            });
            rows.push(row('one process', one.result, { peakRssMb: one.peakRssMb }));
            await Promise.all(loads(connections).map(warm));
            const busyBefore = await settle();
            service.resetPeak();
            second.resetPeak();
            const split = loads(connections).map((l) => ({ ...l, warmup: 0 }));
            const both = { ...(await httpLoadSplit(split)), busyBefore };
            rows.push(
              row('two processes, half the clients each', both, {
                peakRssMb: service.peakRssMb() + second.peakRssMb(),
              }),
            );
          }
          done({
            title: '(7) Overview with two service processes on one PostgreSQL',
            notes: [
              'Each process has its own port and a pool of ' +
                `${poolMax}; the clients are split evenly. Peak RSS of the two is their sum. On 2 cores, the load ` +
                'generator, PostgreSQL and the processes compete for the same CPUs.',
            ],
            rows,
            ratios: [
              `two/one throughput at 4 clients ${fmt(ratio(rows[1]!.result.rps, rows[0]!.result.rps))}, at 20 clients ${fmt(ratio(rows[3]!.result.rps, rows[2]!.result.rps))}`,
            ],
            targets: [],
          });
        } finally {
          await second.stop();
        }
      });
  } finally {
    await uncached?.stop();
    await service.stop();
  }
}

// ——— overview with reads on a streaming-replication standby (bench/replica.sh) ———
async function replica(): Promise<void> {
  const probe = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5434/postgres' });
  const alreadyUp = await probe.connect().then(
    () => probe.end().then(() => true),
    () => false,
  );
  if (!alreadyUp) execFileSync('bash', ['bench/replica.sh', 'start'], { cwd: ROOT, stdio: 'inherit' });
  const primaryUrl = `postgres://postgres@127.0.0.1:5434/samverkan_bench_${size.toLowerCase()}`;
  const standbyUrl = `postgres://postgres@127.0.0.1:5435/samverkan_bench_${size.toLowerCase()}`;
  try {
    const reused = await ensureDataSet(size, primaryUrl, values.regenerate);
    // Wait until the standby has replayed everything the primary wrote.
    const primary = new pg.Client({ connectionString: primaryUrl });
    await primary.connect();
    const lsn = (await primary.query<{ l: string }>('select pg_current_wal_lsn()::text as l')).rows[0]!.l;
    await primary.end();
    for (let i = 0; ; i++) {
      const standby = new pg.Client({ connectionString: standbyUrl });
      const caughtUp = await standby
        .connect()
        .then(() => standby.query<{ ok: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [lsn]))
        .then((r) => r.rows[0]!.ok)
        .catch(() => false)
        .finally(() => standby.end().catch(() => {}));
      if (caughtUp) break;
      if (i > 600) throw new Error('the standby did not catch up');
      await new Promise((r) => setTimeout(r, 200));
    }
    const largest = await largestUnit(primaryUrl);
    const auth = {
      authorization: `Bearer ${token({ sub: 'SE2321000001-K001', role: 'coordinator', careGiverId: largest.careGiverId, units: [largest.unitId] })}`,
    };
    const path = `/v1/units/${largest.unitId}/sick-leaves?activeOn=${ACTIVE_ON}&limit=100`;
    const rows = [];
    for (const [variant, readUrl] of [
      ['primary only', undefined],
      ['reads on the standby (DATABASE_READ_URL)', standbyUrl],
    ] as const) {
      const service = await startService({ databaseUrl: primaryUrl, readUrl, poolMax });
      try {
        for (const connections of [4, 20]) {
          const r = await measured(service, {
            url: `${service.base}${path}`,
            headers: auth,
            connections,
            duration,
            warmup: 20,
          });
          rows.push(row(variant, r.result, { peakRssMb: r.peakRssMb }));
        }
      } finally {
        await service.stop();
      }
    }
    done({
      title: '(8) Overview with a hot standby for reads (bench/replica.sh: primary :5434, standby :5435)',
      notes: [
        `Data set ${size} in the pair's primary (${reused}), standby caught up before measuring. Audit events of each ` +
          'overview are written to the primary. Both clusters run on this same machine, so the standby adds no CPU.',
      ],
      rows,
      ratios: [
        `standby/primary throughput at 4 clients ${fmt(ratio(rows[2]!.result.rps, rows[0]!.result.rps))}, at 20 clients ${fmt(ratio(rows[3]!.result.rps, rows[1]!.result.rps))}`,
      ],
      targets: [],
    });
  } finally {
    if (!alreadyUp) execFileSync('bash', ['bench/replica.sh', 'stop'], { cwd: ROOT, stdio: 'inherit' });
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = load1();
  const dataSet = await ensureDataSet(size, databaseUrl, values.regenerate);
  const largest = await largestUnit(databaseUrl);
  log(
    `data set ${size} (${dataSet}): ${largest.certificates.toLocaleString('en-US')} certificates in ${new URL(databaseUrl).pathname.slice(1)}; ` +
      `largest unit ${largest.unitId} with ${largest.activePatients} patients active on ${ACTIVE_ON}; ${duration} s per run`,
  );
  if (wants('posts') || wants('batches')) await attempt('(1)–(2) Writes', writes);
  if (['overview', 'summary', 'history', 'consent', 'two'].some((s) => wants(s as Scenario))) {
    await attempt('(3)–(7) Reads', () => reads(largest));
  }
  if (wants('replica')) await attempt('(8) Overview with a hot standby for reads', replica);

  const date = startedAt.toISOString().slice(0, 10);
  const out = values.out ?? join(ROOT, 'bench', 'results', `${date}.md`);
  mkdirSync(join(out, '..'), { recursive: true });
  const dirty = git(['status', '--porcelain', '--', 'src', 'migrations']).split('\n').filter(Boolean).length;
  const header = [
    `# Benchmark ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Commit ${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ` with ${dirty} uncommitted change(s) under src/ and migrations/` : ''}; ` +
      `Node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GB`,
    `- Data set ${size} (${dataSet}): ${largest.certificates.toLocaleString('en-US')} certificates; largest unit ${largest.unitId} ` +
      `with ${largest.activePatients.toLocaleString('en-US')} patients on sick leave on ${ACTIVE_ON}`,
    `- ${duration} s per measurement after a short warm-up; autocannon in the harness process, the service (pool ${poolMax}) ` +
      'and each baseline in their own process, PostgreSQL on the same machine (all over loopback)',
    `- Load average (1 min) ${loadBefore.toFixed(2)} at the start, ${load1().toFixed(2)} at the end; each row shows it as the row finished. ` +
      'Other work on this 2-core machine shows up there: treat rows with a high load as suspect and re-run them with --only.',
    `- Command: \`npm run bench -- ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'),
    '',
  ];
  const summary = summaryTable(sections);
  writeFileSync(
    out,
    `${header.join('\n')}\n## Summary (first row of each scenario: the service)\n\n${summary}\n## Scenarios\n\n${sections.map(sectionMarkdown).join('\n')}`,
  );
  log(`\n${summary}`);
  log(`\nresults: ${out}`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
