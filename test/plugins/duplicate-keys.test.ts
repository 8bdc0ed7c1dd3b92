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

/** A JSON value whose objects are lists of pairs, so that a key can be written twice. */
type Value = number | string | Value[] | { pairs: [string, Value][] };

/** Deterministic (mulberry32), so a failure names a body that can be read again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(next: () => number, depth: number): Value {
  const pick = next();
  if (depth > 3 || pick < 0.3)
    return next() < 0.5 ? Math.floor(next() * 100) : ['a', '{"b":1,', '[', '\\', 'a"b'][Math.floor(next() * 5)]!;
  if (pick < 0.5) return Array.from({ length: Math.floor(next() * 4) }, () => generate(next, depth + 1));
  // Few keys from a small alphabet, so that some repeat; sometimes an object with many keys.
  const count = next() < 0.2 ? 10 + Math.floor(next() * 30) : Math.floor(next() * 5);
  const keys = ['a', 'b', 'id', 'ab', 'é', 'k"q'];
  return {
    pairs: Array.from({ length: count }, (_, i) => [
      next() < 0.3 ? keys[Math.floor(next() * keys.length)]! : `k${i}${Math.floor(next() * 3)}`,
      generate(next, depth + 1),
    ]),
  };
}

/** JSON text of the value, each key written plainly or with every character escaped (\uXXXX), at random. */
function write(value: Value, next: () => number): string {
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => write(v, next)).join(',')}]`;
  const key = (k: string) =>
    next() < 0.25
      ? `"${[...k].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`
      : JSON.stringify(k);
  return `{${value.pairs.map(([k, v]) => `${key(k)}:${write(v, next)}`).join(',')}}`;
}

/** The path of the first key given twice, in the order a reader meets them (each key, then its value). */
function firstDuplicate(value: Value, path: string[] = []): string | undefined {
  if (typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = firstDuplicate(v, [...path, String(i)]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const seen = new Set<string>();
  for (const [k, v] of value.pairs) {
    if (seen.has(k)) return [...path, k].join('.');
    seen.add(k);
    const found = firstDuplicate(v, [...path, k]);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe('duplicateKeyIn on generated bodies', () => {
  it('finds the first duplicate a reader meets, escaped or not, in objects with few keys and with many', () => {
    const next = random(20261206);
    let duplicates = 0;
    for (let n = 0; n < 3_000; n++) {
      const value = generate(next, 0);
      const body = write(value, next);
      const expected = firstDuplicate(value);
      if (expected !== undefined) duplicates++;
      expect(duplicateKeyIn(body)?.path, body).toBe(expected);
    }
    // Both outcomes were met often enough to mean something.
    expect(duplicates).toBeGreaterThan(300);
    expect(duplicates).toBeLessThan(2_700);
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
