import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import type { Logger } from 'pino';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** The database or a transaction: repositories take one of these so callers decide about atomicity. */
export type Executor = PgDatabase<PgQueryResultHKT, Schema>;

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Database {
  kind: 'pg' | 'pglite';
  /** The primary: every write and every read that must see a write. */
  db: Executor;
  /** A standby for overviews and summaries when DATABASE_READ_URL is set; otherwise the primary. */
  readDb: Executor;
  stats(): PoolStats | undefined;
  close(): Promise<void>;
  /** Runs `fn` on one dedicated session (needed for session-level advisory locks). */
  withSession<T>(fn: (db: Executor) => Promise<T>): Promise<T>;
}

export interface DatabaseOptions {
  url?: string;
  readUrl?: string;
  dataDir?: string;
  poolMax?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  logger?: Logger;
}

/** Raw SQL through any executor; both drivers answer `{ rows }` and keep dates and timestamps as strings. */
export async function queryRows<T>(ex: Executor, query: SQL): Promise<T[]> {
  const result = (await ex.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

const dialect = new PgDialect();

/**
 * Raw SQL as a named prepared statement: on PostgreSQL it is parsed and planned once per connection instead of on
 * every call, which for the write path's large CTEs was a third of their database time. `name` must stay bound to
 * one SQL text (node-postgres refuses a name reused for another); only parameters may vary. PGlite runs it as is.
 */
export async function queryPrepared<T>(ex: Executor, name: string, query: SQL): Promise<T[]> {
  const result = (await ex._.session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false).execute()) as {
    rows: T[];
  };
  return result.rows;
}

/** PostgreSQL's text form of a timestamptz ('2026-11-20 09:30:00.123+00') as a Date. */
export function parseInstant(value: string | Date): Date {
  if (value instanceof Date) return value;
  const iso = value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  return new Date(iso);
}

function createPool(url: string, options: DatabaseOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    application_name: 'samverkan',
    options: '-c TimeZone=UTC',
  });
  // An idle client whose server goes away emits 'error' on the pool; a checked-out one emits it on itself.
  // Unhandled, either would crash the process; the query in flight fails on its own and is answered 503.
  pool.on('error', (err) => options.logger?.warn({ err: { message: err.message } }, 'database connection lost'));
  pool.on('connect', (client) => {
    client.on('error', (err) => options.logger?.warn({ err: { message: err.message } }, 'database client error'));
  });
  return pool;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = createPool(options.url, options);
    const readPool = options.readUrl ? createPool(options.readUrl, options) : undefined;
    const db = drizzlePg(pool, { schema }) as unknown as Executor;
    const readDb = readPool ? (drizzlePg(readPool, { schema }) as unknown as Executor) : db;
    return {
      kind: 'pg',
      db,
      readDb,
      stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      async close() {
        await Promise.all([pool.end(), readPool?.end()]);
      },
      async withSession(fn) {
        const client = await pool.connect();
        try {
          return await fn(drizzlePg(client, { schema }) as unknown as Executor);
        } finally {
          client.release();
        }
      },
    };
  }
  if (options.dataDir && options.dataDir !== 'memory://') mkdirSync(options.dataDir, { recursive: true });
  const client = new PGlite(options.dataDir === 'memory://' ? undefined : options.dataDir);
  await client.waitReady;
  await client.exec(`SET TimeZone = 'UTC'`);
  const db = drizzlePglite(client, { schema }) as unknown as Executor;
  // PGlite is one connection: queries queue inside it, so there is no pool to measure.
  return {
    kind: 'pglite',
    db,
    readDb: db,
    stats: () => undefined,
    async close() {
      await client.close();
    },
    withSession: (fn) => fn(db),
  };
}

export async function ping(db: Executor): Promise<void> {
  await db.execute(sql`select 1`);
}
