import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isSchemaMissing } from '../../src/db/errors.js';

const sysError = (code: string, syscall: string) => Object.assign(new Error(`${syscall} ${code}`), { code, syscall });
// drizzle wraps the driver's error: the code is on the cause.
const wrapped = (cause: unknown) => Object.assign(new Error('Failed query: select 1'), { cause });

describe('a database that cannot be reached', () => {
  it('is told by the driver’s SQLSTATE: restarting, gone, refusing the login, out of resources', () => {
    for (const code of ['57P01', '08006', '3D000', '28P01', '53300', '53100']) {
      expect(isDatabaseUnavailable(wrapped(Object.assign(new Error('x'), { code })))).toBe(true);
    }
  });
  it('is told by a database closed to connections (55000, maintenance), not by another 55000', () => {
    const closed = Object.assign(new Error('database "x" is not currently accepting connections'), { code: '55000' });
    expect(isDatabaseUnavailable(wrapped(closed))).toBe(true);
    const other = Object.assign(new Error('currval of sequence "s" is not yet defined in this session'), {
      code: '55000',
    });
    expect(isDatabaseUnavailable(wrapped(other))).toBe(false);
  });
  it('is told by a network error of connecting (a unix socket that is gone is ENOENT on connect)', () => {
    expect(isDatabaseUnavailable(wrapped(sysError('ENOENT', 'connect')))).toBe(true);
    expect(isDatabaseUnavailable(sysError('EHOSTUNREACH', 'connect'))).toBe(true);
    expect(isDatabaseUnavailable(sysError('ENOTFOUND', 'getaddrinfo'))).toBe(true);
  });
  it('is not a query’s own error, nor a file that is missing', () => {
    expect(isDatabaseUnavailable(wrapped(Object.assign(new Error('x'), { code: '23505' })))).toBe(false);
    expect(isDatabaseUnavailable(sysError('ENOENT', 'open'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
  });
});

describe('a database without the service’s schema', () => {
  it('is told by undefined table, column, schema or function, and not by a query’s own error', () => {
    for (const code of ['42P01', '42703', '3F000', '42883']) {
      expect(isSchemaMissing(wrapped(Object.assign(new Error('x'), { code }))), code).toBe(true);
    }
    expect(isSchemaMissing(wrapped(Object.assign(new Error('x'), { code: '23505' })))).toBe(false);
    expect(isSchemaMissing(new Error('relation does not exist'))).toBe(false);
  });
});
