import { randomUUID } from 'node:crypto';
import { containsPersonalIdentity } from '../domain/personal-identity.js';

// A caller's request id is taken only as a UUID: it is logged and stored in audit events, and a free-form one could
// carry a personal identity number or a name into both (it did: x-request-id: 191212121212).
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A new request id. A UUID's digits can by chance spell a valid personnummer (1 in about 11,600 of 2 million drawn),
 * which would then stand in every log line of the request as if it were one: such an id is drawn again.
 */
export function newRequestId(): string {
  for (;;) {
    const id = randomUUID();
    if (!containsPersonalIdentity(id)) return id;
  }
}

/**
 * The caller's x-request-id when it is a UUID that holds no personal identity number (19121212-1212-4000-8000-…
 * is a UUID in form), else a new one.
 */
export function acceptedRequestId(given: string | string[] | undefined): string {
  return typeof given === 'string' && REQUEST_ID.test(given) && !containsPersonalIdentity(given)
    ? given
    : newRequestId();
}
