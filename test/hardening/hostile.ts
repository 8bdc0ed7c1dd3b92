/** fast-check arbitraries for hostile JSON: wrong types, extremes, huge strings, deep nesting, unicode and NUL. */
import fc from 'fast-check';

/** JSON text spliced into a payload verbatim (numbers JSON can say but JavaScript cannot hold, deep nesting). */
export class Raw {
  constructor(readonly text: string) {}
}

export const raw = (text: string) => new Raw(text);

/** JSON text for a value that may contain Raw pieces. */
export function toJson(value: unknown): string {
  const pieces: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Raw) {
      pieces.push(v.text);
      return `@@raw${pieces.length - 1}@@`;
    }
    return v;
  });
  return (text ?? 'null').replace(/"@@raw(\d+)@@"/g, (_m, i: string) => pieces[Number(i)]!);
}

export function deeplyNested(depth: number, kind: 'array' | 'object'): Raw {
  return raw(
    kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );
}

/** Up to ~1 MB: under the default 5 MB body limit, so it reaches the schemas. */
export const hugeString = fc
  .tuple(fc.constantFrom(1_000, 70_000, 1_000_000), fc.constantFrom('x', 'å', '\u0000', '😀', '\uD800', ' '))
  .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)));

export const weirdString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      'a\u0000b',
      '\uD800',
      '\uDFFF',
      '\u202Eexe.txt',
      '\uFEFF191212121212',
      '１９１２１２１２１２１２',
      'null',
      '__proto__',
      "' or 1=1 --",
      '%00',
      '../../etc/passwd',
      '2026-02-30',
      '2026-02-29',
      '2026-13-01',
      '0000-00-00',
      '-271821-04-20',
      '275760-09-14',
      '9999-12-31T23:59:60Z',
      '2026-11-25T25:00:00Z',
      '2026-11-25T10:00:00+99:00',
      '19121212-1212',
      '191212121213',
      '000000000000',
      'SE2321000016-U002',
      'SE2321000099-CG02',
      'F32.1',
      'Z73',
    ),
  },
  { weight: 1, arbitrary: hugeString },
);

export const extremeNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    0.5,
    24.999,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    -Number.MAX_SAFE_INTEGER,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 31,
    2 ** 63,
    1e21,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(raw('1e999'), raw('-1e999'), raw('1e-400'), raw('123456789012345678901234567890'), raw('-0.0e0')),
);

export const deep = fc
  .tuple(fc.constantFrom(10, 1_000, 10_000), fc.constantFrom('array' as const, 'object' as const))
  .map(([depth, kind]) => deeplyNested(depth, kind));

/** Any value a hostile client might put where the schema expects something else. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: weirdString },
  { weight: 3, arbitrary: extremeNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }) },
  { weight: 2, arbitrary: fc.object({ maxDepth: 2 }) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 10_001 }, () => 'x')) },
);

type Path = (string | number)[];

/** Every path inside a JSON value (not the root), containers and leaves. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([key, v]) => [[...prefix, key], ...pathsOf(v, [...prefix, key])]);
}

function parentOf(body: unknown, path: Path): Record<string | number, unknown> | undefined {
  let node = body;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>) : undefined;
}

type Mutation = (body: unknown) => unknown;

/** One to three mutations of a valid body: a field set to a hostile value, removed, or an unknown field added. */
export function mutationsOf(example: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(example);
  const mutation: fc.Arbitrary<Mutation> =
    paths.length === 0
      ? hostileValue.map((v) => () => v)
      : fc.oneof(
          {
            weight: 5,
            arbitrary: fc.tuple(fc.constantFrom(...paths), hostileValue).map(
              ([path, value]): Mutation =>
                (body) => {
                  const parent = parentOf(body, path);
                  if (parent) parent[path[path.length - 1]!] = value;
                  return body;
                },
            ),
          },
          {
            weight: 2,
            arbitrary: fc.constantFrom(...paths).map(
              (path): Mutation =>
                (body) => {
                  const parent = parentOf(body, path);
                  if (Array.isArray(parent)) parent.splice(Number(path[path.length - 1]), 1);
                  else if (parent) delete parent[path[path.length - 1]!];
                  return body;
                },
            ),
          },
          {
            weight: 2,
            arbitrary: fc
              .tuple(
                fc.constantFrom<Path>([], ...paths),
                fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'id', '')),
                hostileValue,
              )
              .map(
                ([path, key, value]): Mutation =>
                  (body) => {
                    const target = path.length === 0 ? body : parentOf(body, path)?.[path[path.length - 1]!];
                    if (target && typeof target === 'object' && !Array.isArray(target))
                      Object.defineProperty(target, key, { value, enumerable: true, writable: true });
                    return body;
                  },
              ),
          },
        );
  return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => {
    let body: unknown = structuredClone(example);
    for (const m of ms) body = m(body);
    return body;
  });
}

/** A payload (JSON text) that is the example mutated, arbitrary JSON, or not JSON at all. */
export function malformedPayload(example: unknown): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: mutationsOf(example).map(toJson) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => toJson(v)) },
    { weight: 1, arbitrary: hostileValue.map(toJson) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{',
        '{"a":}',
        'nul',
        '[1,]',
        "{'a':1}",
        '{"a":1}{"b":2}',
        '\uFEFF{}',
        '{"a":"\\ud800"}',
      ),
    },
  );
}
