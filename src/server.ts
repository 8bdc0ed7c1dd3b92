import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { checkStandby, DATA_DIR_LOCK_STALE_MS, openDatabase, ping } from './db/client.js';
import { migrationsApplied, runMigrations } from './db/migrate.js';
import { describeError } from './lib/errors.js';
import { loggerOptions } from './lib/logger.js';

/** A signal this soon after the first is its echo (see the signal handlers in main), not a second one. */
const SIGNAL_ECHO_MS = 1_000;

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = pino(loggerOptions(config.logLevel));
  const startedAt = performance.now();
  if (config.jwt.kind === 'secret' && config.jwt.development) {
    logger.warn('JWT_SECRET is not set: using the built-in development secret (never in production)');
  }
  // A restart right after a crash waits for the dead process's DATA_DIR lock to expire rather than failing.
  const database = await openDatabase({
    ...config.database,
    logger,
    dataDirLockWaitMs: DATA_DIR_LOCK_STALE_MS + 2_000,
  });
  // Said while it waits: behind another instance's migration (an index build can take minutes) a start looked hung.
  const migrating = performance.now();
  const waiting = setTimeout(() => logger.info('waiting for the migration lock: another instance is migrating'), 1_000);
  const { applied } = await runMigrations(database, () => clearTimeout(waiting))
    .catch((err) => {
      throw named('DATABASE_URL', config.database.url, err);
    })
    .finally(() => clearTimeout(waiting));
  if (applied > 0)
    logger.info({ applied, ms: Math.round(performance.now() - migrating) }, 'database migrations applied');
  // Migrations recorded as applied while the service's tables are gone (dropped under an earlier run, its drizzle
  // schema kept) are not applied again: refused at start, rather than answering every request 503.
  if (!(await migrationsApplied(database.db))) {
    const missing = new Error(
      "every migration is recorded as applied (schema drizzle) but the service's tables are missing: restore the " +
        'database, or drop schema drizzle as well to migrate it afresh',
    );
    throw named('DATABASE_URL', config.database.url, missing);
  }
  if (database.hasStandby) {
    // A standby that does not answer at start is a mistake in DATABASE_READ_URL, told now as one in DATABASE_URL is;
    // one that fails later only sends its reads to the primary (see Database.reading).
    await ping(database.readDb).catch((err) => {
      throw named('DATABASE_READ_URL', config.database.readUrl, err);
    });
    // One that answers but is no standby of the primary (another database, a replica of another cluster) would
    // serve overviews of other data, or of none: refused.
    const standby = await checkStandby(database.db, database.readDb);
    if (standby.refuse) throw named('DATABASE_READ_URL', config.database.readUrl, new Error(standby.refuse));
    if (standby.warn) logger.warn(`DATABASE_READ_URL ${standby.warn}`);
    const standbyAnswers = await migrationsApplied(database.readDb).catch(() => false);
    if (!standbyAnswers) {
      logger.warn(
        'the standby (DATABASE_READ_URL) has not replayed every migration yet: reads go to the primary until it has',
      );
    }
  }
  const app = await buildApp({ config, database, logger });

  // SIGTERM/SIGINT: stop accepting, finish in-flight requests, close idle keep-alives, then close the database.
  // Signals are taken here rather than by close-with-grace, which exits at once on a second one: Ctrl-C on
  // `npm start` reaches the server twice, from the terminal (to the process group) and forwarded by npm 17 ms later,
  // and that echo skipped the grace period, the final audit seal and closing the database. A second signal within
  // SIGNAL_ECHO_MS is taken for the echo; a later one still forces the exit.
  let shutdownSignal: NodeJS.Signals | undefined;
  let firstSignalAt = 0;
  const grace = closeWithGrace(
    { delay: config.shutdownGraceMs, logger, skip: ['SIGINT', 'SIGTERM'] },
    async ({ err }) => {
      if (err) logger.error({ err }, 'shutting down after an error');
      else logger.info({ signal: shutdownSignal }, 'shutting down');
      // Connections still open at 80 % of the grace period are cut, so that the rest of the shutdown (the final audit
      // seal, closing the database) runs before the process is killed. Node 20 was seen to count keep-alive
      // connections that a client left open as busy seconds after their last answer, and then server.close() waits for
      // them; a client that stops reading a large answer does the same.
      const cut = setTimeout(
        () => {
          logger.warn('connections still open late in the grace period: closing them');
          app.server.closeAllConnections();
        },
        Math.round(config.shutdownGraceMs * 0.8),
      );
      cut.unref();
      await app.close();
      clearTimeout(cut);
      await database.close();
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (shutdownSignal === undefined) {
        shutdownSignal = signal;
        firstSignalAt = Date.now();
        void grace.close();
      } else if (Date.now() - firstSignalAt > SIGNAL_ECHO_MS) {
        logger.error({ signal }, `second ${signal}, exiting`);
        process.exit(1);
      }
    });
  }

  await app.listen({ port: config.port, host: config.host }).catch(async (err) => {
    // Named as a bad DATABASE_URL is: Node's own message ("getaddrinfo ENOTFOUND x") said neither setting.
    await app.close().catch(() => {});
    await database.close().catch(() => {});
    const code = (err as NodeJS.ErrnoException).code;
    const setting =
      code === 'EADDRINUSE' || code === 'EACCES' ? `PORT ${config.port} on ${config.host}` : `HOST ${config.host}`;
    throw new Error(`${setting} (the address to listen on): ${describeError(err)}`);
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const where = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  logger.info(
    {
      database: database.kind === 'pg' ? 'pg' : `pglite (${config.database.dataDir})`,
      readyMs: Math.round(performance.now() - startedAt),
    },
    `samverkan listening on ${where}${config.docsEnabled ? ` — API reference at ${where}/docs` : ''}`,
  );
}

/** A database error at start, naming the setting and where it points (the password left out). */
function named(setting: string, url: string | undefined, err: unknown): Error {
  if (!url) return err instanceof Error ? err : new Error(String(err));
  // Host and database only: the URL may hold a password (config has checked that it parses).
  let where = 'the URL given';
  try {
    const u = new URL(url);
    where = `${u.host}${u.pathname}`;
  } catch {}
  return new Error(`${setting} (${where}): ${describeError(err)}`);
}

main().catch((err) => {
  process.stderr.write(`samverkan failed to start: ${describeError(err)}\n`);
  process.exit(1);
});
