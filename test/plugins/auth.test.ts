import { createHmac } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { describe, expect, it, vi } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { AUDITOR, CARE_GIVER, TEST_SECRET, tokenFor } from '../helpers/tokens.js';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'samverkan';
const ctx = useTestApp({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });

const good = { iss: ISSUER, aud: AUDIENCE };
const call = (authorization?: string) =>
  ctx.app.inject({ method: 'GET', url: '/v1/audit-events', headers: authorization ? { authorization } : {} });

function unsigned(payload: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

async function expect401(authorization: string | undefined, detail?: RegExp) {
  const res = await call(authorization);
  expect(res.statusCode).toBe(401);
  expect(res.headers['content-type']).toContain('application/problem+json');
  // RFC 9110 §11.6.1 / RFC 6750 §3: a 401 names the scheme the client should use.
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="samverkan"/);
  if (authorization?.startsWith('Bearer ')) expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  const body = res.json();
  expect(body).toMatchObject({ status: 401, title: 'Unauthorized' });
  expect(body.type).toMatch(/\/unauthorized$/);
  if (detail) expect(body.detail).toMatch(detail);
  expect(body.items).toBeUndefined();
}

describe('authentication', () => {
  it('accepts a valid token', async () => {
    const res = await call(`Bearer ${tokenFor({ role: 'auditor' }, good)}`);
    expect(res.statusCode).toBe(200);
  });

  it('401 without a token', () => expect401(undefined, /bearer token is required/));
  it('401 for a malformed header', () => expect401('Token abc'));
  it('401 for garbage', () => expect401('Bearer not.a.jwt'));
  it('401 for an expired token', () =>
    expect401(`Bearer ${tokenFor({ role: 'auditor' }, { ...good, expiresInMs: -60_000 })}`, /expired/));
  it('401 once a token has expired, also after it was accepted (verified tokens are cached)', async () => {
    const token = `Bearer ${tokenFor({ role: 'auditor' }, { ...good, expiresInMs: 120_000 })}`;
    expect((await call(token)).statusCode).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 180_000);
      await expect401(token, /expired/);
    } finally {
      vi.useRealTimers();
    }
  });
  it('401 for a token valid for longer than JWT_MAX_LIFETIME_MS (12 h by default): a leaked one must not last', async () => {
    await expect401(`Bearer ${tokenFor({ role: 'auditor' }, { ...good, expiresInMs: 13 * 3_600_000 })}`, /longer than/);
    await expect401(`Bearer ${tokenFor({ role: 'auditor' }, { ...good, expiresInMs: 10 * 365 * 86_400_000 })}`, /12 h/);
    expect(
      (await call(`Bearer ${tokenFor({ role: 'auditor' }, { ...good, expiresInMs: 11 * 3_600_000 })}`)).statusCode,
    ).toBe(200);
  });
  it('401 for a token issued in the future (beyond a minute of clock skew)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = (iat: number) =>
      createSigner({ key: TEST_SECRET, algorithm: 'HS256' })({
        sub: AUDITOR,
        role: 'auditor',
        careGiverId: CARE_GIVER,
        units: [],
        ...good,
        iat,
        exp: now + 3_600,
      });
    await expect401(`Bearer ${signed(now + 50 * 60)}`, /issued in the future/);
    expect((await call(`Bearer ${signed(now + 30)}`)).statusCode).toBe(200);
  });
  it('401 for alg none', () =>
    expect401(
      `Bearer ${unsigned({ sub: AUDITOR, role: 'auditor', careGiverId: CARE_GIVER, units: [], exp: Math.floor(Date.now() / 1000) + 600, iss: ISSUER, aud: AUDIENCE })}`,
    ));
  it('401 for a token whose payload or header names a key twice, however well signed (readers differ on which wins)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const sign = (headerJson: string, payloadJson: string) => {
      const h = Buffer.from(headerJson).toString('base64url');
      const p = Buffer.from(payloadJson).toString('base64url');
      const signature = createHmac('sha256', TEST_SECRET).update(`${h}.${p}`).digest('base64url');
      return `Bearer ${h}.${p}.${signature}`;
    };
    const claims = `"sub":"${AUDITOR}","careGiverId":"${CARE_GIVER}","units":[],"exp":${exp},"iss":"${ISSUER}","aud":"${AUDIENCE}"`;
    const header = '{"alg":"HS256","typ":"JWT"}';
    // Signed alike, without a repeat: accepted (the signing here is right).
    expect((await call(sign(header, `{"role":"auditor",${claims}}`))).statusCode).toBe(200);
    await expect401(sign(header, `{"role":"coordinator","role":"auditor",${claims}}`), /given twice/);
    await expect401(sign('{"alg":"HS256","typ":"JWT","typ":"x"}', `{"role":"auditor",${claims}}`), /given twice/);
  });

  it('401 for a token signed with another key', () =>
    expect401(`Bearer ${tokenFor({ role: 'auditor' }, { ...good, key: 'another-secret-that-is-long-enough-xxxxx' })}`));
  it('401 for another algorithm than the pinned one', () => {
    const hs512 = createSigner({ key: TEST_SECRET, algorithm: 'HS512', expiresIn: 60_000 });
    return expect401(`Bearer ${hs512({ sub: AUDITOR, role: 'auditor', careGiverId: CARE_GIVER, units: [], ...good })}`);
  });
  it('401 for the wrong audience', () =>
    expect401(`Bearer ${tokenFor({ role: 'auditor' }, { iss: ISSUER, aud: 'other' })}`));
  it('401 for the wrong issuer', () =>
    expect401(`Bearer ${tokenFor({ role: 'auditor' }, { iss: 'https://evil.example', aud: AUDIENCE })}`));
  it('401 for a token without the configured issuer or audience (they were checked only when present)', async () => {
    await expect401(`Bearer ${tokenFor({ role: 'auditor' }, { aud: AUDIENCE })}`);
    await expect401(`Bearer ${tokenFor({ role: 'auditor' }, { iss: ISSUER })}`);
    await expect401(`Bearer ${tokenFor({ role: 'auditor' })}`);
  });
  it('401 for a token without exp', () => {
    const noExp = createSigner({ key: TEST_SECRET, algorithm: 'HS256' });
    return expect401(`Bearer ${noExp({ sub: AUDITOR, role: 'auditor', careGiverId: CARE_GIVER, units: [], ...good })}`);
  });
  it('401 for a token not valid yet, beyond the minute of clock skew iat is given too', async () => {
    await expect401(`Bearer ${tokenFor({ role: 'auditor' }, { ...good, notBefore: 3_600_000 })}`, /not valid yet/);
    // An identity provider whose clock runs a few seconds fast sets nbf = iat a little ahead: still accepted.
    const now = Math.floor(Date.now() / 1000);
    const ahead = createSigner({ key: TEST_SECRET, algorithm: 'HS256' })({
      sub: AUDITOR,
      role: 'auditor',
      careGiverId: CARE_GIVER,
      units: [],
      ...good,
      iat: now + 5,
      nbf: now + 5,
      exp: now + 3_600,
    });
    expect((await call(`Bearer ${ahead}`)).statusCode).toBe(200);
  });
  it('401 for an oversized token', () => expect401(`Bearer ${'a'.repeat(9_000)}`, /too large/));
  it('401 for bad claims: unknown role', () =>
    expect401(`Bearer ${tokenFor({ role: 'janitor' }, good)}`, /claims.*role/));
  it('401 for bad claims: care giver that is not an HSA-id', () =>
    expect401(`Bearer ${tokenFor({ role: 'auditor', careGiverId: 'region-x' }, good)}`, /careGiverId/));
  it('401 for bad claims: units not a list', () =>
    expect401(
      `Bearer ${tokenFor({ role: 'auditor', units: 'SE2321000016-U001' as unknown as string[] }, good)}`,
      /units/,
    ));

  it('403 problem+json for a role the route does not allow', async () => {
    const res = await call(`Bearer ${tokenFor({ role: 'doctor' }, good)}`);
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 403, title: 'Forbidden' });
  });
});
