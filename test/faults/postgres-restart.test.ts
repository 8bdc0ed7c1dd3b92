import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { certificate, postgres, report, type RunningService, send, sleep, startService } from './harness.js';

let service: RunningService;
beforeAll(async () => {
  service = await startService({ poolMax: 5, connectTimeoutMs: 1_000 });
});
afterAll(async () => {
  postgres('start');
  await service?.stop();
});

describe('PostgreSQL restarts while EHR clients post with retries', () => {
  it('answers 503 with Retry-After while down, recovers by itself, and stores every acknowledged certificate once', async () => {
    const acknowledged = new Set<string>();
    let sent = 0;
    let unavailable = 0;
    let running = true;

    async function client(n: number) {
      for (let i = 0; running; i++) {
        const id = `fault-restart-${n}-${i}`;
        // Retry until acknowledged, as the integration guide asks EHR systems to do.
        for (let attempt = 0; attempt < 200; attempt++) {
          sent += 1;
          const answer = await send(service.port, 'POST', '/v1/certificates', certificate(id)).catch(() => undefined);
          if (answer && (answer.status === 201 || answer.status === 200)) {
            acknowledged.add(id);
            break;
          }
          if (answer?.status === 503) unavailable += 1;
          else if (answer) throw new Error(`unexpected ${answer.status}: ${answer.body}`);
          await sleep(100);
        }
      }
    }

    const clients = [0, 1, 2, 3].map(client);
    await sleep(1_000);
    postgres('stop');
    const down = performance.now();

    const ready = await send(service.port, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    const refused = await send(service.port, 'POST', '/v1/certificates', certificate('fault-restart-probe'));
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.ms).toBeLessThan(3_000);

    await sleep(2_000);
    postgres('start');
    const downMs = performance.now() - down;
    let readyAgain = false;
    for (let i = 0; i < 100 && !readyAgain; i++) {
      readyAgain = (await send(service.port, 'GET', '/health/ready')).status === 200;
      if (!readyAgain) await sleep(200);
    }
    expect(readyAgain).toBe(true);
    await sleep(1_000);
    running = false;
    await Promise.all(clients);

    const stored = await queryRows<{ id: string; periods: string }>(
      service.database.db,
      sql`select c.id, cardinality(c.period_degrees) as periods
          from certificates c where c.id like 'fault-restart-%'`,
    );
    const storedIds = new Set(stored.map((r) => r.id));
    const lost = [...acknowledged].filter((id) => !storedIds.has(id));
    const unacknowledged = [...storedIds].filter((id) => !acknowledged.has(id) && id !== 'fault-restart-probe');
    report('postgres-restart', {
      sent,
      acknowledged: acknowledged.size,
      stored: storedIds.size,
      lost: lost.length,
      answered503: unavailable,
      downMs: Math.round(downMs),
    });
    expect(acknowledged.size).toBeGreaterThan(10);
    expect(lost).toEqual([]);
    expect(unacknowledged).toEqual([]);
    expect(stored.every((r) => Number(r.periods) === 2)).toBe(true);
  });
});
