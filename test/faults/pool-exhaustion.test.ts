import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificate, report, type RunningService, send, startService } from './harness.js';

let service: RunningService;
beforeAll(async () => {
  service = await startService({ poolMax: 2, connectTimeoutMs: 500 });
});
afterAll(() => service?.stop());

describe('every pool connection held by slow queries', () => {
  it('fails fast with 503 instead of hanging, then serves again', async () => {
    const slow = [1, 2].map(() => service.database.withSession((s) => s.execute(sql`select pg_sleep(4)`)));
    await new Promise((r) => setTimeout(r, 200));
    const answers = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => send(service.port, 'POST', '/v1/certificates', certificate(`fault-pool-${i}`))),
    );
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.headers['retry-after']).toBeDefined();
      expect(a.ms).toBeLessThan(2_500);
    }
    await Promise.all(slow);
    const after = await send(service.port, 'POST', '/v1/certificates', certificate('fault-pool-after'));
    expect(after.status).toBe(201);
    report('pool-exhaustion', {
      sent: answers.length + 1,
      answered503: answers.filter((a) => a.status === 503).length,
      slowestMs: Math.round(Math.max(...answers.map((a) => a.ms))),
      acknowledged: 1,
      lost: 0,
    });
  });
});
