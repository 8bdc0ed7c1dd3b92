/** Typed errors thrown by services; the errors plugin turns each into application/problem+json (RFC 9457). */
export const PROBLEM_BASE = 'https://samverkan.example/problems/';

export interface FieldError {
  path: string;
  message: string;
}

/** The most field errors one answer lists, and the longest message or path it shows. */
export const MAX_FIELD_ERRORS = 50;
const MAX_FIELD_TEXT = 300;

/**
 * Field errors as answered: the first MAX_FIELD_ERRORS, each message and path cut to MAX_FIELD_TEXT characters, the
 * last of them '…' where it was cut. A
 * body of 350,000 unknown keys was answered with a 4.4 MB message listing every one of them, which cost more CPU to
 * build and send than the request cost to make; what a client needs is where its first mistakes are.
 */
export function boundedFieldErrors(errors: readonly FieldError[], max = MAX_FIELD_ERRORS): FieldError[] {
  const cut = (text: string) => (text.length > MAX_FIELD_TEXT ? `${text.slice(0, MAX_FIELD_TEXT - 1)}…` : text);
  const shown = errors.slice(0, max).map((e) => ({ path: cut(e.path), message: cut(e.message) }));
  if (errors.length > max) {
    shown.push({ path: '', message: `and ${errors.length - max} more errors not listed` });
  }
  return shown;
}

/** What a zod issue, or fastify's validation entry made of one, gives of itself here. */
export interface IssueLike {
  path: readonly PropertyKey[];
  code?: string;
  message: string;
  keys?: readonly string[];
}

/**
 * One issue as field errors, each path prefixed (`query.`, or '' for a body). An unknown key is named at its own path
 * (`patient.foo`, one error per key): zod reports it at the object holding it, which told a client only `patient`.
 * Zod's own wording of it is replaced; a schema's own message (such as where a parameter belongs instead) is kept.
 */
export function issueFieldErrors(issue: IssueLike, prefix: string, wholeBody = true): FieldError[] {
  const at = (path: readonly PropertyKey[]) => (prefix + path.map(String).join('.')).replace(/\.$/, '');
  if (issue.code === 'unrecognized_keys' && issue.keys && issue.keys.length > 0) {
    const message = /^Unrecognized keys?:/.test(issue.message)
      ? prefix === 'query.'
        ? 'is not a parameter of this operation'
        : 'is not a field of this request'
      : issue.message;
    return issue.keys.map((key) => ({ path: at([...issue.path, key]), message }));
  }
  // No body at all (none sent, or an empty one): zod's "expected object, received null" did not say what was missing.
  // (`wholeBody` false: the value is one item of a body, a batch's, for which zod's words stand.)
  if (
    wholeBody &&
    prefix === '' &&
    issue.path.length === 0 &&
    /^Invalid input: expected object, received (null|undefined)$/.test(issue.message)
  ) {
    return [{ path: '', message: 'is required: the body is a JSON object' }];
  }
  return [{ path: at(issue.path), message: issue.message }];
}

export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly slug: string,
    public readonly title: string,
    detail: string,
    public readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
  get type(): string {
    return PROBLEM_BASE + this.slug;
  }
}

export class ValidationFailed extends AppError {
  readonly errors: FieldError[];

  constructor(detail: string, errors: FieldError[]) {
    // Bounded here too: a field error's path is as long as the body is deep.
    const bounded = boundedFieldErrors(errors);
    super(400, 'validation-failed', 'Validation failed', detail, { errors: bounded });
    this.errors = bounded;
  }
}

export class Unauthorized extends AppError {
  constructor(detail = 'A valid bearer token is required') {
    super(401, 'unauthorized', 'Unauthorized', detail);
  }
}

/**
 * Inner secrecy: records of the care giver's other units (the patient's history, the patient's consents) go only
 * to a unit with a care relation with the patient: a certificate the unit issued them (any type, neither a test nor
 * revoked) or their consent at the unit (either kind) valid today. The answer depends on the asking unit alone: it
 * tells nothing of other units.
 */
export class NoCareRelation extends AppError {
  constructor(what: string) {
    super(
      403,
      'no-care-relation',
      'No care relation at the unit',
      'The unit has issued the patient no certificate that makes a care relation (one neither a test nor revoked) ' +
        `and holds no consent of theirs valid today: ${what}, which ` +
        'shows records of other units, is shown only to a unit with a care relation with the patient',
    );
  }
}

export class Forbidden extends AppError {
  constructor(detail: string) {
    super(403, 'forbidden', 'Forbidden', detail);
  }
}

export class NotFound extends AppError {
  constructor(detail: string) {
    super(404, 'not-found', 'Not found', detail);
  }
}

export class Conflict extends AppError {
  constructor(detail: string, slug = 'conflict', extra: Record<string, unknown> = {}) {
    super(409, slug, 'Conflict', detail, extra);
  }
}

/** A request's precondition (If-Match) does not hold: the resource changed since the caller read it. */
export class PreconditionFailed extends AppError {
  constructor(detail: string, extra: Record<string, unknown> = {}) {
    super(412, 'precondition-failed', 'Precondition failed', detail, extra);
  }
}

export class Unprocessable extends AppError {
  constructor(slug: string, title: string, detail: string, extra: Record<string, unknown> = {}) {
    super(422, slug, title, detail, extra);
  }
}

/** A needed consent is missing; `reason` is the consent check's answer (none, expired, revoked, …). */
export class ConsentRequired extends Unprocessable {
  constructor(detail: string, reason: string, extra: Record<string, unknown> = {}) {
    super('consent-required', 'Consent required', detail, { reason, ...extra });
  }
}

/** A body the service cannot read as it is sent: compressed, or in a character set other than UTF-8. */
export class UnsupportedMediaType extends AppError {
  constructor(detail: string) {
    super(415, 'unsupported-media-type', 'Unsupported media type', detail);
  }
}

/** Answered with `Retry-After` by the errors plugin. */
export class ServiceUnavailable extends AppError {
  constructor(detail: string) {
    super(503, 'service-unavailable', 'Service unavailable', detail);
  }
}

/**
 * An error's message for an operator: some libraries throw bare objects, which String() prints as [object Object].
 * Drizzle's "Failed query: <sql> params: <values>" is replaced by its cause, the driver's own error: the values may
 * be patient ids, and the cause is what tells what went wrong (connect ECONNREFUSED, relation does not exist).
 */
export function describeError(err: unknown): string {
  if (err instanceof Error && err.message.startsWith('Failed query:')) {
    return err.cause !== undefined ? describeError(err.cause) : 'a query failed';
  }
  if (err instanceof Error) return err.message;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
