import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { MIGRATION_LOCK_KEY, migrationsFolder, runMigrations } from '../../src/db/migrate.js';
import { createScratchDatabase, TEST_DATABASE_URL } from '../helpers/database.js';
import { runScript } from '../helpers/process.js';

/** Starts src/server.ts on the embedded database in memory and answers its exit code and output. */
async function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const server = runScript('src/server.ts', { DATA_DIR: 'memory://', LOG_LEVEL: 'warn', DATABASE_URL: '', ...env });
  const code = await server.exited;
  return { code, output: server.output() };
}

describe('a start that cannot listen', () => {
  it('names HOST when it is no address of this machine', async () => {
    const { code, output } = await start({ HOST: 'no-such-host.invalid', PORT: '0' });
    expect(code, output).toBe(1);
    expect(output).toMatch(/samverkan failed to start: HOST no-such-host\.invalid .*ENOTFOUND/);
  });

  it('names PORT when another process holds it', async () => {
    const holder: Server = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = (holder.address() as { port: number }).port;
    try {
      const { code, output } = await start({ HOST: '127.0.0.1', PORT: String(port) });
      expect(code, output).toBe(1);
      expect(output).toMatch(new RegExp(`samverkan failed to start: PORT ${port} on 127\\.0\\.0\\.1 .*EADDRINUSE`));
    } finally {
      holder.close();
    }
  });
});

describe.skipIf(!TEST_DATABASE_URL)(
  'a start on a database whose tables are gone but its migration records stay',
  () => {
    it('is refused naming DATABASE_URL and what to do, not started to answer every request 503', async () => {
      const scratch = await createScratchDatabase();
      try {
        const database = await openDatabase({ url: scratch.url, poolMax: 1 });
        await runMigrations(database);
        for (const statement of ['drop schema public cascade', 'create schema public']) {
          await database.db.execute(sql.raw(statement));
        }
        await database.close();
        const { code, output } = await start({ DATABASE_URL: scratch.url, PORT: '0', HOST: '127.0.0.1' });
        expect(code, output).toBe(1);
        expect(output).toMatch(/samverkan failed to start: DATABASE_URL .*tables are missing/);
      } finally {
        await scratch.drop();
      }
    });
  },
);

describe('a start that migrates', () => {
  const migrations = readdirSync(migrationsFolder).filter((f) => f.endsWith('.sql')).length;

  /** Starts the server, answers its output once it listens (or exits), and stops it. */
  function starting(env: Record<string, string>) {
    return runScript('src/server.ts', {
      DATA_DIR: 'memory://',
      DATABASE_URL: '',
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    });
  }

  async function outputOnceListening(server: ReturnType<typeof starting>): Promise<string> {
    await vi.waitFor(() => expect(server.output()).toMatch(/samverkan listening|failed to start/), {
      timeout: 40_000,
      interval: 100,
    });
    server.child.kill('SIGTERM');
    await server.exited;
    return server.output();
  }

  const untilListening = (env: Record<string, string>) => outputOnceListening(starting(env));

  it('logs how many migrations it applied to a new database', async () => {
    const output = await untilListening({});
    expect(output).toContain(`"applied":${migrations}`);
    expect(output).toContain('database migrations applied');
  });

  it.skipIf(!TEST_DATABASE_URL)('says it waits while another instance holds the migration lock', async () => {
    const scratch = await createScratchDatabase();
    const holder = await openDatabase({ url: scratch.url, poolMax: 1 });
    try {
      await holder.withSession(async (session) => {
        await session.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
        const server = starting({ DATABASE_URL: scratch.url });
        // Held until the start says it waits (a fixed pause was shorter than a start on a busy machine).
        await vi.waitFor(
          () => expect(server.output()).toContain('waiting for the migration lock: another instance is migrating'),
          { timeout: 40_000, interval: 100 },
        );
        expect(server.output()).not.toContain('migrations applied');
        await session.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
        const output = await outputOnceListening(server);
        expect(output.indexOf('waiting for the migration lock')).toBeLessThan(output.indexOf('migrations applied'));
        expect(output).toContain('samverkan listening');
      });
      // Started again on it, nothing is left to apply: no such line.
      expect(await untilListening({ DATABASE_URL: scratch.url })).not.toContain('migrations applied');
    } finally {
      await holder.close();
      await scratch.drop();
    }
  });
});
