/**
 * The service (and the bare Fastify baseline) as separate processes on loopback, tokens for them, and their peak
 * resident memory from /proc/<pid>/status (VmHWM, reset per scenario through /proc/<pid>/clear_refs).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSigner } from 'fast-jwt';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SECRET = 'bench-secret-that-is-long-enough-for-hs256-signing';

export interface Claims {
  sub: string;
  role: 'doctor' | 'coordinator' | 'ehr' | 'auditor';
  careGiverId: string;
  units: string[];
}

export function token(claims: Claims): string {
  return createSigner({ key: SECRET, algorithm: 'HS256', expiresIn: 6 * 3_600_000 })({ ...claims });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('port'))));
    });
  });
}

export interface Running {
  child: ChildProcess;
  pid: number;
  port: number;
  base: string;
  /** Peak resident set size since the last reset, in MB. */
  peakRssMb(): number;
  /** Starts a new peak (Linux ≥ 4.0: writing 5 to clear_refs resets VmHWM). Returns false when not possible. */
  resetPeak(): boolean;
  stop(): Promise<void>;
}

function running(child: ChildProcess, port: number): Running {
  const pid = child.pid!;
  return {
    child,
    pid,
    port,
    base: `http://127.0.0.1:${port}`,
    peakRssMb() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
    },
    resetPeak() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}

async function waitUntil(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not become ready`);
}

export interface ServiceOptions {
  databaseUrl: string;
  readUrl?: string;
  poolMax?: number;
  env?: Record<string, string>;
  /** The checkout to run (bench/ab.ts runs another commit's); this one by default. */
  root?: string;
  /** The entry point, relative to the checkout: src/server.ts, or a bench server built on the same app. */
  script?: string;
}

/** `node --import tsx src/server.ts` on a free port: rate limiting and load shedding off, warnings only. */
export async function startService(options: ServiceOptions): Promise<Running> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: options.databaseUrl,
    DATABASE_READ_URL: options.readUrl ?? '',
    DATABASE_POOL_MAX: String(options.poolMax ?? 10),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    JWT_SECRET: SECRET,
    RATE_LIMIT_MAX: '1000000000',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    DOCS_ENABLED: 'false',
    BODY_LIMIT_BYTES: String(16 * 1024 * 1024),
    ...options.env,
  };
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles every service process of a run.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // As `npm start` runs it (package.json): the same young-generation size.
  const child = spawn(
    process.execPath,
    [...SERVICE_NODE_ARGS, ...nodeArgs, '--import', 'tsx', options.script ?? 'src/server.ts'],
    {
      cwd: options.root ?? ROOT,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  await waitUntil(`http://127.0.0.1:${port}/health/ready`, child, 'the service');
  return running(child, port);
}

/** The node flags of `npm start` (package.json), so that the bench measures the service as it is started. */
export const SERVICE_NODE_ARGS = ['--max-semi-space-size=64'];

/** A bare Fastify process answering every request with `body` (application/json): the HTTP ceiling. */
export async function startBare(body: string): Promise<Running> {
  const port = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'samverkan-bare-')), 'body.json');
  writeFileSync(file, body);
  // BENCH_NODE_ARGS profiles the bare route too, to compare where the two spend a request.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'bench/lib/bare-server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), BARE_BODY_FILE: file },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitUntil(`http://127.0.0.1:${port}/ready`, child, 'the bare Fastify route');
  return running(child, port);
}
