import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { loggerOptions } from '../../src/lib/logger.js';
import type { Database } from '../../src/db/client.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { TEST_SECRET } from './tokens.js';

export interface TestContext {
  app: FastifyInstance;
  database: Database;
  config: Readonly<Config>;
}

export function testConfig(env: Record<string, string> = {}): Readonly<Config> {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_SECRET,
    RATE_LIMIT_MAX: '100000',
    // No load shedding unless a test asks for it (test/plugins/load-shedding.test.ts): on a busy CI machine the
    // event loop of a test worker lags by seconds, and a 503 there says nothing about the code under test.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  });
}

/**
 * With TEST_LOG_FILE set, every test app logs at debug level, with the production logger settings, to that file; CI
 * then scans it for personal identity numbers, names and note text (scripts/check-log-hygiene.ts).
 */
export function testLogger(): Logger {
  const file = process.env.TEST_LOG_FILE;
  if (!file) return pino({ level: 'silent' });
  return pino(loggerOptions('debug'), pino.destination({ dest: file, append: true, sync: true }));
}

/**
 * One app and one database per test file, tables emptied before each test. Returns a context whose fields are
 * filled in by beforeAll.
 */
export function useTestApp(env: Record<string, string> = {}, logger?: Logger): TestContext {
  const ctx = {} as TestContext;
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await openTestDatabase();
    ctx.config = testConfig(env);
    ctx.database = testDb.database;
    ctx.app = await buildApp({
      config: ctx.config,
      database: testDb.database,
      logger: logger ?? testLogger(),
    });
    await ctx.app.ready();
  });
  beforeEach(async () => {
    // The background audit sealer would deadlock with TRUNCATE on PostgreSQL: pause it around the truncation.
    const sealer = ctx.app.services.audit.sealer;
    await sealer.stop();
    await testDb.truncate();
    sealer.start();
  });
  afterAll(async () => {
    await ctx.app?.close();
    await testDb?.close();
  });
  return ctx;
}
