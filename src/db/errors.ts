// Connection-level failures from pg and PGlite: the database is unreachable, restarting, out of connections or of
// resources, gone (3D000: dropped or renamed under the service) or refusing the service's login (28000/28P01). None is
// the request's fault, and the same request may succeed later or at another process: 503, not 500.
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53000',
  '53100',
  '53200',
  '53300',
  '3D000',
  '28000',
  '28P01',
]);
// The network errors of reaching the server (a unix socket that is gone is ENOENT on connect), counted only from the
// system calls of a connection so that another ENOENT is not taken for the database.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
const CONNECTION_SYSCALLS = new Set(['connect', 'getaddrinfo', 'read', 'write']);
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|Cannot use a pool after calling end|the database system is (starting up|shutting down)|terminating connection|is not currently accepting connections/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (const err of causes(error)) {
    if (err.code && UNAVAILABLE_SQLSTATES.has(err.code)) return true;
    if (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET') return true;
    if (err.code && NETWORK_CODES.has(err.code) && err.syscall && CONNECTION_SYSCALLS.has(err.syscall)) return true;
    if (err.message && UNAVAILABLE_MESSAGES.test(err.message)) return true;
  }
  return false;
}

/**
 * Every connection of this process's pool was in use for DATABASE_CONNECT_TIMEOUT_MS (node-postgres's pool gave up
 * waiting for one; a new connection that took too long says "due to connection timeout" instead). The database
 * answers: the process is busy. Also counted as unavailable (503), but told apart.
 */
export function isPoolExhausted(error: unknown): boolean {
  for (const { message } of causes(error)) if (message === 'timeout exceeded when trying to connect') return true;
  return false;
}

/**
 * The service's tables or functions are not there: a database recreated empty under the running service, or a
 * standby that has not replayed the latest migration (42P01 undefined table, 42703 undefined column, 3F000 undefined
 * schema, 42883 undefined function). The database's state, not the request: 503, and /health/ready says so.
 */
const SCHEMA_MISSING_SQLSTATES = new Set(['42P01', '42703', '3F000', '42883']);
export function isSchemaMissing(error: unknown): boolean {
  for (const { code } of causes(error)) if (code && SCHEMA_MISSING_SQLSTATES.has(code)) return true;
  return false;
}

/**
 * PostgreSQL gave up on a statement because of a concurrent one: a deadlock (40P01) or a serialisation failure
 * (40001). Nothing of it was written and the same request sent again can succeed, so it is answered 503, not 500.
 */
export function isConcurrencyConflict(error: unknown): boolean {
  for (const { code } of causes(error)) if (code === '40P01' || code === '40001') return true;
  return false;
}

/**
 * PostgreSQL gave up on a statement that took too long: statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS) or a cancel
 * (57014), or a lock that could not be had in time (55P03). Its transaction is rolled back, so nothing of it was
 * written, and the database is slow rather than the request wrong: 503, retry shortly.
 */
export function isStatementTimeout(error: unknown): boolean {
  for (const { code } of causes(error)) if (code === '57014' || code === '55P03') return true;
  return false;
}

/**
 * A certificate was written for a unit that belongs to another care giver (certificates_unit_of_care_giver_fk): two
 * care givers' first certificates at one new unit at the same moment both passed the service's own check before
 * either had stored the unit. The caller may not write there: 403, nothing written.
 */
export function isUnitOfAnotherCareGiver(error: unknown): boolean {
  for (const err of causes(error)) {
    const { code, constraint } = err as { code?: string; constraint?: string };
    if (code === '23503' && constraint === 'certificates_unit_of_care_giver_fk') return true;
  }
  return false;
}

/** The error and its causes, a few deep (drizzle wraps the driver's error, which carries the SQLSTATE). */
function* causes(error: unknown): Generator<{ code?: string; message?: string; syscall?: string }> {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const err = e as { code?: string; message?: string; syscall?: string; cause?: unknown };
    yield err;
    e = err.cause;
  }
}
