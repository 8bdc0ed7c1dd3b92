/**
 * A/B on a noisy host: the service of another checkout (A, e.g. a `git worktree` of the commit before a change, with
 * node_modules) and this one (B), both on one scratch database, loaded in alternating short slices (ABBA…), so that
 * the host's drift falls on both alike. Reports each side's throughput and the CPU per request of its process and of
 * its own database backends (told apart by application_name).
 *
 *   node --import tsx bench/ab.ts --base /tmp/base posts|batches|consent|overview|summary [--slices 12] [--slice-seconds 3]
 *
 * `overview` reads the largest unit's first page and `summary` its summary (4 clients, warm case cache) on a
 * generated data set (`--data-url`, default the 2M one bench/run makes); the others write to a scratch database.
 *
 * When the two checkouts' migrations differ (or with `--separate-databases`), each side writes to its own scratch
 * database on the same server, primed alike: the newer side's migrations would otherwise change the schema under
 * the older side's statements (a new primary key its ON CONFLICT no longer matches).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ACTIVE_ON,
  consentCheckRequests,
  consentLoad,
  ingestRequests,
  ingestUnits,
  largestUnit,
  primeScratch,
  scratchDatabase,
  writeLoad,
} from './lib/data.js';
import { type HttpLoad, httpLoad, percentile, warm } from './lib/load.js';
import { backendsOf, withCpu } from './lib/proc.js';
import { type Running, startService, token } from './lib/service.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    base: { type: 'string' },
    slices: { type: 'string', default: '12' },
    'slice-seconds': { type: 'string', default: '3' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'data-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/samverkan_bench_run_2m' },
    'separate-databases': { type: 'boolean', default: false },
  },
});
const kind = positionals[0];
const KINDS = ['posts', 'batches', 'consent', 'overview', 'summary'];
/** The read scenarios: on the generated data set, nothing written. */
const reads = kind === 'overview' || kind === 'summary';
if (!values.base || !KINDS.includes(kind ?? '')) {
  throw new Error(`usage: ab.ts --base <checkout> ${KINDS.join('|')}`);
}
const slices = Number(values.slices);
const sliceSeconds = Number(values['slice-seconds']);

interface Side {
  name: 'A' | 'B';
  service: Running;
  appName: string;
  /** The database the side writes to (one for both unless their migrations differ). */
  databaseUrl: string;
  done: number;
  seconds: number;
  processCpu: number;
  databaseCpu: number;
  /** Per slice: requests/s. */
  rates: number[];
}

const journal = (root: string) => readFileSync(join(root, 'migrations/meta/_journal.json'), 'utf8');
const separate = !reads && (values['separate-databases'] || journal(values.base) !== journal(process.cwd()));
// The consent scenario seeds its consents through one service; on two databases the other would have none.
if (separate && kind === 'consent') throw new Error('consent needs both sides on one database (same migrations)');
const scratches: { url: string; drop(): Promise<void> }[] = [];
const scratchFor = async () => {
  if (reads) return { url: values['data-url'], drop: async () => {} };
  const made = await scratchDatabase(values['database-url']);
  scratches.push(made);
  return made;
};
const sides: Side[] = [];
try {
  const shared = separate ? undefined : await scratchFor();
  for (const [name, root] of [
    ['A', values.base],
    ['B', undefined],
  ] as const) {
    const appName = `samverkan-ab-${name}`;
    const scratch = shared ?? (await scratchFor());
    // node-postgres lets the URL's application_name win over the one the service sets.
    const url = new URL(scratch.url);
    url.searchParams.set('application_name', appName);
    const service = await startService({ databaseUrl: url.toString(), poolMax: 20, root });
    sides.push({
      name,
      service,
      appName,
      databaseUrl: scratch.url,
      done: 0,
      seconds: 0,
      processCpu: 0,
      databaseCpu: 0,
      rates: [],
    });
  }
  if (separate) console.log('each side on its own scratch database (their migrations differ)');
  const load = await loadFor(separate ? sides : [sides[1]!]);
  for (const side of sides) await warm(load(side.service.base));
  for (let i = 0; i < slices; i++) {
    // ABBA order: neither side always goes first after the other's slice.
    const order = i % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const {
        value: result,
        processCpu,
        databaseCpu,
      } = await withCpu(
        side.service.pid,
        () => backendsOf(side.databaseUrl, side.appName),
        () => httpLoad({ ...load(side.service.base), duration: sliceSeconds, warmup: 0 }),
      );
      side.processCpu += processCpu;
      side.databaseCpu += databaseCpu;
      const done = (result.requests - result.non2xx) * (kind === 'batches' ? 1_000 : 1);
      side.done += done;
      side.seconds += result.seconds;
      side.rates.push(done / result.seconds);
    }
  }
  const unit = kind === 'consent' ? 'check' : reads ? kind : 'certificate';
  const units = unit === 'summary' ? 'summaries' : `${unit}s`;
  const median = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  const lines = sides.map(
    (s) =>
      `${s.name} ${s.name === 'A' ? values.base : '(this checkout)'}: ${(s.done / s.seconds).toFixed(0)} ${units}/s ` +
      `(median slice ${median(s.rates).toFixed(0)}); service ${((s.processCpu / s.done) * 1e6).toFixed(0)} µs, ` +
      `database ${((s.databaseCpu / s.done) * 1e6).toFixed(0)} µs CPU per ${unit}`,
  );
  const [a, b] = sides as [Side, Side];
  const wins = b.rates.filter((r, i) => r > a.rates[i]!).length;
  console.log(
    [
      `${kind}: ${slices} slices of ${sliceSeconds} s per side, alternating`,
      ...lines,
      `B/A: throughput ${(b.done / b.seconds / (a.done / a.seconds)).toFixed(3)}× (B faster in ${wins} of ${slices} ` +
        `slice pairs), service CPU ${(b.processCpu / b.done / (a.processCpu / a.done)).toFixed(3)}×, database CPU ` +
        `${(b.databaseCpu / b.done / (a.databaseCpu / a.done)).toFixed(3)}×`,
    ].join('\n'),
  );
} finally {
  for (const side of sides) await side.service.stop();
  for (const scratch of scratches) await scratch.drop();
}

/** The load of the scenario against a service at `base` (seeded or primed once per database, through its sides). */
async function loadFor(seeders: readonly Side[]): Promise<(base: string) => HttpLoad> {
  const seedBase = seeders[seeders.length - 1]!.service.base;
  if (reads) {
    const largest = await largestUnit(values['data-url']);
    const headers = {
      authorization: `Bearer ${token({ sub: 'SE2321000001-K001', role: 'coordinator', careGiverId: largest.careGiverId, units: [largest.unitId] })}`,
    };
    return (base) => ({
      url:
        kind === 'summary'
          ? `${base}/v1/units/${largest.unitId}/sick-leaves/summary?activeOn=${ACTIVE_ON}`
          : `${base}/v1/units/${largest.unitId}/sick-leaves?activeOn=${ACTIVE_ON}&limit=100`,
      headers,
      connections: 4,
      duration: sliceSeconds,
      warmup: 50,
    });
  }
  if (kind === 'consent') {
    const checks = await consentCheckRequests(seedBase);
    return (base) => consentLoad(base, checks, sliceSeconds);
  }
  const requests = ingestRequests(ingestUnits(1));
  for (const side of seeders) await primeScratch(side.service.base, side.databaseUrl, requests);
  const which = kind === 'posts' ? 'posts' : 'batches';
  return (base) => writeLoad(which, base, requests, sliceSeconds);
}
