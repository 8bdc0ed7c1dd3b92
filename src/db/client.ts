import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import lockfile from 'proper-lockfile';
import type { Logger } from 'pino';
import { isConcurrencyConflict, isDatabaseUnavailable, isSchemaMissing } from './errors.js';
import { describeError } from '../lib/errors.js';
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
  /** Whether readDb is a standby of its own (DATABASE_READ_URL). */
  hasStandby: boolean;
  /**
   * Runs a read that may lag the primary (an overview, a summary) on the standby, or on the primary when there is
   * none or it is failing: a standby gone, unmigrated or cancelling the query costs the read its offload, not its
   * answer (see readFromStandby).
   */
  reading<T>(fn: (ex: Executor) => Promise<T>): Promise<T>;
  /** Whether reads are being sent to the primary because the standby failed within STANDBY_RETRY_MS. */
  standbyFailing(): boolean;
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
  /**
   * How long to wait for another process's lock on `dataDir` before refusing to start: a lock left by a process that
   * died expires after DATA_DIR_LOCK_STALE_MS, so a restart right after a crash waits this long instead of failing.
   */
  dataDirLockWaitMs?: number;
  /** PGlite only: how often to analyze changed tables (default AUTO_ANALYZE_MS; 0 never). */
  autoAnalyzeMs?: number;
}

/** A lock not refreshed for this long was left by a process that is gone (proper-lockfile refreshes it at half). */
export const DATA_DIR_LOCK_STALE_MS = 10_000;

/**
 * Creates the embedded database's directory and takes its lock. Two processes on one PGlite directory both start and
 * both answer, and the one that closes last overwrites what the other wrote: a write answered 201 was lost. PGlite
 * takes no lock of its own, so the service takes one (a `samverkan.lock` directory inside DATA_DIR).
 */
async function holdDataDir(dataDir: string, waitMs: number): Promise<() => Promise<void>> {
  try {
    makeDirectory(path.resolve(dataDir));
  } catch (err) {
    throw new Error(`DATA_DIR ${dataDir} cannot be created or is not a directory (${describeError(err)})`);
  }
  const tries = Math.ceil(waitMs / 1_000);
  try {
    return await lockfile.lock(dataDir, {
      lockfilePath: path.join(dataDir, 'samverkan.lock'),
      stale: DATA_DIR_LOCK_STALE_MS,
      retries: tries > 0 ? { retries: tries, minTimeout: 1_000, maxTimeout: 1_000, factor: 1 } : 0,
      // Losing the lock (the directory removed, the clock jumped) is logged, not thrown from a timer.
      onCompromised: (err) => process.emitWarning(`DATA_DIR ${dataDir}: the lock was lost (${err.message})`),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new Error(
        `DATA_DIR ${dataDir} is in use by another samverkan process (its lock ${path.join(dataDir, 'samverkan.lock')} ` +
          `is held); stop that one, or give this one another DATA_DIR or a DATABASE_URL`,
      );
    }
    throw new Error(`DATA_DIR ${dataDir} cannot be written (${describeError(err)})`);
  }
}

/**
 * mkdir -p, one level at a time: Node 20's recursive mkdir loops forever on a path it cannot create below an existing
 * directory that refuses new entries (seen with DATA_DIR=/proc/x), where this fails at once.
 */
function makeDirectory(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new Error('it is a file');
    return;
  }
  const parent = path.dirname(dir);
  if (parent !== dir) makeDirectory(parent);
  mkdirSync(dir);
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
    const standby = readPool ? readFromStandby(readDb, db, options.logger) : undefined;
    return {
      kind: 'pg',
      db,
      readDb,
      hasStandby: readPool !== undefined,
      reading: standby ? standby.reading : (fn) => fn(db),
      standbyFailing: () => standby?.failing() ?? false,
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
  const dataDir = options.dataDir && options.dataDir !== 'memory://' ? options.dataDir : undefined;
  const release = dataDir ? await holdDataDir(dataDir, options.dataDirLockWaitMs ?? 0) : undefined;
  let client: PGlite;
  try {
    client = new PGlite(dataDir);
    await client.waitReady;
    await client.exec(`SET TimeZone = 'UTC'`);
  } catch (err) {
    await release?.();
    // PGlite's own errors name neither the directory nor the setting (one was seen thrown as a bare object).
    throw new Error(`DATA_DIR ${dataDir ?? 'memory://'}: the embedded database does not open (${describeError(err)})`);
  }
  const db = drizzlePglite(client, { schema }) as unknown as Executor;
  const stopAnalyzing = analyzeEvery(db, options.autoAnalyzeMs ?? AUTO_ANALYZE_MS, options.logger);
  // PGlite is one connection: queries queue inside it, so there is no pool to measure.
  return {
    kind: 'pglite',
    db,
    readDb: db,
    hasStandby: false,
    reading: (fn) => fn(db),
    standbyFailing: () => false,
    stats: () => undefined,
    async close() {
      await stopAnalyzing();
      await client.close();
      await release?.();
    },
    withSession: (fn) => fn(db),
  };
}

/** How often the embedded database looks for tables to analyze (PGlite has no autovacuum daemon). */
export const AUTO_ANALYZE_MS = 5_000;

/**
 * ANALYZEs the tables changed enough since their last analysis, by autovacuum's default rule (50 rows plus 10 % of
 * the table), and answers their names. PostgreSQL's autovacuum does this on a server; PGlite runs no such daemon, so
 * its tables never had statistics and the planner guessed: one cold overview of 150 patients took 1.25 s (5 ms
 * once analyzed), blocking the process, and a few in a row had the service shed load.
 */
export async function analyzeChangedTables(ex: Executor): Promise<string[]> {
  const tables = await queryRows<{ name: string }>(
    ex,
    sql`select quote_ident(schemaname) || '.' || quote_ident(relname) as name from pg_stat_user_tables
        where n_mod_since_analyze > 50 + 0.1 * n_live_tup order by relname`,
  );
  for (const { name } of tables) await ex.execute(sql.raw(`analyze ${name}`));
  return tables.map((t) => t.name);
}

/** Runs analyzeChangedTables every `intervalMs` (0: never); the returned stop waits for a run under way. */
function analyzeEvery(ex: Executor, intervalMs: number, logger?: Logger): () => Promise<void> {
  if (intervalMs <= 0) return async () => {};
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const run = () => {
    running = analyzeChangedTables(ex).catch((err) => {
      if (!stopped) logger?.warn({ err: { message: describeError(err) } }, 'analyzing the embedded database failed');
    });
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}

/** After a standby failed for want of connection or schema, reads go to the primary this long before it is tried again. */
export const STANDBY_RETRY_MS = 10_000;

/**
 * Reads on the standby, falling back to the primary. A standby that cannot be reached or is not migrated (its
 * DATABASE_READ_URL wrong, or the server down) is left alone for STANDBY_RETRY_MS, so that reads neither fail nor
 * each wait for its connection timeout; a query the standby cancelled because of replication (40001, a conflict with
 * recovery) is run once more on the primary.
 */
function readFromStandby(
  standby: Executor,
  primary: Executor,
  logger?: Logger,
): { reading: Database['reading']; failing: () => boolean } {
  let avoidUntil = 0;
  const failing = () => Date.now() < avoidUntil;
  // Whether the standby still follows the primary: asked at most every STANDBY_RETRY_MS (one query for all reads of
  // that time). A standby promoted while the service runs takes writes of its own and no longer the primary's:
  // reading it served data that stopped changing.
  let recoveringUntil = 0;
  let asking: Promise<boolean> | undefined;
  const stillStandby = async (): Promise<boolean> => {
    if (Date.now() < recoveringUntil) return true;
    asking ??= queryRows<{ recovering: boolean }>(standby, sql`select pg_is_in_recovery() as recovering`)
      .then(([row]) => {
        if (row?.recovering) recoveringUntil = Date.now() + STANDBY_RETRY_MS;
        return row?.recovering === true;
      })
      .finally(() => {
        asking = undefined;
      });
    return asking;
  };
  const reading: Database['reading'] = async (fn) => {
    if (Date.now() >= avoidUntil) {
      try {
        if (!(await stillStandby())) {
          avoidUntil = Date.now() + STANDBY_RETRY_MS;
          logger?.error(
            `the standby (DATABASE_READ_URL) is not in recovery (promoted?): reads go to the primary, asked again in ${STANDBY_RETRY_MS / 1000} s`,
          );
          return fn(primary);
        }
        return await fn(standby);
      } catch (err) {
        const gone = isDatabaseUnavailable(err) || isSchemaMissing(err);
        if (!gone && !isConcurrencyConflict(err)) throw err;
        if (gone) avoidUntil = Date.now() + STANDBY_RETRY_MS;
        logger?.warn(
          { err: { message: describeError(err) } },
          gone
            ? `the standby (DATABASE_READ_URL) is failing: reads go to the primary for ${STANDBY_RETRY_MS / 1000} s`
            : 'the standby cancelled a read: it is run on the primary',
        );
      }
    }
    return fn(primary);
  };
  return { reading, failing };
}

export interface ServerIdentity {
  recovering: boolean;
  database: string;
  /** The cluster's system identifier, which a streaming replica shares with its primary (null where not readable). */
  system: string | null;
  /** When the server's postmaster started: two URLs of one server answer the same. */
  started: string;
}

async function identify(ex: Executor): Promise<ServerIdentity> {
  const [row] = await queryRows<Omit<ServerIdentity, 'system'>>(
    ex,
    sql`select pg_is_in_recovery() as recovering, current_database() as database,
        pg_postmaster_start_time()::text as started`,
  );
  if (!row) throw new Error('the server did not say what it is');
  // pg_control_system() can be revoked; the recovery check alone still tells a writable server.
  const system = await queryRows<{ system: string }>(
    ex,
    sql`select system_identifier::text as system from pg_control_system()`,
  ).then(
    (rows) => rows[0]?.system ?? null,
    () => null,
  );
  return { ...row, system };
}

/**
 * Whether DATABASE_READ_URL is a standby of DATABASE_URL: `refuse` when it cannot be (overviews would be read from
 * another database's patients, or from data that no longer follows the primary), `warn` when it is the primary
 * itself (allowed, but nothing is offloaded). A standby that lags or has not replayed the migrations yet is not
 * refused: its reads go to the primary meanwhile (see readFromStandby).
 */
export async function checkStandby(primary: Executor, standby: Executor): Promise<{ refuse?: string; warn?: string }> {
  const [p, s] = await Promise.all([identify(primary), identify(standby)]);
  return standbyVerdict(p, s);
}

/** checkStandby's rule, on what the two servers said of themselves. */
export function standbyVerdict(p: ServerIdentity, s: ServerIdentity): { refuse?: string; warn?: string } {
  const sameCluster = p.system !== null && s.system !== null ? p.system === s.system : undefined;
  if (s.recovering) {
    if (sameCluster === false) return { refuse: 'is a standby of another PostgreSQL cluster than DATABASE_URL' };
    // A replica holds every database of its primary: one URL naming another would read that database's patients.
    if (s.database !== p.database) {
      return { refuse: `names database ${s.database} of the standby, where DATABASE_URL names ${p.database}` };
    }
    return {};
  }
  // The same cluster, database and postmaster under another URL: the primary itself. A promoted standby shares the
  // cluster's identifier but not the postmaster, and no longer follows the primary.
  if (sameCluster === true && s.database === p.database && s.started === p.started) {
    return { warn: 'is the primary itself (DATABASE_URL): reads are not offloaded' };
  }
  return {
    refuse:
      sameCluster === true && s.database === p.database
        ? 'is a writable copy of the primary (a promoted standby?), not a hot standby following it: overviews would be read from data that no longer follows DATABASE_URL'
        : 'is a writable server, not a hot standby of DATABASE_URL (pg_is_in_recovery() is false): overviews would be read from another database',
  };
}

export async function ping(db: Executor): Promise<void> {
  await db.execute(sql`select 1`);
}
