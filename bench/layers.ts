/**
 * Where a consent check's cost goes, layer by layer: the bare Fastify ceiling, then the service's app answering the
 * same request after each of its layers (bench/lib/layers-server.ts), up to the real route. Each layer is measured at
 * the same concurrency, in interleaved rounds, with the CPU per request of the process and of the database backends.
 *
 *   node --import tsx bench/layers.ts [--duration 8] [--rounds 2] [--clients 20] [--database-url URL]
 */
import { parseArgs } from 'node:util';
import { consentCheckRequests, consentLoad, scratchDatabase } from './lib/data.js';
import { httpLoad, warm } from './lib/load.js';
import { backendCpu, withCpu } from './lib/proc.js';
import { type Running, startBare, startService } from './lib/service.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    clients: { type: 'string', default: '20' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const duration = Number(values.duration);
const clients = Number(values.clients);

const LAYERS = [
  { name: 'bare Fastify (HTTP ceiling)', path: '/v1/consent-checks', bare: true },
  { name: "the service's hooks", path: '/bench/consent-check/hooks' },
  { name: '+ token check', path: '/bench/consent-check/auth' },
  { name: '+ body and response schemas', path: '/bench/consent-check/schemas' },
  { name: '+ consent lookup', path: '/bench/consent-check/lookup' },
  { name: '+ audit append (the real route)', path: '/v1/consent-checks' },
] as const;

const scratch = await scratchDatabase(values['database-url']);
const database = new URL(scratch.url).pathname.slice(1);
const service = await startService({ databaseUrl: scratch.url, poolMax: 20, script: 'bench/lib/layers-server.ts' });
let bare: Running | undefined;
try {
  const checks = await consentCheckRequests(service.base);
  bare = await startBare(checks.answer);
  const totals = LAYERS.map(() => ({ requests: 0, seconds: 0, processCpu: 0, databaseCpu: 0, non2xx: 0 }));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [i, layer] of LAYERS.entries()) {
      const target = 'bare' in layer ? bare : service;
      const load = { ...consentLoad(target.base, checks, duration, clients), url: `${target.base}${layer.path}` };
      await warm(load);
      const measured = await withCpu(
        target.pid,
        () => backendCpu(database),
        () => httpLoad({ ...load, warmup: 0 }),
      );
      const t = totals[i]!;
      t.requests += measured.value.requests;
      t.seconds += measured.value.seconds;
      t.processCpu += measured.processCpu;
      t.databaseCpu += measured.databaseCpu;
      t.non2xx += measured.value.non2xx + measured.value.errors;
    }
  }
  const perRequest = (seconds: number, requests: number) => ((seconds / requests) * 1e6).toFixed(1);
  const ceiling = totals[0]!.requests / totals[0]!.seconds;
  console.log(
    [
      `consent check, layer by layer: ${clients} clients, ${values.rounds} rounds of ${duration} s each`,
      '',
      '| layer | req/s | bare/this | process µs CPU per request | database µs CPU per request | errors or non-2xx |',
      '|---|---:|---:|---:|---:|---:|',
      ...LAYERS.map((layer, i) => {
        const t = totals[i]!;
        const rps = t.requests / t.seconds;
        return `| ${layer.name} | ${rps.toFixed(0)} | ${(ceiling / rps).toFixed(2)} | ${perRequest(t.processCpu, t.requests)} | ${perRequest(t.databaseCpu, t.requests)} | ${t.non2xx} |`;
      }),
    ].join('\n'),
  );
} finally {
  await bare?.stop();
  await service.stop();
  await scratch.drop();
}
