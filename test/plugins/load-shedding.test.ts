import { describe, expect, it, vi } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { bearer } from '../helpers/tokens.js';

const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '20' });

function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy on purpose: this is the overload being simulated.
  }
}

describe('load shedding', () => {
  it('answers 503 problem+json with Retry-After while the event loop is overloaded, then serves again', async () => {
    let shed: Awaited<ReturnType<typeof ctx.app.inject>> | undefined;
    await vi.waitFor(
      async () => {
        blockEventLoop(300);
        await new Promise((r) => setTimeout(r, 30));
        shed = await ctx.app.inject({ url: '/v1/audit-events', headers: bearer({ role: 'auditor' }) });
        expect(shed.statusCode).toBe(503);
        // In the same overload the liveness probe still answers: shedding it would get the process restarted.
        expect((await ctx.app.inject({ url: '/health/live' })).statusCode).toBe(200);
      },
      { timeout: 15_000, interval: 10 },
    );
    expect(shed!.headers['content-type']).toContain('application/problem+json');
    expect(shed!.headers['retry-after']).toBeDefined();
    expect(shed!.json()).toMatchObject({ status: 503, title: 'Service unavailable' });
    await vi.waitFor(
      async () => {
        const ok = await ctx.app.inject({ url: '/v1/audit-events', headers: bearer({ role: 'auditor' }) });
        expect(ok.statusCode).toBe(200);
      },
      { timeout: 15_000, interval: 100 },
    );
  });
});
