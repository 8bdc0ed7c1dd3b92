import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { UnsupportedMediaType, ValidationFailed } from '../lib/errors.js';

export interface TextFault {
  path: string;
  message: string;
}

const NUL = 'must not contain NUL characters';
const UNPAIRED = 'must be well-formed Unicode (an unpaired surrogate cannot be stored)';

// String.prototype.isWellFormed is ES2024; the lib here is ES2023 (Node 20), so the same test as a pattern.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textFault(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL;
  if (LONE_SURROGATE.test(text)) return UNPAIRED;
  return undefined;
}

/**
 * The first string (value or key) that PostgreSQL cannot store: one holding a NUL character (text refuses it) or an
 * unpaired UTF-16 surrogate (jsonb refuses its escape, and UTF-8 cannot encode it).
 */
export function textFaultIn(value: unknown): TextFault | undefined {
  // Iterative, because bodies may legally nest deeper than the call stack.
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      const message = textFault(current);
      if (message) return { path, message };
    } else if (current && typeof current === 'object') {
      for (const [key, inner] of Object.entries(current)) {
        const innerPath = path ? `${path}.${key}` : key;
        const message = textFault(key);
        if (message) return { path: innerPath, message };
        stack.push([inner, innerPath]);
      }
    }
  }
  return undefined;
}

/**
 * JSON can carry a NUL or a lone surrogate only as an escape (\u0000, \uD800–\uDFFF): a raw NUL is a syntax error and
 * bytes that are not UTF-8 are refused before parsing. Without such an escape there is nothing to walk.
 */
const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

type Frame = { keys: Set<string>; key: string; expectKey: boolean } | { index: number };

/**
 * How deep a body may nest objects and arrays. The deepest operation takes 4 levels (a batch's certificates' periods);
 * a body of 2.5 million nested arrays took 1.2 s to parse and 1 s more to walk, with every other request waiting.
 */
export const MAX_BODY_DEPTH = 32;

/**
 * The first key that appears twice in one object of a body that parses (its path), or undefined; or, first, that the
 * body nests deeper than `maxDepth` (`tooDeep`). JSON.parse keeps the last of two keys, where another reader (a
 * proxy, a WAF, an audit of the raw body) may take the first: a body must mean one thing. One pass over the text, run
 * before parsing (what it says of a body that then does not parse is not used); keys with escapes are compared
 * decoded.
 */
export function duplicateKeyIn(
  body: string,
  maxDepth = Number.POSITIVE_INFINITY,
): (TextFault & { tooDeep?: true }) | undefined {
  let duplicate: TextFault | undefined;
  const stack: Frame[] = [];
  const n = body.length;
  for (let i = 0; i < n; i++) {
    const c = body.charCodeAt(i);
    if (c === 34 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = body.charCodeAt(j);
        if (d === 92 /* \ */) {
          escaped = true;
          j += 2;
        } else if (d === 34 || Number.isNaN(d)) break;
        else j++;
      }
      const top = stack[stack.length - 1];
      if (top && 'keys' in top && top.expectKey) {
        const key = escaped ? (JSON.parse(body.slice(i, j + 1)) as string) : body.slice(i + 1, j);
        if (top.keys.has(key)) duplicate ??= { path: pathOf(stack, key), message: 'is given twice' };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      stack.push(c === 123 ? { keys: new Set(), key: '', expectKey: true } : { index: 0 });
      if (stack.length > maxDepth) return { path: '', message: `nests deeper than ${maxDepth} levels`, tooDeep: true };
    } else if (c === 125 /* } */ || c === 93 /* ] */) stack.pop();
    else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top && 'keys' in top) top.expectKey = true;
      else if (top) top.index++;
    }
  }
  return duplicate;
}

function pathOf(stack: Frame[], key: string): string {
  const parts = stack.slice(0, -1).map((f) => ('keys' in f ? f.key : String(f.index)));
  return [...parts, key].join('.');
}

/**
 * Why a body cannot be read as sent, or undefined. Fastify would decode a gzip body or a UTF-16 one as UTF-8 and
 * answer "malformed JSON", which sends the integrator looking in the wrong place.
 */
export function unreadableBody(headers: Record<string, string | string[] | undefined>): string | undefined {
  const encoding = headers['content-encoding'];
  const encodings = (Array.isArray(encoding) ? encoding.join(',') : (encoding ?? ''))
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '' && e !== 'identity');
  if (encodings.length > 0)
    return `Content-Encoding ${encodings.join(', ')} is not supported: send the body uncompressed`;
  const type = headers['content-type'];
  const charset = CHARSET.exec(typeof type === 'string' ? type : '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return `JSON is read as UTF-8 only (charset=${charset.slice(0, 40)} given)`;
  }
  return undefined;
}

/**
 * Where a prototype-poisoning key is, when plain JSON.parse reads the body: Fastify's parser refuses syntax errors
 * and such keys with one message, so a body it refused that parses here was refused for such a key. JSON.parse makes
 * `__proto__` an own property, so the walk finds it.
 */
function forbiddenKeyPath(body: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (!current || typeof current !== 'object') continue;
    for (const key of Object.keys(current)) {
      const inner = (current as Record<string, unknown>)[key];
      const innerPath = path ? `${path}.${key}` : key;
      if (key === '__proto__') return innerPath;
      if (key === 'constructor' && inner && typeof inner === 'object' && 'prototype' in inner) return innerPath;
      stack.push([inner, innerPath]);
    }
  }
  return '';
}

/**
 * JSON bodies are parsed by Fastify's own parser (prototype poisoning refused), then refused as a whole when any text
 * cannot be stored, so no module can pass a NUL or an unpaired surrogate on to the database. The body is taken as
 * bytes and refused unless it is UTF-8: decoded as a string, an invalid byte would become U+FFFD and be stored so.
 */
export const jsonBodyPlugin = fp(async (app: FastifyInstance) => {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, bytes, done) => {
    const unreadable = unreadableBody(request.headers);
    if (unreadable) return done(new UnsupportedMediaType(unreadable));
    if (!isUtf8(bytes as Buffer)) return done(new UnsupportedMediaType('The body is not valid UTF-8'));
    const body = (bytes as Buffer).toString('utf8');
    // An empty body is no body, as one sent without a content type is: a client that always sets the type sent a
    // revocation without a reason this way, and was told its JSON was malformed. An operation that needs a body
    // says so (a JSON object is required).
    // JSON's own whitespace only: a no-break space or a BOM alone is not JSON and is refused as such.
    if (/^[ \t\n\r]*$/.test(body)) return done(null, undefined);
    const structure = duplicateKeyIn(body, MAX_BODY_DEPTH);
    if (structure?.tooDeep) {
      return done(new ValidationFailed('The body nests deeper than any operation takes', [structure]));
    }
    parse(request, body, (err, value) => {
      const forbidden = err ? forbiddenKeyPath(body) : undefined;
      if (forbidden !== undefined) {
        return done(
          new ValidationFailed('The body has a __proto__ or constructor.prototype key, which is refused', [
            { path: forbidden, message: 'is a key that is refused (__proto__ or constructor.prototype)' },
          ]),
        );
      }
      if (err) return done(err);
      if (structure) return done(new ValidationFailed('A key is given twice in one object', [structure]));
      if (!SUSPECT_ESCAPE.test(body)) return done(null, value);
      const fault = textFaultIn(value);
      if (fault) return done(new ValidationFailed('Text that cannot be stored', [fault]));
      done(null, value);
    });
  });
});
