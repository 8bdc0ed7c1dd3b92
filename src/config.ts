import { createPublicKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';

/** Used only outside production so that a fresh clone starts with no setup; production must set its own key. */
export const DEVELOPMENT_JWT_SECRET = 'samverkan-development-secret-do-not-use-in-production';

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const PostgresUrl = z
  .url({
    protocol: /^postgres(ql)?$/,
    error: 'must be a postgres:// or postgresql:// URL (postgres://user@host:5432/database)',
  })
  // Without one, pg connects to the database named as the user: postgres://postgres@host/ migrated the service's
  // tables and audit chain into the server's shared postgres database.
  .refine(
    (url) => decodeURIComponent(new URL(url).pathname.slice(1)) !== '',
    'must name the database (postgres://user@host:5432/database): without one, the user’s database would be used',
  );

/**
 * Why a PEM is not a key the service can verify tokens with (RS256: RSA; ES256: EC on P-256), or undefined. Checked at
 * start so that the message names JWT_PUBLIC_KEY; the JWT library's own ("Unsupported PEM public key.") did not.
 */
function publicKeyProblem(pem: string): string | undefined {
  if (/PRIVATE KEY-----/.test(pem)) return 'is a private key: give the public key (tokens are only verified here)';
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return 'is not a readable PEM public key';
  }
  if (key.asymmetricKeyType === 'rsa') return undefined;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return undefined;
  const what = key.asymmetricKeyDetails?.namedCurve ?? key.asymmetricKeyType ?? 'unknown';
  return `is a ${what} key: RS256 needs an RSA key, ES256 an EC key on P-256`;
}

/**
 * A whole number in the environment: digits only. z.coerce.number reads 0x10 as 16, 1e3 as 1000 and ' 5' as 5, so a
 * typo such as SICK_LEAVE_CACHE_CASES=0x10 started the service with 16.
 */
const envInt = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v, ctx) => {
    if (typeof v !== 'string' || /^\d+$/.test(v.trim())) return v;
    ctx.addIssue({ code: 'custom', message: 'must be a whole number in digits' });
    return z.NEVER;
  }, schema);

/** The names proxy-addr (Fastify's trustProxy) gives to address ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Why one entry of TRUST_PROXY is not a proxy to trust, or undefined: an address, a CIDR or one of proxy-addr's
 * range names. A range holding every address is refused as `true` is (see TRUST_PROXY).
 */
function proxyProblem(entry: string): string | undefined {
  if (PROXY_RANGE_NAMES.has(entry)) return undefined;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  const max = family === 6 ? 128 : 32;
  if (family === 0 || rest.length > 0 || (prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= max))) {
    return `not an address, a CIDR or loopback/linklocal/uniquelocal: ${entry}`;
  }
  // A proxy is a few addresses; a range as wide as a /8 (an IPv4 one mapped into IPv6 included, ::ffff:0:0/96 being
  // every IPv4 address) is the internet trusting itself.
  const mapped = family === 6 && /^::ffff:/i.test(address);
  // Private IPv6 (fc00::/7, as 10.0.0.0/8 for IPv4) may be named whole; a public range down to a /32.
  const uniqueLocal = family === 6 && /^f[cd]/i.test(address);
  const widest = family === 4 ? 8 : mapped ? 104 : uniqueLocal ? 7 : 32;
  if (prefix !== undefined && Number(prefix) < widest) {
    return `${entry} is too wide a range (at most /${widest}): ${TRUST_EVERY_ADDRESS}`;
  }
  return undefined;
}

const TRUST_EVERY_ADDRESS =
  'trusting every address lets any client set its own X-Forwarded-For, and so its own rate-limit bucket; name the proxies';

const TrustProxy = z
  .string()
  .trim()
  .transform((value, ctx): false | string[] => {
    if (value.toLowerCase() === 'false') return false;
    if (value.toLowerCase() === 'true') {
      ctx.addIssue({ code: 'custom', message: TRUST_EVERY_ADDRESS });
      return z.NEVER;
    }
    if (/^\d+$/.test(value)) {
      // Fastify fails closed on a hop count: it cannot tell a proxy from a client that sent enough hops itself.
      ctx.addIssue({ code: 'custom', message: 'a hop count cannot tell a proxy from a client: name the proxies' });
      return z.NEVER;
    }
    const entries = value
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    for (const entry of entries) {
      const problem = proxyProblem(entry);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
    return entries;
  });

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: envInt(z.coerce.number().int().min(0).max(65535)).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    TRUST_PROXY: TrustProxy.default(false),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: optionalText.pipe(PostgresUrl.optional()),
    DATABASE_READ_URL: optionalText.pipe(PostgresUrl.optional()),
    DATABASE_POOL_MAX: envInt(z.coerce.number().int().min(1).max(200)).default(10),
    DATABASE_CONNECT_TIMEOUT_MS: envInt(z.coerce.number().int().min(100).max(60_000)).default(3_000),
    DATABASE_STATEMENT_TIMEOUT_MS: envInt(z.coerce.number().int().min(100).max(600_000)).default(15_000),
    DATA_DIR: z.string().min(1).default('./data'),
    JWT_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    JWT_PUBLIC_KEY: optionalText.pipe(
      z
        .string()
        .includes('-----BEGIN', { message: 'must be a PEM encoded public key' })
        .superRefine((pem, ctx) => {
          const problem = publicKeyProblem(pem.replace(/\\n/g, '\n'));
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
    ),
    CURSOR_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    JWT_ISSUER: optionalText,
    JWT_AUDIENCE: optionalText,
    JWT_MAX_LIFETIME_MS: envInt(
      z.coerce
        .number()
        .int()
        .min(60_000)
        .max(7 * 86_400_000),
    ).default(12 * 3_600_000),
    CORS_ORIGINS: optionalText,
    DOCS_ENABLED: flag.default(true),
    METRICS_TOKEN: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    BODY_LIMIT_BYTES: envInt(
      z.coerce
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024),
    ).default(5 * 1024 * 1024),
    RATE_LIMIT_MAX: envInt(z.coerce.number().int().min(1)).default(1_000),
    RATE_LIMIT_WINDOW_MS: envInt(z.coerce.number().int().min(1_000)).default(60_000),
    MAX_EVENT_LOOP_DELAY_MS: envInt(z.coerce.number().int().min(0)).default(1_000),
    SICK_LEAVE_CACHE_ENTRIES: envInt(z.coerce.number().int().min(0).max(10_000)).default(64),
    SICK_LEAVE_CACHE_CASES: envInt(z.coerce.number().int().min(0).max(10_000_000)).default(100_000),
    SHUTDOWN_GRACE_MS: envInt(z.coerce.number().int().min(100).max(120_000)).default(10_000),
    REQUEST_TIMEOUT_MS: envInt(z.coerce.number().int().min(100).max(600_000)).default(30_000),
    AUDIT_ANCHOR_INTERVAL_MS: envInt(
      z.coerce
        .number()
        .int()
        .refine((v) => v === 0 || (v >= 1_000 && v <= 86_400_000), 'must be 0 (off) or 1000 to 86400000'),
    ).default(60_000),
  })
  .superRefine((env, ctx) => {
    if (env.JWT_SECRET && env.JWT_PUBLIC_KEY) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'set JWT_SECRET or JWT_PUBLIC_KEY, not both' });
    }
    if (env.NODE_ENV === 'production' && !env.JWT_SECRET && !env.JWT_PUBLIC_KEY) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'JWT_SECRET or JWT_PUBLIC_KEY is required' });
    }
    for (const origin of originsIn(env.CORS_ORIGINS)) {
      if (!isOrigin(origin)) {
        ctx.addIssue({
          code: 'custom',
          path: ['CORS_ORIGINS'],
          message: `not an origin (scheme://host[:port]): ${origin}`,
        });
      }
    }
    // A standby of the embedded database cannot be: the setting would be ignored, and the operator believe it used.
    if (env.DATABASE_READ_URL && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_READ_URL'],
        message: 'needs DATABASE_URL (a standby is of a PostgreSQL primary, not of the embedded database)',
      });
    }
    // Every process behind one load balancer must open the others' cursors: a key of its own would not do.
    if (env.NODE_ENV === 'production' && env.JWT_PUBLIC_KEY && !env.JWT_SECRET && !env.CURSOR_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['CURSOR_SECRET'],
        message: 'is required with JWT_PUBLIC_KEY in production',
      });
    }
  });

export type Jwt =
  | { kind: 'secret'; secret: string; algorithms: ['HS256']; development: boolean }
  | { kind: 'publicKey'; publicKey: string; algorithms: ('RS256' | 'ES256')[] };

export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  /**
   * Which peers' X-Forwarded-For names the client (Fastify's trustProxy): false, or the proxies' addresses, CIDRs and
   * range names. The client's address is what the rate limit counts by and what is logged.
   */
  trustProxy: false | string[];
  logLevel: string;
  database: {
    url?: string;
    readUrl?: string;
    dataDir: string;
    poolMax: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
  };
  jwt: Jwt & { issuer?: string; audience?: string; maxLifetimeMs: number };
  /** The secret page cursors are sealed with (see src/lib/cursor.ts). */
  cursorSecret: string;
  corsOrigins: string[];
  docsEnabled: boolean;
  /** When set, /metrics answers only a scraper sending it as a bearer token. */
  metricsToken?: string;
  bodyLimitBytes: number;
  rateLimit: { max: number; windowMs: number };
  maxEventLoopDelayMs: number;
  shutdownGraceMs: number;
  /** How long a whole request (headers and body) may take to arrive: a slow body holds a socket only this long. */
  requestTimeoutMs: number;
  /** How often the audit chain heads that moved are logged as anchors (0: never; see AnchorLog). */
  auditAnchorIntervalMs: number;
  /** Built case lists kept per process (unit × day × gap); 0 turns the cache off, e.g. to measure the cold path. */
  sickLeaveCacheEntries: number;
  /** The most cases the cached lists hold in all (about 3 KB of heap each). */
  sickLeaveCacheCases: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const originsIn = (list: string | undefined): string[] =>
  (list ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Reads every setting from the environment in one place; a bad value throws naming the variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Readonly<Config> {
  // A variable set to nothing (PORT=) counts as unset, as for the text settings: a number would otherwise read as 0.
  const given = Object.fromEntries(Object.entries(source).filter(([, value]) => value?.trim() !== ''));
  const parsed = EnvSchema.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`));
  }
  const env = parsed.data;
  const jwt: Jwt = env.JWT_PUBLIC_KEY
    ? { kind: 'publicKey', publicKey: env.JWT_PUBLIC_KEY.replace(/\\n/g, '\n'), algorithms: ['RS256', 'ES256'] }
    : {
        kind: 'secret',
        secret: env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
        algorithms: ['HS256'],
        development: !env.JWT_SECRET,
      };
  return deepFreeze({
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    trustProxy: env.TRUST_PROXY,
    logLevel: env.LOG_LEVEL,
    database: {
      url: env.DATABASE_URL,
      readUrl: env.DATABASE_READ_URL,
      dataDir: env.DATA_DIR,
      poolMax: env.DATABASE_POOL_MAX,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    jwt: { ...jwt, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, maxLifetimeMs: env.JWT_MAX_LIFETIME_MS },
    // The cursor key is derived from it under a label of its own, so one secret can serve both.
    cursorSecret: env.CURSOR_SECRET ?? env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    corsOrigins: originsIn(env.CORS_ORIGINS),
    docsEnabled: env.DOCS_ENABLED,
    metricsToken: env.METRICS_TOKEN,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    rateLimit: { max: env.RATE_LIMIT_MAX, windowMs: env.RATE_LIMIT_WINDOW_MS },
    maxEventLoopDelayMs: env.MAX_EVENT_LOOP_DELAY_MS,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    auditAnchorIntervalMs: env.AUDIT_ANCHOR_INTERVAL_MS,
    sickLeaveCacheEntries: env.SICK_LEAVE_CACHE_ENTRIES,
    sickLeaveCacheCases: env.SICK_LEAVE_CACHE_CASES,
  });
}
