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
    if (!uuidHoldsPersonalIdentity(id)) return id;
  }
}

const isDigit = (id: string, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
};

/**
 * containsPersonalIdentity for a UUID's 8-4-4-4-12 form, with a fast way out: a number can only stand in its first
 * two groups (the last six or all eight digits of the first, and the second), in the middle three (4-4-4) or in the
 * last one (ten or twelve digits, so its middle eight are digits); anywhere else no run of digits is long enough.
 * The full check (1.3 µs) ran for every request.
 */
function uuidHoldsPersonalIdentity(id: string): boolean {
  const firstTwo = isDigit(id, 2, 8) && isDigit(id, 9, 13);
  // The middle three groups, as a number is also written (1912-1212-1212).
  const middle = isDigit(id, 9, 13) && isDigit(id, 14, 18) && isDigit(id, 19, 23);
  const last = isDigit(id, 26, 34);
  return (firstTwo || middle || last) && containsPersonalIdentity(id);
}

/**
 * The caller's x-request-id when it is a UUID that holds no personal identity number (19121212-1212-4000-8000-…
 * is a UUID in form), else a new one.
 */
export function acceptedRequestId(given: string | string[] | undefined): string {
  return typeof given === 'string' && REQUEST_ID.test(given) && !uuidHoldsPersonalIdentity(given)
    ? given
    : newRequestId();
}
