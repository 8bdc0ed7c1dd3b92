/**
 * Where the CPU of the write path goes: single posts or batches of 1,000 against a scratch database, with the CPU
 * seconds the service process and the database's backends used during the measurement (from /proc, Linux only).
 * The ratio of those to the certificates stored is what a change to the write path moves, on any host.
 *
 *   node --import tsx bench/write-cpu.ts posts|batches [--duration 10] [--clients 20] [--database-url URL]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { certificateCount, ingestRequests, ingestUnits, scratchDatabase } from './lib/data.js';
import { httpLoad, warm } from './lib/load.js';
import { startService } from './lib/service.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '10' },
    clients: { type: 'string' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const kind = positionals[0] ?? 'posts';
if (kind !== 'posts' && kind !== 'batches') throw new Error('usage: write-cpu.ts posts|batches');
const duration = Number(values.duration);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat. */
function cpuSeconds(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0; // the process ended
  }
}

/** The PostgreSQL backends serving `database` (their command line names it), with their CPU seconds so far. */
function backendCpu(database: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.startsWith('postgres:') && cmd.includes(` ${database} `)) out.set(pid, cpuSeconds(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const units = ingestUnits(1);
const scratch = await scratchDatabase(values['database-url']);
const database = new URL(scratch.url).pathname.slice(1);
const service = await startService({ databaseUrl: scratch.url, poolMax: 20 });
const count = async () => (await certificateCount(scratch.url)) ?? 0;
try {
  const { headers, single, batch } = ingestRequests(units);
  const load =
    kind === 'posts'
      ? { url: `${service.base}/v1/certificates`, body: single, connections: 20, warmup: 200 }
      : { url: `${service.base}/v1/certificates/batch`, body: batch, connections: 4, warmup: 4 };
  const connections = values.clients ? Number(values.clients) : load.connections;
  const full = { ...load, method: 'POST' as const, headers, connections, duration };
  await warm(full);
  const before = await count();
  const serviceBefore = cpuSeconds(service.pid);
  const backendsBefore = backendCpu(database);
  const result = await httpLoad({ ...full, warmup: 0 });
  const serviceCpu = cpuSeconds(service.pid) - serviceBefore;
  let databaseCpu = 0;
  for (const [pid, after] of backendCpu(database)) databaseCpu += after - (backendsBefore.get(pid) ?? 0);
  const stored = (await count()) - before;
  const perCert = (seconds: number) => `${((seconds / stored) * 1e6).toFixed(0)} µs`;
  console.log(
    [
      `${kind}, ${connections} clients, ${result.seconds.toFixed(1)} s: ${(stored / result.seconds).toFixed(0)} certificates/s`,
      `  p50 ${result.p50.toFixed(1)} / p95 ${result.p95.toFixed(1)} ms, errors ${result.errors}, non-2xx ${result.non2xx}`,
      `  service process: ${serviceCpu.toFixed(2)} s CPU (${perCert(serviceCpu)} per certificate)`,
      `  database backends: ${databaseCpu.toFixed(2)} s CPU (${perCert(databaseCpu)} per certificate)`,
    ].join('\n'),
  );
} finally {
  await service.stop();
  await scratch.drop();
}
