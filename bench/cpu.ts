/**
 * Where the CPU goes: single posts, batches of 1,000 or consent checks against a scratch database, with the CPU
 * seconds the service process and the database's backends used during the measurement (from /proc, Linux only).
 * The ratio of those to the work done is what a change moves, on any host. For consent checks the bare Fastify
 * ceiling (bench/lib/bare-server.ts) answering the same requests is measured the same way right after.
 *
 *   node --import tsx bench/cpu.ts posts|batches|consent [--duration 10] [--clients 20] [--database-url URL]
 */
import { parseArgs } from 'node:util';
import {
  certificateCount,
  consentCheckRequests,
  consentLoad,
  ingestRequests,
  ingestUnits,
  primeScratch,
  scratchDatabase,
  withClient,
  writeLoad,
} from './lib/data.js';
import { type HttpLoad, httpLoad, type LoadResult, warm } from './lib/load.js';
import { backendCpu, withCpu } from './lib/proc.js';
import { type Running, startBare, startService } from './lib/service.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '10' },
    clients: { type: 'string' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const kind = positionals[0] ?? 'posts';
if (kind !== 'posts' && kind !== 'batches' && kind !== 'consent') {
  throw new Error('usage: cpu.ts posts|batches|consent');
}
const duration = Number(values.duration);
interface Measured {
  result: LoadResult;
  processCpu: number;
  databaseCpu: number;
  /** Transactions committed in the scratch database during the measurement, when asked for. */
  committed?: number;
}

/** One measured load with the CPU the process (and the database's backends, if named) spent meanwhile. */
async function measure(process: Running, load: HttpLoad, database?: string, countCommits = false): Promise<Measured> {
  await warm(load);
  const backends = () => (database ? backendCpu(database) : new Map<string, number>());
  const commitsBefore = countCommits ? await commits() : 0;
  const { value: result, ...cpu } = await withCpu(process.pid, backends, () => httpLoad({ ...load, warmup: 0 }));
  if (!countCommits) return { result, ...cpu };
  // The statistics reach pg_stat_database within a second of a backend going idle.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  return { result, ...cpu, committed: (await commits()) - commitsBefore };
}

const micros = (seconds: number, per: number) => `${((seconds / per) * 1e6).toFixed(0)} µs`;

const units = ingestUnits(1);
const scratch = await scratchDatabase(values['database-url']);
const database = new URL(scratch.url).pathname.slice(1);
const service = await startService({ databaseUrl: scratch.url, poolMax: 20 });
try {
  if (kind === 'consent') await consentChecks();
  else await writes(kind);
} finally {
  await service.stop();
  await scratch.drop();
}

async function writes(which: 'posts' | 'batches'): Promise<void> {
  const count = async () => (await certificateCount(scratch.url)) ?? 0;
  const requests = ingestRequests(units);
  await primeScratch(service.base, scratch.url, requests);
  const load = writeLoad(which, service.base, requests, duration);
  const connections = values.clients ? Number(values.clients) : load.connections;
  const full: HttpLoad = { ...load, connections };
  await warm(full);
  const before = await count();
  const measured = await measure(service, { ...full, warmup: 0 }, database, true);
  const { result, processCpu, databaseCpu } = measured;
  const committed = measured.committed ?? 0;
  const stored = (await count()) - before;
  console.log(
    [
      `${which}, ${connections} clients, ${result.seconds.toFixed(1)} s: ${(stored / result.seconds).toFixed(0)} certificates/s`,
      `  p50 ${result.p50.toFixed(1)} / p95 ${result.p95.toFixed(1)} ms, errors ${result.errors}, non-2xx ${result.non2xx}`,
      `  service process: ${processCpu.toFixed(2)} s CPU (${micros(processCpu, stored)} per certificate)`,
      `  database backends: ${databaseCpu.toFixed(2)} s CPU (${micros(databaseCpu, stored)} per certificate)`,
      `  transactions committed: ${committed} (${(stored / Math.max(committed, 1)).toFixed(1)} certificates each, ` +
        'reads and audit sealing included)',
    ].join('\n'),
  );
}

/** Transactions committed in the scratch database so far (each statement outside a transaction counts as one). */
async function commits(): Promise<number> {
  return withClient(scratch.url, async (c) => {
    const { rows } = await c.query<{ n: string }>(
      'select xact_commit::text as n from pg_stat_database where datname = current_database()',
    );
    return Number(rows[0]!.n);
  });
}

/** 50 patients with a coordination consent at the unit; checks cycle over them, then the bare ceiling the same. */
async function consentChecks(): Promise<void> {
  const checks = await consentCheckRequests(service.base);
  const { answer } = checks;
  const connections = values.clients ? Number(values.clients) : 20;
  const load = (base: string) => consentLoad(base, checks, duration, connections);
  const svc = await measure(service, load(service.base), database, true);
  const committed = svc.committed ?? 0;
  const bare = await startBare(answer);
  let ceiling: Measured;
  try {
    ceiling = await measure(bare, load(bare.base));
  } finally {
    await bare.stop();
  }
  const line = (what: string, m: Measured) =>
    `${what}: ${m.result.rps.toFixed(0)} req/s, p50 ${m.result.p50.toFixed(2)} / p95 ${m.result.p95.toFixed(2)} ms, ` +
    `errors ${m.result.errors}, non-2xx ${m.result.non2xx}; process ${micros(m.processCpu, m.result.requests)} CPU per request`;
  console.log(
    [
      `consent checks, ${connections} clients, ${svc.result.seconds.toFixed(1)} s`,
      line('  service', svc),
      `    database backends: ${micros(svc.databaseCpu, svc.result.requests)} CPU per request`,
      `    transactions committed: ${committed} (${(svc.result.requests / Math.max(committed, 1)).toFixed(1)} checks ` +
        'each; a lookup and an audit append are one each)',
      line('  bare Fastify', ceiling),
      `  bare/service: throughput ${(ceiling.result.rps / svc.result.rps).toFixed(2)}×, process CPU per request ` +
        `${(svc.processCpu / svc.result.requests / (ceiling.processCpu / ceiling.result.requests)).toFixed(2)}×`,
    ].join('\n'),
  );
}
