import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeError, issueFieldErrors } from '../../src/lib/errors.js';

const errorsOf = (schema: z.ZodType, value: unknown, prefix = '') => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected the value to be refused');
  return parsed.error.issues.flatMap((i) => issueFieldErrors(i, prefix));
};

describe('field errors of zod issues', () => {
  const Body = z.strictObject({ id: z.string(), patient: z.strictObject({ id: z.string() }) });

  it('names each unknown key at its own path, not its parent’s', () => {
    expect(errorsOf(Body, { id: 'a', foo: 1, bar: 2, patient: { id: 'p', name: 'x' } })).toEqual([
      { path: 'patient.name', message: 'is not a field of this request' },
      { path: 'foo', message: 'is not a field of this request' },
      { path: 'bar', message: 'is not a field of this request' },
    ]);
  });

  it('in a query string, names the parameter, keeping a message of the schema’s own', () => {
    expect(errorsOf(z.strictObject({ limit: z.string().optional() }), { limitt: '5' }, 'query.')).toEqual([
      { path: 'query.limitt', message: 'is not a parameter of this operation' },
    ]);
    const explained = z.strictObject({}, { error: () => 'q goes in the body' });
    expect(errorsOf(explained, { q: 'x' }, 'query.')).toEqual([{ path: 'query.q', message: 'q goes in the body' }]);
  });

  it('leaves other issues as they are, an issue of the whole object at the prefix without its dot', () => {
    expect(errorsOf(Body, { id: 5, patient: { id: 'p' } })).toEqual([
      { path: 'id', message: expect.stringMatching(/string/) },
    ]);
    expect(errorsOf(z.strictObject({}), 'text', 'query.')).toEqual([
      { path: 'query', message: expect.stringMatching(/object/) },
    ]);
  });
});

describe('describeError', () => {
  it('tells a driver’s error through drizzle’s wrapping, without the query’s values', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const wrapped = new Error('Failed query: select * from certificates where patient_id = $1\nparams: 191212121212', {
      cause,
    });
    expect(describeError(wrapped)).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(describeError(new Error('Failed query: select 1\nparams: '))).toBe('a query failed');
    expect(describeError({ code: 'x' })).toBe('{"code":"x"}');
    expect(describeError(new Error('plain'))).toBe('plain');
  });
});
