import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../helpers/app.js';
import { certificateBody, getCertificate, postBatch, postCertificate, revoke } from './fixtures.js';

const ctx = useTestApp({ MAX_EVENT_LOOP_DELAY_MS: '0' });

describe('a replacement and its target posted at the same moment', () => {
  // On PostgreSQL the two posts run in two transactions at once (a batch and a single post never share one), and
  // before the settling after commit the target kept counting in most rounds. PGlite has one connection, so there
  // the two always run one after the other.
  it('leaves the target superseded, whichever commits first', { timeout: 60_000 }, async () => {
    const stillCounting: string[] = [];
    for (let round = 0; round < 20; round++) {
      const replacement = `r-${round}`;
      const target = `t-${round}`;
      const [batch, single] = await Promise.all([
        postBatch(ctx.app, [
          certificateBody({ id: replacement, relation: { kind: 'replaces', certificateId: target } }),
        ]),
        postCertificate(ctx.app, certificateBody({ id: target })),
      ]);
      expect(batch.json().results?.[0]?.status, batch.body).toBe('created');
      expect(single.statusCode, single.body).toBe(201);
      const stored = (await getCertificate(ctx.app, target)).json();
      if (stored.counts !== false) stillCounting.push(target);
    }
    expect(stillCounting).toEqual([]);
  });
});

describe('a replacement and its target posted at the same moment, both newer than the stored names', () => {
  // Each round signs later, so both writes rename the care giver and the unit. The insert with a relation (the
  // batch) and the one without (the single post, which bumps the versions itself) must lock the two name rows in
  // the same order, or the two transactions deadlock and one post is answered 503.
  it('both succeed', { timeout: 60_000 }, async () => {
    const base = Date.parse('2026-11-20T09:30:00Z');
    for (let round = 0; round < Number(process.env.ROUNDS ?? 150); round++) {
      const signedAt = new Date(base + round * 60_000).toISOString();
      const [batch, single] = await Promise.all([
        postBatch(ctx.app, [
          certificateBody({
            id: `nr-${round}`,
            signedAt,
            relation: { kind: 'replaces', certificateId: `nt-${round}` },
          }),
        ]),
        postCertificate(ctx.app, certificateBody({ id: `nt-${round}`, signedAt })),
      ]);
      expect(batch.json().results?.[0]?.status, batch.body).toBe('created');
      expect(single.statusCode, single.body).toBe(201);
    }
  });
});

describe('a replacement revoked at the moment its target is posted', () => {
  // The revocation settles the replacement's target inside its transaction, where the target being posted is not
  // visible yet; the target's own settling sees the replacement not yet revoked. Without settling after the
  // revocation's commit too, the target stayed superseded by a revoked certificate and never counted.
  it('leaves the target counting, whichever commits first', { timeout: 60_000 }, async () => {
    const notCounting: string[] = [];
    for (let round = 0; round < Number(process.env.ROUNDS ?? 20); round++) {
      const replacement = `rr-${round}`;
      const target = `rt-${round}`;
      const posted = await postCertificate(
        ctx.app,
        certificateBody({ id: replacement, relation: { kind: 'replaces', certificateId: target } }),
      );
      expect(posted.statusCode).toBe(201);
      const [revoked, single] = await Promise.all([
        revoke(ctx.app, replacement, { reason: 'issued in error' }),
        postCertificate(ctx.app, certificateBody({ id: target })),
      ]);
      expect(revoked.statusCode).toBe(200);
      expect(single.statusCode, single.body).toBe(201);
      const stored = (await getCertificate(ctx.app, target)).json();
      if (stored.counts !== true) notCounting.push(target);
    }
    expect(notCounting).toEqual([]);
  });
});
