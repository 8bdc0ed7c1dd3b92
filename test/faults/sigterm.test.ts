import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../helpers/app.js';
import { createScratchDatabase } from '../helpers/database.js';
import { certificate, EHR_TOKEN, report, send, sleep } from './harness.js';

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
beforeAll(async () => {
  scratch = await createScratchDatabase();
});
afterAll(() => scratch?.drop());

const GRACE_MS = 5_000;
const LEFT_OPEN_MS = Number(process.env.LEFT_OPEN_MS ?? 10_000);

/** The service as its own process on the scratch database, as `npm start` runs it; resolves once it listens. */
async function spawnServer() {
  const config = testConfig();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: scratch.url,
      JWT_SECRET: config.jwt.kind === 'secret' ? config.jwt.secret : '',
      RATE_LIMIT_MAX: '1000000',
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => {
    output += c;
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening: ${output}`)), 45_000);
    child.stdout.on('data', () => {
      const m = /samverkan listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { child, port, output: () => output };
}

describe('SIGTERM during load', () => {
  it('completes in-flight requests, refuses new connections, exits within the grace period, loses nothing', async () => {
    const { child, port, output } = await spawnServer();
    const acknowledged = new Set<string>();
    const requestIds = new Map<string, string>();
    let sent = 0;
    const failedBeforeTerm: string[] = [];
    let refusedAfterTerm = 0;
    let terminated = false;
    async function client(n: number) {
      for (let i = 0; ; i++) {
        const id = `fault-term-${n}-${i}`;
        const startedBeforeTerm = !terminated;
        sent += 1;
        try {
          // A request id of our own: the server's "incoming request" log line then tells whether it got the request.
          const requestId = randomUUID();
          requestIds.set(id, requestId);
          const answer = await send(port, 'POST', '/v1/certificates', certificate(id), undefined, {
            'x-request-id': requestId,
          });
          if (answer.status === 201 || answer.status === 200) acknowledged.add(id);
        } catch {
          if (startedBeforeTerm) failedBeforeTerm.push(id);
          else refusedAfterTerm += 1;
          return;
        }
      }
    }
    const clients = [0, 1, 2, 3, 4, 5].map(client);
    await sleep(1_500);
    terminated = true;
    const termAt = performance.now();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    const exitMs = performance.now() - termAt;
    await Promise.all(clients);

    const db = new pg.Client({ connectionString: scratch.url });
    await db.connect();
    const { rows } = await db.query<{ id: string }>(`select id from certificates where id like 'fault-term-%'`);
    await db.end();
    const stored = new Set(rows.map((r) => r.id));
    const lost = [...acknowledged].filter((id) => !stored.has(id));
    // A connection refused after SIGTERM is expected; a request the server had received and left unanswered is not.
    // One opened in the last moments before SIGTERM may still have been in the listen backlog, or accepted with its
    // request not yet read, when the server stopped accepting: the server never had it, and the client retries it
    // like a refused one. The server's log tells the two apart.
    const received = (id: string) => output().includes(`"reqId":"${requestIds.get(id)}"`);
    const inFlightFailed = failedBeforeTerm.filter(received).length;
    const neverReceived = failedBeforeTerm.length - inFlightFailed;
    report('sigterm', {
      sent,
      acknowledged: acknowledged.size,
      stored: stored.size,
      lost: lost.length,
      inFlightFailed,
      neverReceived,
      refusedAfterTerm,
      exitMs: Math.round(exitMs),
    });
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(GRACE_MS + 1_000);
    expect(acknowledged.size).toBeGreaterThan(5);
    expect(lost).toEqual([]);
    // The log names every request the server had (so `received` can be trusted), and none of those went unanswered.
    expect([...acknowledged].every(received)).toBe(true);
    expect(inFlightFailed).toBe(0);
    expect(refusedAfterTerm).toBeGreaterThan(0);
    // Stored but never acknowledged would mean a commit whose answer was lost: the client's retry makes it 200.
    expect([...stored].filter((id) => !acknowledged.has(id)).length).toBeLessThanOrEqual(6);
  });
});

describe('SIGTERM with keep-alive connections a client left open', () => {
  it('still ends every connection, seals the audit trail and exits 0 within the grace period', async () => {
    const { child, port, output } = await spawnServer();
    // Batches posted with fetch whose answers are never read: undici keeps each connection open. Node 20 was seen
    // to count such connections as busy seconds later, so neither server.close() nor closing idle connections ended
    // them and the shutdown waited for the grace period to kill the process.
    const body = JSON.stringify({
      certificates: Array.from({ length: 1_000 }, (_, i) => certificate(`fault-open-${i}`)),
    });
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/certificates/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${EHR_TOKEN}`, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBeLessThan(300);
    }
    await sleep(LEFT_OPEN_MS);
    const termAt = performance.now();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    const exitMs = performance.now() - termAt;
    const db = new pg.Client({ connectionString: scratch.url });
    await db.connect();
    const { rows } = await db.query<{ n: number }>(
      `select count(*)::int as n from audit_events
       where xact >= coalesce((select xact_to from audit_seal_watermark where id = 1), '0'::xid8)`,
    );
    await db.end();
    report('sigterm-left-open', { exitMs: Math.round(exitMs), unsealed: rows[0]!.n });
    expect(output()).not.toContain('killed by timeout');
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(GRACE_MS);
    expect(rows[0]!.n).toBe(0);
  });
});
