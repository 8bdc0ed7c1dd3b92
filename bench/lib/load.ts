/**
 * Load generation for the bench: autocannon against an HTTP endpoint, or a closed loop of async jobs (for the SQL
 * floor), both summarised the same way from every single response time (autocannon's own table has no p95).
 */
import { createRequire } from 'node:module';

// autocannon ships no types; this is the little of it the bench uses.
interface AutocannonResult {
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (options: Record<string, unknown>) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Socket errors and timeouts. */
  errors: number;
  non2xx: number;
  /** Share of the CPUs busy with other work just before the measurement (see quiet()). */
  busyBefore?: number;
}

export interface HttpLoad {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /**
   * A new body for every request (unique ids, built by the load generator as it goes), a fixed list the connections
   * cycle through (built once, so the generator spends nothing on it), or one fixed body.
   */
  body?: string | readonly string[] | (() => string);
  connections: number;
  duration: number;
  /** Requests sent before measuring (JIT, pools, plan and buffer caches). */
  warmup?: number;
  timeout?: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summarise(latencies: number[], connections: number, seconds: number, extra: Partial<LoadResult>) {
  latencies.sort((a, b) => a - b);
  return {
    connections,
    seconds,
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: 0,
    non2xx: 0,
    ...extra,
  };
}

function options(load: HttpLoad): Record<string, unknown> {
  const { body } = load;
  return {
    url: load.url,
    method: load.method ?? 'GET',
    connections: load.connections,
    timeout: load.timeout ?? 30,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...load.headers,
    },
    ...(typeof body === 'function'
      ? { requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }) }] }
      : Array.isArray(body)
        ? { requests: body.map((b) => ({ body: b })) }
        : body !== undefined
          ? { body }
          : {}),
  };
}

/** The warm-up alone: `load.warmup` requests (JIT, pools, plan and buffer caches). */
export async function warm(load: HttpLoad): Promise<void> {
  if (load.warmup)
    await autocannon({ ...options(load), amount: load.warmup, connections: Math.min(4, load.connections) });
}

/** One autocannon run of `duration` seconds after a short warm-up; latencies in ms. */
export async function httpLoad(load: HttpLoad): Promise<LoadResult> {
  await warm(load);
  const latencies: number[] = [];
  const started = performance.now();
  const instance = autocannon({ ...options(load), duration: load.duration });
  instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await instance;
  const seconds = (performance.now() - started) / 1000;
  return summarise(latencies, load.connections, seconds, {
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  });
}

/** Several autocannon runs at once (e.g. one per service process); one result over all their responses. */
export async function httpLoadSplit(loads: HttpLoad[]): Promise<LoadResult> {
  await Promise.all(loads.filter((l) => l.warmup).map((l) => autocannon({ ...options(l), amount: l.warmup })));
  const latencies: number[] = [];
  const started = performance.now();
  const results = await Promise.all(
    loads.map((l) => {
      const instance = autocannon({ ...options(l), duration: l.duration });
      instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
      return instance;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const connections = loads.reduce((n, l) => n + l.connections, 0);
  return summarise(latencies, connections, seconds, {
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
  });
}

/** `connections` closed loops calling `job` for `duration` seconds (the SQL floor: no HTTP at all). */
export async function loopLoad(
  job: () => Promise<unknown>,
  connections: number,
  duration: number,
  warmup = 20,
): Promise<LoadResult> {
  for (let i = 0; i < warmup; i++) await job();
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const until = started + duration * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          await job();
          latencies.push(performance.now() - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return summarise(latencies, connections, seconds, { errors });
}

/** Share of all CPUs busy over `ms` (from /proc/stat): how much else is running on the machine. */
export async function cpuBusy(ms = 1000): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const sample = () => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3]! + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  const a = sample();
  await new Promise((r) => setTimeout(r, ms));
  const b = sample();
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
}

/**
 * Waits (up to `maxWaitS`) until the machine is quiet — less than `threshold` of its CPUs busy while the bench
 * itself is idle — and returns the last busy share measured, for the report.
 */
export async function quiet(threshold: number, maxWaitS: number): Promise<number> {
  const until = performance.now() + maxWaitS * 1000;
  let busy = await cpuBusy();
  while (busy > threshold && performance.now() < until) busy = await cpuBusy();
  return busy;
}
