import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { testConfig } from '../helpers/app.js';
import { createScratchDatabase } from '../helpers/database.js';
import { CARE_GIVER, DOCTOR, tokenFor, UNIT } from '../helpers/tokens.js';

export const EHR_TOKEN = tokenFor({ role: 'ehr' }, { expiresInMs: 3_600_000 });

export interface RunningService {
  port: number;
  app: FastifyInstance;
  database: Database;
  url: string;
  stop(): Promise<void>;
}

/** The service in this process on a fresh PostgreSQL database, listening on an ephemeral port. */
export async function startService(
  options: { poolMax?: number; connectTimeoutMs?: number } = {},
): Promise<RunningService> {
  const scratch = await createScratchDatabase();
  const database = await openDatabase({
    url: scratch.url,
    poolMax: options.poolMax ?? 5,
    connectTimeoutMs: options.connectTimeoutMs ?? 1_000,
    logger: pino({ level: 'silent' }),
  });
  await runMigrations(database);
  const app = await buildApp({ config: testConfig(), database, logger: pino({ level: 'silent' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return {
    port,
    app,
    database,
    url: scratch.url,
    async stop() {
      await app.close();
      await database.close();
      await scratch.drop();
    },
  };
}

export function certificate(id: string, day = 1): Record<string, unknown> {
  const start = `2026-11-${String(day).padStart(2, '0')}`;
  return {
    id,
    type: 'FK7804',
    patient: { id: '191212121212' },
    issuedBy: { id: DOCTOR },
    unit: { id: UNIT, name: 'Vårdcentralen Norr' },
    careGiver: { id: CARE_GIVER, name: 'Region Exempel' },
    signedAt: `${start}T09:30:00Z`,
    diagnoses: [{ code: 'F32.1' }],
    periods: [
      { degree: 100, start, end: `2026-11-${String(day + 6).padStart(2, '0')}` },
      {
        degree: 50,
        start: `2026-11-${String(day + 7).padStart(2, '0')}`,
        end: `2026-11-${String(day + 13).padStart(2, '0')}`,
      },
    ],
    occupations: ['CURRENT_JOB'],
  };
}

export interface HttpAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  ms: number;
}

/** One request on its own connection (no keep-alive), so a closing server cannot race a reused socket. */
export function send(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  token = EHR_TOKEN,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          connection: 'close',
          ...headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers, ms: performance.now() - started }),
        );
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cluster = () => readdirSync('/etc/postgresql')[0]!;
export function postgres(action: 'stop' | 'start'): void {
  try {
    execFileSync(
      'pg_ctlcluster',
      ['--skip-systemctl-redirect', cluster(), 'main', action, ...(action === 'stop' ? ['-m', 'fast'] : [])],
      { stdio: 'ignore' },
    );
  } catch (err) {
    // Starting a server that already runs (or stopping a stopped one) is the state we wanted.
    const running = spawnSync('pg_isready', ['-h', '127.0.0.1', '-q']).status === 0;
    if (running !== (action === 'start')) throw err;
  }
}

export function report(name: string, figures: Record<string, number>): void {
  process.stdout.write(
    `[fault] ${name}: ${Object.entries(figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
}
