import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ValidationFailed } from '../lib/errors.js';

/** The path of the first string (value or key) holding a NUL character: PostgreSQL text cannot store one. */
export function nulPath(value: unknown): string | undefined {
  // Iterative, because bodies may legally nest deeper than the call stack.
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return path;
    } else if (current && typeof current === 'object') {
      for (const [key, inner] of Object.entries(current)) {
        const innerPath = path ? `${path}.${key}` : key;
        if (key.includes('\u0000')) return innerPath;
        stack.push([inner, innerPath]);
      }
    }
  }
  return undefined;
}

/**
 * JSON bodies are parsed by Fastify's own parser (prototype poisoning refused), then refused as a whole when any text
 * holds a NUL character, so no module can pass one on to the database.
 */
export const jsonBodyPlugin = fp(async (app: FastifyInstance) => {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, body as string, (err, value) => {
      if (err) return done(err);
      // JSON can carry a NUL only as the escape \u0000 (a raw one is a syntax error): without it, nothing to walk.
      if (!(body as string).includes('\\u0000')) return done(null, value);
      const path = nulPath(value);
      if (path !== undefined) {
        return done(
          new ValidationFailed('Text may not contain NUL characters', [
            { path, message: 'must not contain NUL characters' },
          ]),
        );
      }
      done(null, value);
    });
  });
});
