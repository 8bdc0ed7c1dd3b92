import { describe, expect, it } from 'vitest';
import { duplicateKeyIn, MAX_BODY_DEPTH } from '../../src/plugins/json-body.js';
import { useTestApp } from '../helpers/app.js';
import { bearer } from '../helpers/tokens.js';

describe('duplicateKeyIn', () => {
  it('names the path of the first key given twice in one object, arrays included', () => {
    expect(duplicateKeyIn('{"certificates":[{"id":"a"},{"id":"b","id":"c"}]}')).toEqual({
      path: 'certificates.1.id',
      message: 'is given twice',
    });
    expect(duplicateKeyIn('{"a":1,"b":{"c":[1,{"d":1,"d":2}]}}')?.path).toBe('b.c.1.d');
  });

  it('compares keys decoded and is not fooled by quotes, braces or commas inside strings', () => {
    expect(duplicateKeyIn('{"a":"x\\"y","\\u0061":2}')?.path).toBe('a');
    expect(duplicateKeyIn('{"a":"{\\"b\\":1,\\"b\\":2}","b":",{[","c":"\\\\"}')).toBeUndefined();
  });

  it('allows the same key in different objects and repeated values', () => {
    expect(duplicateKeyIn('{"a":["a","a"],"b":{"a":1},"c":{"a":{"a":2}}}')).toBeUndefined();
    expect(duplicateKeyIn('[{"id":1},{"id":1}]')).toBeUndefined();
    expect(duplicateKeyIn('"just a string"')).toBeUndefined();
  });
});

describe('a body nested deeper than any operation takes', () => {
  const ctx = useTestApp();

  it('is refused before it is parsed, with a short answer, naming how deep a body may go', async () => {
    const deep = (depth: number, inner: string) => `{"x":${'['.repeat(depth)}${inner}${']'.repeat(depth)}}`;
    for (const payload of [
      deep(200_000, '"\\u0000"'),
      `${'{"a":'.repeat(100_000)}{"k":1,"k":2}${'}'.repeat(100_000)}`,
    ]) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/v1/patients/consents',
        headers: { ...bearer({ role: 'coordinator' }), 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors).toEqual([{ path: '', message: `nests deeper than ${MAX_BODY_DEPTH} levels` }]);
      expect(res.body.length).toBeLessThan(1_000);
    }
    // Brackets inside strings are text, not depth.
    expect(duplicateKeyIn(`{"a":"${'['.repeat(100)}"}`, MAX_BODY_DEPTH)).toBeUndefined();
    expect(duplicateKeyIn(deep(MAX_BODY_DEPTH - 1, '1'), MAX_BODY_DEPTH)).toBeUndefined();
    expect(duplicateKeyIn(deep(MAX_BODY_DEPTH, '1'), MAX_BODY_DEPTH)).toEqual({
      path: '',
      message: `nests deeper than ${MAX_BODY_DEPTH} levels`,
      tooDeep: true,
    });
  });

  it('caps the path of a field error it names, as every field error is', async () => {
    const long = `${'a'.repeat(400)}`;
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/patients/consents',
      headers: { ...bearer({ role: 'coordinator' }), 'content-type': 'application/json' },
      payload: `{"${long}":{"${long}":"\\u0000"}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe(`${`${long}.${long}`.slice(0, 299)}…`);
    expect(res.json().errors[0].path).toHaveLength(300);
  });
});
