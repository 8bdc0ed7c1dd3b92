import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
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
    ...env,
  });
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
      logger: logger ?? pino({ level: 'silent' }),
    });
    await ctx.app.ready();
  });
  beforeEach(async () => {
    await testDb.truncate();
  });
  afterAll(async () => {
    await ctx.app?.close();
    await testDb?.close();
  });
  return ctx;
}
