import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { certificate, report, type RunningService, send, sleep, startService } from './harness.js';

let service: RunningService;
beforeAll(async () => {
  service = await startService();
});
afterAll(() => service?.stop());

async function counts() {
  const [row] = await queryRows<{ certificates: string; created: string }>(
    service.database.db,
    sql`select (select count(*) from certificates) as certificates,
               (select count(*) from audit_events where action = 'create') as created`,
  );
  return { certificates: Number(row!.certificates), created: Number(row!.created) };
}

describe('a batch whose connection is killed halfway', () => {
  it('leaves each item fully stored or not at all, and its retry completes it', async () => {
    const batch = {
      certificates: Array.from({ length: 1_000 }, (_, i) => certificate(`fault-batch-${i}`, 1 + (i % 10))),
    };
    // Hold a lock that makes the batch's insert wait, so it is surely mid-way when its backend is killed.
    const blocker = new pg.Client({ connectionString: service.url });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table certificate_relations in exclusive mode');
    const pending = send(service.port, 'POST', '/v1/certificates/batch', batch);
    let killed = 0;
    for (let i = 0; i < 100 && killed === 0; i++) {
      await sleep(100);
      const { rows } = await blocker.query(
        `select pg_terminate_backend(pid) as done from pg_stat_activity
         where datname = current_database() and application_name = 'samverkan' and wait_event_type = 'Lock'`,
      );
      killed = rows.length;
    }
    await blocker.query('rollback');
    await blocker.end();
    const interrupted = await pending;
    expect(killed).toBe(1);
    expect(interrupted.status).toBe(503);
    const afterKill = await counts();
    // All or nothing: no certificate stored without its audit event.
    expect(afterKill.created).toBe(afterKill.certificates);

    const retry = await send(service.port, 'POST', '/v1/certificates/batch', batch);
    expect(retry.status).toBe(200);
    const results = JSON.parse(retry.body).results as { status: string }[];
    expect(results.every((r) => r.status === 'created' || r.status === 'unchanged')).toBe(true);
    const final = await counts();
    expect(final).toEqual({ certificates: 1_000, created: 1_000 });
    report('batch-interrupted', {
      sent: 2_000,
      storedAfterKill: afterKill.certificates,
      acknowledged: 1_000,
      stored: final.certificates,
      lost: 1_000 - final.certificates,
    });
  });
});
