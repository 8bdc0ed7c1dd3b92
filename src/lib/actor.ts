import type { Executor } from '../db/client.js';
import type { LocalDate } from '../domain/calendar.js';
import { Forbidden } from './errors.js';

export const ROLES = ['doctor', 'coordinator', 'ehr', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from the verified token; services authorise and audit with it. */
export interface Actor {
  id: string;
  role: Role;
  careGiverId: string;
  units: readonly string[];
  name?: string;
  requestId: string;
}

/**
 * A consent or effort of another care giver is 403, as the outline has it (not 404: their ids are random UUIDs, so
 * the difference tells nothing). Certificates are looked up within the caller's care giver (their ids are per care
 * giver), so another care giver's is simply not found.
 */
export function assertOwnCareGiver(actor: Actor, careGiverId: string, what: string): void {
  if (careGiverId !== actor.careGiverId) throw new Forbidden(`The ${what} belongs to another care giver`);
}

/** Inner secrecy: a request may act only for a unit the caller is assigned to. */
export function assertActsFor(actor: Actor, unitId: string): void {
  if (!actor.units.includes(unitId)) throw new Forbidden('The token does not give access to this unit');
}

export function assertRole(actor: Actor, roles: readonly Role[]): void {
  if (!roles.includes(actor.role)) throw new Forbidden(`The role ${actor.role} may not do this`);
}

/**
 * Who owns a unit: a unit of another care giver than the actor's is 403 (see CertificateService), for a write and for
 * a read that names the unit. `read` may answer from a remembered "no owner yet" (a minute at most).
 */
/** A patient's counted certificates as a unit sees them (see CaseRecords.sickLeaveAt). */
export interface SickLeaveAtUnit {
  /** A counted certificate of the patient at the unit (of any time): the patient has a case there. */
  atUnit: boolean;
  /** The first day of their counted certificates at any unit of the care giver. */
  firstDay: LocalDate;
}

/** What other modules ask the certificates module of a patient's sick leave at a unit. */
export interface CaseRecords {
  /** Undefined when the patient has no counted certificate at the care giver. */
  sickLeaveAt(careGiverId: string, unitId: string, patientId: string): Promise<SickLeaveAtUnit | undefined>;
  /** Whether the unit issued the patient a certificate of any type, neither a test nor revoked. */
  certifiedAt(careGiverId: string, unitId: string, patientId: string): Promise<boolean>;
}

export interface UnitOwners {
  assertUnitsOfCareGiver(actor: Actor, unitIds: readonly string[], use?: 'read' | 'write'): Promise<void>;
  /** assertActsFor and assertUnitsOfCareGiver for the one unit a request names. */
  assertActsAt(actor: Actor, unitId: string, use?: 'read' | 'write'): Promise<void>;
  /** In a write's transaction: the unit becomes the actor's care giver's if no one owns it; another's is 403. */
  claimUnits(actor: Actor, unitIds: readonly string[], ex: Executor): Promise<void>;
}
