import { birthDateOf } from '../domain/personal-identity.js';
import { ValidationFailed } from './errors.js';

/**
 * A day of the patient's record (a consent given, an effort performed, a status set) before the patient was born is
 * a typo in the date or in the patient id: 400 naming the field, as a sick-leave period starting before it is.
 */
export function assertNotBeforeBirth(patientId: string, day: string, path: string, what: string): void {
  const born = birthDateOf(patientId);
  if (day < born) {
    throw new ValidationFailed(`${what} before the patient was born`, [
      { path, message: `must not be before the patient’s birth (${born})` },
    ]);
  }
}
