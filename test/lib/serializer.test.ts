import { isResponseSerializationError } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parsesAsItEncodes, responseSerializerCompiler } from '../../src/lib/serializer.js';

const compile = (schema: unknown) =>
  responseSerializerCompiler({ schema, method: 'GET', url: '/x', httpStatus: '200' } as never) as (
    data: unknown,
  ) => string;

const Answer = z.object({
  allowed: z.boolean(),
  reason: z.enum(['valid', 'none']),
  consentId: z.uuid().optional(),
  items: z.array(z.object({ id: z.string(), at: z.string().nullable() })),
});

describe('the response serializer', () => {
  it('checks an answer against its schema, dropping what the schema does not name', () => {
    const serialize = compile(Answer);
    const text = serialize({ allowed: true, reason: 'valid', items: [{ id: 'a', at: null, secret: 'x' }], extra: 1 });
    expect(JSON.parse(text)).toEqual({ allowed: true, reason: 'valid', items: [{ id: 'a', at: null }] });
  });

  it('refuses an answer that does not match (the route answers 500, nothing leaks)', () => {
    const serialize = compile(Answer);
    let thrown: unknown;
    try {
      serialize({ allowed: 'yes', reason: 'valid', items: [] });
    } catch (err) {
      thrown = err;
    }
    expect(isResponseSerializationError(thrown)).toBe(true);
  });

  it('tells schemas that parse as they encode from those that do not, however deep', () => {
    expect(parsesAsItEncodes(Answer)).toBe(true);
    const stamp = z.codec(z.iso.datetime(), z.date(), {
      decode: (text) => new Date(text),
      encode: (date) => date.toISOString(),
    });
    expect(parsesAsItEncodes(z.object({ at: stamp }))).toBe(false);
    expect(parsesAsItEncodes(z.object({ items: z.array(z.object({ n: z.string().transform(Number) })) }))).toBe(false);
    expect(parsesAsItEncodes(z.object({ n: z.number().default(0) }))).toBe(false);
    expect(parsesAsItEncodes(z.union([z.string(), z.object({ n: z.number().catch(0) })]))).toBe(false);
  });

  it('keeps encoding for a schema with a codec: a Date goes out as its ISO text', () => {
    const stamp = z.codec(z.iso.datetime(), z.date(), {
      decode: (text) => new Date(text),
      encode: (date) => date.toISOString(),
    });
    const serialize = compile(z.object({ at: stamp }));
    expect(JSON.parse(serialize({ at: new Date('2026-12-01T10:00:00.000Z') }))).toEqual({
      at: '2026-12-01T10:00:00.000Z',
    });
  });
});
