/** Walks an OpenAPI 3.1 document: its operations, and an example value for a JSON schema. */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  example?: unknown;
  examples?: unknown[];
  default?: unknown;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minItems?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
};

/** A path or query parameter of an operation. */
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
}

export type OpenApi = {
  paths: Record<
    string,
    Record<
      string,
      {
        security?: Record<string, unknown>[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        parameters?: Parameter[];
      }
    >
  >;
  components?: { schemas?: Record<string, JsonSchema> };
};

export interface Operation {
  method: string;
  path: string;
  secured: boolean;
  body?: JsonSchema;
  /** Path and query parameters, schemas resolved. */
  parameters: Parameter[];
  doc: OpenApi;
}

export function resolve(schema: JsonSchema, doc: OpenApi): JsonSchema {
  if (schema.$ref) return resolve(doc.components?.schemas?.[schema.$ref.split('/').pop()!] ?? {}, doc);
  return schema;
}

export function operationsOf(doc: OpenApi): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const schema = op.requestBody?.content['application/json']?.schema;
      out.push({
        method,
        path,
        // Requires the API's token: an empty requirement beside another makes it optional (/metrics).
        secured:
          (op.security ?? []).some((r) => 'bearerAuth' in r) &&
          !(op.security ?? []).some((r) => Object.keys(r).length === 0),
        body: schema ? resolve(schema, doc) : undefined,
        parameters: (op.parameters ?? []).map((p) => ({ ...p, schema: resolve(p.schema ?? {}, doc) })),
        doc,
      });
    }
  }
  return out;
}

/** A plausible value: the schema's example, else its first enum value, else one built from its type. */
export function exampleFor(input: JsonSchema, doc: OpenApi, depth = 0): unknown {
  const schema = resolve(input, doc);
  if (schema.example !== undefined) return structuredClone(schema.example);
  if (schema.examples?.length) return structuredClone(schema.examples[0]);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return exampleFor(alternatives[0]!, doc, depth + 1);
  if (schema.allOf?.length) return Object.assign({}, ...schema.allOf.map((s) => exampleFor(s, doc, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (depth > 8) return null;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(schema.properties ?? {})) out[key] = exampleFor(value, doc, depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        exampleFor(schema.items ?? {}, doc, depth + 1),
      );
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    default:
      if (schema.format === 'date') return '2026-11-25';
      if (schema.format === 'date-time') return '2026-11-25T10:00:00Z';
      return 'x';
  }
}
