/**
 * The database floor: the very statements the service sends for one request, recorded at the driver and replayed
 * straight through `pg`. Recording happens in this process around one in-process request (app.inject) to an app
 * built from src/app.ts, so the floor follows whatever SQL the service runs today — repository, case source, cache
 * checks — without a copy of it here. Only reads are replayed: the audit events a request writes are reported as a
 * count, not replayed (replaying them would append to the chain out of band).
 */
import pg from 'pg';
import pino from 'pino';
import { SECRET } from './service.js';

export interface RecordedQuery {
  text: string;
  values?: unknown[];
  name?: string;
  rowMode?: string;
  types?: unknown;
}

export interface Recording {
  reads: RecordedQuery[];
  /** Statements left out of the replay: writes, transaction control and audit-trail upkeep. */
  skipped: string[];
}

const WRITE = /^\s*(insert|update|delete|begin|commit|rollback|savepoint|release|select\s+pg_advisory|set\b)/i;
const MUTATES = /\b(insert\s+into|update\s+\w+\s+set|delete\s+from)\b/i;

/** Statements issued through pg while `fn` runs (every Client.query call in this process). */
async function record(fn: () => Promise<void>): Promise<RecordedQuery[]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const seen: RecordedQuery[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    if (typeof first === 'string') seen.push({ text: first, values: Array.isArray(second) ? second : undefined });
    else if (first && typeof first === 'object' && 'text' in first) {
      const q = first as RecordedQuery;
      // drizzle passes the values as a second argument next to a config object.
      const values = Array.isArray(second) ? second : q.values;
      seen.push({ text: q.text, values, name: q.name, rowMode: q.rowMode, types: q.types });
    }
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return seen;
}

export interface InjectRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/**
 * Builds the app in this process on `databaseUrl` (no migrations: the service process ran them) and records the SQL
 * of each request in turn (e.g. a cold and a warm one). Returns one recording per request.
 */
export async function recordRequests(databaseUrl: string, requests: InjectRequest[]): Promise<Recording[]> {
  Object.assign(process.env, {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: SECRET,
    RATE_LIMIT_MAX: '1000000000',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    DOCS_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  });
  delete process.env.DATABASE_READ_URL;
  const { loadConfig } = await import('../../src/config.js');
  const { openDatabase } = await import('../../src/db/client.js');
  const { buildApp } = await import('../../src/app.js');
  const config = loadConfig();
  const database = await openDatabase({ url: databaseUrl, poolMax: 4 });
  const app = await buildApp({ config, database, logger: pino({ level: 'warn' }) });
  await app.ready();
  const recordings: Recording[] = [];
  try {
    for (const req of requests) {
      let status = 0;
      const seen = await record(async () => {
        const res = await app.inject({ ...req });
        status = res.statusCode;
        // Work the service finishes just after answering (e.g. grouped audit appends) is not part of the floor.
      });
      if (status >= 300) throw new Error(`recording ${req.method} ${req.url}: the service answered ${status}`);
      const reads = seen.filter((q) => !WRITE.test(q.text) && !MUTATES.test(q.text) && !/audit_/i.test(q.text));
      recordings.push({ reads, skipped: seen.filter((q) => !reads.includes(q)).map((q) => firstWords(q.text)) });
    }
  } finally {
    await app.close();
    await database.close();
  }
  return recordings;
}

export function firstWords(text: string, n = 8): string {
  return text.replace(/\s+/g, ' ').trim().split(' ').slice(0, n).join(' ');
}

/** Replays the recorded reads of one request, in order, on one pooled connection. */
export function replayer(pool: pg.Pool, reads: RecordedQuery[]): () => Promise<void> {
  return async () => {
    const client = await pool.connect();
    try {
      for (const q of reads) {
        await client.query({
          text: q.text,
          values: q.values,
          ...(q.name ? { name: q.name } : {}),
          ...(q.rowMode ? { rowMode: q.rowMode } : {}),
          ...(q.types ? { types: q.types } : {}),
        } as pg.QueryConfig);
      }
    } finally {
      client.release();
    }
  };
}

/** A pool like the service's own (same session settings), for the replay. */
export function floorPool(databaseUrl: string, max: number): pg.Pool {
  return new pg.Pool({ connectionString: databaseUrl, max, options: '-c TimeZone=UTC' });
}
