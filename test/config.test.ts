import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../src/config.js';

const pemOf = (type: 'rsa' | 'ec' | 'ed25519', options: Record<string, unknown> = {}) =>
  generateKeyPairSync(type as 'rsa', {
    modulusLength: 2048,
    ...options,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const RSA = pemOf('rsa');

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config', () => {
  it('has working defaults for a fresh clone', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.logLevel).toBe('info');
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toBe('./data');
    expect(config.docsEnabled).toBe(true);
    expect(config.jwt).toMatchObject({ kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, development: true });
  });

  it('is frozen', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
  });

  it('names the variable of a bad port', () => {
    expect(problemsOf({ PORT: 'eighty' })[0]).toMatch(/^PORT:/);
    expect(problemsOf({ PORT: '70000' })[0]).toMatch(/^PORT:/);
  });

  it('names a bad log level, database URL and docs flag', () => {
    expect(problemsOf({ LOG_LEVEL: 'loud' })[0]).toMatch(/^LOG_LEVEL:/);
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })[0]).toMatch(
      /^DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    expect(problemsOf({ DOCS_ENABLED: 'maybe' })[0]).toMatch(/^DOCS_ENABLED:/);
  });

  it('refuses a database URL that names no database (pg would use the user’s: the shared postgres database)', () => {
    for (const url of ['postgres://postgres@127.0.0.1:5432/', 'postgres://postgres@127.0.0.1:5432', 'postgresql://h']) {
      expect(problemsOf({ DATABASE_URL: url }), url).toEqual([
        expect.stringMatching(/^DATABASE_URL: must name the database/),
      ]);
    }
    expect(problemsOf({ DATABASE_URL: 'postgres://p/db', DATABASE_READ_URL: 'postgres://h:5433/' })).toEqual([
      expect.stringMatching(/^DATABASE_READ_URL: must name the database/),
    ]);
    expect(problemsOf({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' })).toEqual([]);
  });

  it('reads a number setting as digits only: 0x10, 1e3 and 16.0 are refused naming the variable', () => {
    for (const value of ['0x10', '1e3', '16.0', '+16']) {
      expect(problemsOf({ SICK_LEAVE_CACHE_CASES: value }), value).toEqual([
        expect.stringMatching(/^SICK_LEAVE_CACHE_CASES:/),
      ]);
    }
    expect(loadConfig({ SICK_LEAVE_CACHE_CASES: ' 16 ' }).sickLeaveCacheCases).toBe(16);
    // The body limit too (0x10000 started the service).
    for (const value of ['0x10000', '1e6']) {
      expect(problemsOf({ BODY_LIMIT_BYTES: value }), value).toEqual([expect.stringMatching(/^BODY_LIMIT_BYTES:/)]);
    }
  });

  it('leaves /metrics open by default; METRICS_TOKEN, when set, is at least 32 characters', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'm'.repeat(32) }).metricsToken).toBe('m'.repeat(32));
    expect(problemsOf({ METRICS_TOKEN: 'short' })).toEqual([expect.stringMatching(/^METRICS_TOKEN: .*32/)]);
  });

  it('trusts no proxy by default, and TRUST_PROXY names the proxies (addresses, CIDRs, range names)', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.0/8, 192.0.2.10 ,loopback,fd00::/8' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.0.2.10',
      'loopback',
      'fd00::/8',
    ]);
    // Trusting every address would let any client name its own address, and so its own rate-limit bucket.
    expect(problemsOf({ TRUST_PROXY: 'true' })).toEqual([expect.stringMatching(/^TRUST_PROXY: .*every address/)]);
    expect(problemsOf({ TRUST_PROXY: '0.0.0.0/0' })).toEqual([expect.stringMatching(/^TRUST_PROXY: .*too wide/)]);
    // Nor every address in halves, nor every IPv4 address in its IPv6 form.
    expect(problemsOf({ TRUST_PROXY: '0.0.0.0/1,128.0.0.0/1' })).toHaveLength(2);
    expect(problemsOf({ TRUST_PROXY: '::ffff:0:0/96' })).toEqual([expect.stringMatching(/too wide/)]);
    expect(problemsOf({ TRUST_PROXY: '::/0' })).toEqual([expect.stringMatching(/too wide/)]);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,fd00::/32' }).trustProxy).toEqual(['10.0.0.0/8', 'fd00::/32']);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/33' })).toEqual([
      expect.stringMatching(/^TRUST_PROXY: .*10\.0\.0\.0\/33/),
    ]);
    expect(problemsOf({ TRUST_PROXY: 'proxy.example' })).toEqual([
      expect.stringMatching(/^TRUST_PROXY: .*proxy\.example/),
    ]);
    // Fastify trusts no hop count (a client can send enough hops itself): refused rather than silently ignored.
    expect(problemsOf({ TRUST_PROXY: '1' })).toEqual([expect.stringMatching(/^TRUST_PROXY: a hop count/)]);
    expect(problemsOf({ TRUST_PROXY: '0x1' })).toEqual([expect.stringMatching(/^TRUST_PROXY:/)]);
  });

  it('refuses a standby without a primary (DATABASE_READ_URL without DATABASE_URL would be ignored)', () => {
    expect(problemsOf({ DATABASE_READ_URL: 'postgres://h/db' })).toEqual([
      expect.stringMatching(/^DATABASE_READ_URL: needs DATABASE_URL/),
    ]);
    expect(problemsOf({ DATABASE_READ_URL: 'postgres://h/db', DATABASE_URL: 'postgres://p/db' })).toEqual([]);
  });

  it('refuses a JWT_PUBLIC_KEY it cannot verify RS256 or ES256 with, naming the variable and why', () => {
    expect(problemsOf({ JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----' })).toEqual([
      'JWT_PUBLIC_KEY: is not a readable PEM public key',
    ]);
    expect(problemsOf({ JWT_PUBLIC_KEY: RSA.privateKey })[0]).toMatch(/^JWT_PUBLIC_KEY: is a private key/);
    expect(problemsOf({ JWT_PUBLIC_KEY: pemOf('ed25519').publicKey })[0]).toMatch(/^JWT_PUBLIC_KEY: is a ed25519 key/);
    const p384 = pemOf('ec', { namedCurve: 'secp384r1' }).publicKey;
    expect(problemsOf({ JWT_PUBLIC_KEY: p384 })[0]).toMatch(/^JWT_PUBLIC_KEY: is a secp384r1 key: .*P-256/);
    expect(problemsOf({ JWT_PUBLIC_KEY: pemOf('ec', { namedCurve: 'prime256v1' }).publicKey })).toEqual([]);
    // As an environment file often carries it: one line with \n for the line breaks.
    expect(problemsOf({ JWT_PUBLIC_KEY: RSA.publicKey.replace(/\n/g, '\\n') })).toEqual([]);
  });

  it('refuses a short JWT secret and both kinds of key at once', () => {
    expect(problemsOf({ JWT_SECRET: 'short' })[0]).toMatch(/^JWT_SECRET:.*32/);
    const pem = RSA.publicKey;
    expect(problemsOf({ JWT_SECRET: 'x'.repeat(40), JWT_PUBLIC_KEY: pem })[0]).toMatch(/^JWT_SECRET:.*not both/);
  });

  it('bounds how long a token may be valid: 12 h by default, between a minute and a week', () => {
    expect(loadConfig({}).jwt.maxLifetimeMs).toBe(12 * 3_600_000);
    expect(loadConfig({ JWT_MAX_LIFETIME_MS: '3600000' }).jwt.maxLifetimeMs).toBe(3_600_000);
    expect(problemsOf({ JWT_MAX_LIFETIME_MS: '1000' })[0]).toMatch(/^JWT_MAX_LIFETIME_MS:/);
    expect(problemsOf({ JWT_MAX_LIFETIME_MS: String(8 * 86_400_000) })[0]).toMatch(/^JWT_MAX_LIFETIME_MS:/);
  });

  it('requires a real key in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })[0]).toMatch(/^JWT_SECRET:.*required/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'y'.repeat(32) }).jwt).toMatchObject({
      development: false,
    });
  });

  it('seals cursors with CURSOR_SECRET, else JWT_SECRET; a public key in production needs CURSOR_SECRET', () => {
    const pem = RSA.publicKey;
    expect(loadConfig({ JWT_SECRET: 'j'.repeat(32) }).cursorSecret).toBe('j'.repeat(32));
    expect(loadConfig({ JWT_SECRET: 'j'.repeat(32), CURSOR_SECRET: 'c'.repeat(32) }).cursorSecret).toBe('c'.repeat(32));
    expect(problemsOf({ CURSOR_SECRET: 'short' })[0]).toMatch(/^CURSOR_SECRET:.*32/);
    expect(problemsOf({ NODE_ENV: 'production', JWT_PUBLIC_KEY: pem })[0]).toMatch(/^CURSOR_SECRET:.*required/);
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_PUBLIC_KEY: pem, CURSOR_SECRET: 'c'.repeat(32) }).cursorSecret,
    ).toBe('c'.repeat(32));
  });

  it('pins RS256/ES256 for a public key and splits CORS origins', () => {
    const pem = RSA.publicKey;
    const config = loadConfig({ JWT_PUBLIC_KEY: pem, CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(config.jwt).toMatchObject({ kind: 'publicKey', algorithms: ['RS256', 'ES256'] });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('takes a variable set to nothing as unset, flags in any case, and refuses a CORS origin that is not one', () => {
    // PORT= used to listen on a random port (the empty string read as 0); SICK_LEAVE_CACHE_ENTRIES= turned the cache off.
    const config = loadConfig({ PORT: '', SICK_LEAVE_CACHE_ENTRIES: ' ', DOCS_ENABLED: 'FALSE' });
    expect(config.port).toBe(3000);
    expect(config.sickLeaveCacheEntries).toBe(64);
    expect(config.docsEnabled).toBe(false);
    expect(problemsOf({ CORS_ORIGINS: 'https://a.example, not a url' })[0]).toMatch(/^CORS_ORIGINS:.*not a url/);
    expect(problemsOf({ CORS_ORIGINS: 'https://a.example/app' })[0]).toMatch(/^CORS_ORIGINS:/);
    expect(loadConfig({ CORS_ORIGINS: 'http://localhost:5173' }).corsOrigins).toEqual(['http://localhost:5173']);
  });

  it('reports every bad variable at once', () => {
    expect(problemsOf({ PORT: 'x', RATE_LIMIT_MAX: '0' }).map((p) => p.split(':')[0])).toEqual([
      'PORT',
      'RATE_LIMIT_MAX',
    ]);
  });
});
