/** Typed errors thrown by services; the errors plugin turns each into application/problem+json (RFC 9457). */
export const PROBLEM_BASE = 'https://samverkan.example/problems/';

export interface FieldError {
  path: string;
  message: string;
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
  constructor(
    detail: string,
    public readonly errors: FieldError[],
  ) {
    super(400, 'validation-failed', 'Validation failed', detail, { errors });
  }
}

export class Unauthorized extends AppError {
  constructor(detail = 'A valid bearer token is required') {
    super(401, 'unauthorized', 'Unauthorized', detail);
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
