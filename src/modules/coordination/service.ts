import type { Database, Executor } from '../../db/client.js';
import { stockholmDate } from '../../domain/calendar.js';
import { canTransition, documentsThePast, type EffortStatus, givesEffort } from '../../domain/coordination-rules.js';
import {
  type Actor,
  assertActsFor,
  assertOwnCareGiver,
  assertRole,
  type CaseRecords,
  type Role,
  type UnitOwners,
} from '../../lib/actor.js';
import { ifMatchAllows, ifNoneMatchAllows, type Preconditions } from '../../lib/etag.js';
import { assertNotBeforeBirth } from '../../lib/patient-dates.js';
import {
  AppError,
  Conflict,
  ConsentRequired,
  NotFound,
  PreconditionFailed,
  Unprocessable,
  ValidationFailed,
} from '../../lib/errors.js';
import { issuedTo, type PageCursors } from '../../lib/cursor.js';
import type { AuditService } from '../audit/service.js';
import type { ConsentService } from '../consents/service.js';
import {
  type EffortRow,
  findEffort,
  findLatestStatuses,
  findPatientEfforts,
  findStatusHistory,
  findUnitEfforts,
  insertEffort,
  insertStatus,
  type StatusRow,
  updateEffort,
} from './repository.js';
import {
  EffortCursor,
  type EffortOut,
  type EffortPage,
  type EffortPatch,
  type NewEffort,
  type NewStatus,
  type PatientAtUnit,
  type StatusOut,
  type UnitEffortsQuery,
} from './schemas.js';

const STAFF: readonly Role[] = ['coordinator', 'doctor'];
const EFFORT = 'coordination_effort';
const STATUS = 'coordination_status';

/**
 * Coordination efforts and the coordinator status of a patient's case. Every effort rests on consent checked in the
 * same transaction as its write; an effort of another care giver, or of another unit of the caller's care giver, is
 * 403.
 */

/**
 * Refusals of an effort's change whose answer tells of the effort as stored: its status, version or consent, or (400)
 * its day or its patient's birth, which the date rules name.
 */
const TELLS_OF_THE_EFFORT = new Set([400, 409, 412, 422]);

export class CoordinationService {
  constructor(
    readonly database: Database,
    readonly audit: AuditService,
    readonly consents: ConsentService,
    private readonly cursors: PageCursors,
    private readonly units: UnitOwners & CaseRecords,
  ) {}

  async create(actor: Actor, body: NewEffort): Promise<EffortOut> {
    assertRole(actor, STAFF);
    await this.units.assertActsAt(actor, body.unitId, 'write');
    assertDoneOnADayThatHasCome(body.status, body.performedOn);
    assertNotBeforeBirth(body.patientId, body.performedOn, 'performedOn', 'An effort cannot be performed');
    return this.database.db
      .transaction(async (tx) => this.createIn(tx, actor, body))
      .catch(async (err) => {
        // The refusal tells the patient's consent state at the unit (its reason, the consent's id), as a consent check
        // does: it is audited as one, after the effort's transaction rolled back. Nothing else is written.
        if (err instanceof ConsentRequired) {
          const consentId = err.extra.consentId;
          await this.audit.record(actor, [
            {
              action: 'check',
              resource: 'consent_check',
              resourceId: typeof consentId === 'string' ? consentId : undefined,
              unitId: body.unitId,
              patientId: body.patientId,
            },
          ]);
        }
        throw err;
      });
  }

  private async createIn(tx: Executor, actor: Actor, body: NewEffort): Promise<EffortOut> {
    await this.units.claimUnits(actor, [body.unitId], tx);
    const { consentId, sharingConsentId } = await this.consents.requireForEffort(tx, {
      careGiverId: actor.careGiverId,
      unitId: body.unitId,
      patientId: body.patientId,
      on: body.performedOn,
      actor: body.actor,
      documentsThePast: documentsThePast(body.status),
    });
    const row = await insertEffort(tx, {
      careGiverId: actor.careGiverId,
      unitId: body.unitId,
      patientId: body.patientId,
      kind: body.kind,
      actor: body.actor ?? null,
      performedOn: body.performedOn,
      status: body.status,
      note: body.note ?? null,
      consentId,
      sharingConsentId,
      createdBy: actor.id,
      updatedBy: actor.id,
    });
    await this.audit.record(actor, [effortEntry('create', row)], tx);
    return toEffort(row);
  }

  async get(actor: Actor, id: string): Promise<EffortOut> {
    const row = this.visible(actor, await findEffort(this.database.db, id));
    await this.units.assertUnitsOfCareGiver(actor, [row.unitId], 'read');
    await this.audit.record(actor, [effortEntry('read', row)]);
    return toEffort(row);
  }

  /**
   * Status moves only forward (409 otherwise); a new performedOn, or a move to in_progress or done, must again rest
   * on valid consent on performedOn (422): after a revocation the effort can still be declined or cancelled.
   */
  async update(
    actor: Actor,
    id: string,
    patch: EffortPatch,
    { ifMatch, ifNoneMatch }: Preconditions = {},
  ): Promise<EffortOut> {
    assertRole(actor, STAFF);
    // Asked before the transaction, as for closing a consent (the owner lookup is not the transaction's).
    await this.units.assertUnitsOfCareGiver(actor, [
      this.visible(actor, await findEffort(this.database.db, id)).unitId,
    ]);
    // The effort as read in the transaction: a refusal after it (400, 409, 412, 422) tells of it (its status, its version,
    // its consent's state), so it is audited as a read of it once the transaction is undone.
    let seen: EffortRow | undefined;
    return this.database.db
      .transaction(async (tx) => {
        const current = this.visible(actor, await findEffort(tx, id, true));
        seen = current;
        if (ifMatch !== undefined && !ifMatchAllows(ifMatch, current.version)) {
          throw new PreconditionFailed(
            `The effort is at version ${current.version}, not one that If-Match names: read it again before changing it`,
            { version: current.version },
          );
        }
        if (ifNoneMatch !== undefined && !ifNoneMatchAllows(ifNoneMatch, current.version)) {
          throw new PreconditionFailed(
            ifNoneMatch.trim() === '*'
              ? 'The effort exists, and If-None-Match: * asks for a change only if it did not'
              : `The effort is at version ${current.version}, which If-None-Match names`,
            { version: current.version },
          );
        }
        const from = current.status as EffortStatus;
        const to = patch.status ?? from;
        const note = patch.note === undefined ? current.note : patch.note;
        const performedOn = patch.performedOn ?? current.performedOn;
        assertDoneOnADayThatHasCome(to, performedOn);
        assertNotBeforeBirth(current.patientId, performedOn, 'performedOn', 'An effort cannot be performed');
        // Nothing to change: answered as it is, without a new version (a client's retry of a PATCH that was done).
        if (to === from && note === current.note && performedOn === current.performedOn) {
          await this.audit.record(actor, [effortEntry('read', current)], tx);
          return toEffort(current);
        }
        if (!canTransition(from, to)) {
          // With the version it was refused at, as the 412 has it: a client may read it again or send another change.
          throw new Conflict(`An effort that is ${from} cannot become ${to}`, 'invalid-status-transition', {
            from,
            to,
            version: current.version,
          });
        }
        let consents = { consentId: current.consentId, sharingConsentId: current.sharingConsentId };
        // Moving an effort on (under way, done) is giving it, which needs the consent as creating it did; stopping it
        // (declined, cancelled) or editing its note does not.
        if (performedOn !== current.performedOn || givesEffort(from, to)) {
          consents = await this.consents.requireForEffort(tx, {
            careGiverId: current.careGiverId,
            unitId: current.unitId,
            patientId: current.patientId,
            on: performedOn,
            actor: current.actor,
            documentsThePast: documentsThePast(to),
          });
        }
        const row = await updateEffort(
          tx,
          id,
          {
            status: to,
            note,
            performedOn,
            ...consents,
          },
          actor.id,
        );
        await this.audit.record(actor, [effortEntry('update', row)], tx);
        return toEffort(row);
      })
      .catch(async (err) => {
        if (seen && err instanceof AppError && TELLS_OF_THE_EFFORT.has(err.status)) {
          await this.audit.record(actor, [effortEntry('read', seen)]);
        }
        throw err;
      });
  }

  async listForUnit(actor: Actor, unitId: string, query: UnitEffortsQuery): Promise<EffortPage> {
    assertRole(actor, STAFF);
    await this.units.assertActsAt(actor, unitId);
    if (query.from && query.to && query.from > query.to) {
      throw new ValidationFailed('from is after to', [{ path: 'query.from', message: 'must not be after to' }]);
    }
    let after: { performedOn: string; createdAt: string; id: string } | undefined;
    const bound = {
      ...issuedTo(actor),
      unitId,
      kind: query.kind,
      status: query.status,
      from: query.from,
      to: query.to,
    };
    if (query.cursor) {
      const decoded = this.cursors.openFor(query.cursor, bound, EffortCursor);
      if (!decoded) {
        throw new ValidationFailed('The cursor is not valid', [{ path: 'query.cursor', message: 'is not valid' }]);
      }
      after = { performedOn: decoded.p, createdAt: decoded.c, id: decoded.id };
    }
    const rows = await findUnitEfforts(this.database.db, {
      careGiverId: actor.careGiverId,
      unitId,
      kind: query.kind,
      status: query.status,
      from: query.from,
      to: query.to,
      after,
      limit: query.limit + 1,
    });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    const nextCursor =
      rows.length > query.limit && last
        ? this.cursors.sealFor(bound, { p: last.performedOn, c: last.createdAt.toISOString(), id: last.id })
        : null;
    await this.audit.readPatients(
      actor,
      unitId,
      EFFORT,
      items.map((r) => r.patientId),
    );
    return { items: items.map(toEffort), nextCursor };
  }

  /** The patient's efforts at the unit (inner secrecy: not other units' efforts), newest first. */
  async listForPatient(actor: Actor, body: PatientAtUnit): Promise<{ items: EffortOut[] }> {
    assertRole(actor, STAFF);
    await this.units.assertActsAt(actor, body.unitId);
    const rows = await findPatientEfforts(this.database.db, actor.careGiverId, body.unitId, body.patientId);
    // Logged also when it finds nothing (it names the patient), as the history and the audit search are.
    await this.audit.readPatients(actor, body.unitId, EFFORT, [body.patientId]);
    return { items: rows.map(toEffort) };
  }

  /** Append-only: a coordinator records the case's status at the unit; a doctor may read it but not set it. */
  async setStatus(actor: Actor, body: NewStatus): Promise<StatusOut> {
    assertRole(actor, ['coordinator']);
    await this.units.assertActsAt(actor, body.unitId, 'write');
    // A status records what the coordinator has done, as a consent records what was given: not a plan. One dated
    // ahead showed on the overview of days before it.
    const today = stockholmDate();
    if (body.on !== undefined && body.on > today) {
      throw new ValidationFailed('A coordination status cannot be set for a day after today', [
        { path: 'on', message: `must not be after today (${today})` },
      ]);
    }
    if (body.on !== undefined)
      assertNotBeforeBirth(body.patientId, body.on, 'on', 'A coordination status cannot be set');
    // A status is of the patient's case at the unit: for someone without one (a mistyped personnummer that happens to
    // be valid), it stored patient data of a person the unit has no sick leave of, and showed nowhere. The answer
    // tells whether the patient has sick leave at the unit, as a history lookup does: audited as one.
    const setOn = body.on ?? today;
    const sickLeave = await this.units.sickLeaveAt(actor.careGiverId, body.unitId, body.patientId);
    if (!sickLeave?.atUnit) {
      await this.audit.readPatients(actor, body.unitId, 'sick_leave', [body.patientId]);
      throw new Unprocessable(
        'no-sick-leave-at-unit',
        'No sick leave at the unit',
        'The patient has no sick-leave certificate at the unit: a coordination status is of a case there',
      );
    }
    // Nor for a day before the patient's first sick-leave day at the care giver (a mistyped year; today, ahead of a
    // certificate yet to begin): a case holding the unit's certificate starts no earlier, and the overview shows a
    // status set from the case's start on, so it showed nowhere. With or without `on`, the same day has the same
    // answer. It names that day (which the unit's history shows too), so it is audited as a read.
    const { firstDay } = sickLeave;
    if (setOn < firstDay) {
      await this.audit.readPatients(actor, body.unitId, 'sick_leave', [body.patientId]);
      throw new ValidationFailed('A coordination status cannot be set for a day before the sick leave', [
        {
          path: 'on',
          message: `${body.on === undefined ? 'today (the default) ' : ''}must not be before the first day of the patient’s sick leave (${firstDay})`,
        },
      ]);
    }
    return this.database.db.transaction(async (tx) => {
      await this.units.claimUnits(actor, [body.unitId], tx);
      const row = await insertStatus(tx, {
        careGiverId: actor.careGiverId,
        unitId: body.unitId,
        patientId: body.patientId,
        status: body.status,
        setOn,
        setBy: actor.id,
      });
      await this.audit.record(
        actor,
        [{ action: 'create', resource: STATUS, resourceId: row.id, unitId: row.unitId, patientId: row.patientId }],
        tx,
      );
      return toStatus(row);
    });
  }

  async statusHistory(actor: Actor, body: PatientAtUnit): Promise<{ items: StatusOut[] }> {
    assertRole(actor, STAFF);
    await this.units.assertActsAt(actor, body.unitId);
    const rows = await findStatusHistory(this.database.db, actor.careGiverId, body.unitId, body.patientId);
    // Logged also when it finds nothing (it names the patient), as the history and the audit search are.
    await this.audit.readPatients(actor, body.unitId, STATUS, [body.patientId]);
    return { items: rows.map(toStatus) };
  }

  /**
   * For the sick-leave overview, in ONE query: per patient, the status in force: the latest by the day it applies
   * from (set_on; then by when it was recorded) at the unit, of those whose set_on lies within [start, end] (the
   * overview passes the case's start and activeOn). Patients without one are absent from the map. The caller scopes
   * and audits (the overview's own read events cover it). Merged with the sick-leaves module's first version:
   * same signature, the query now lives in the repository.
   */
  async latestStatuses(
    careGiverId: string,
    unitId: string,
    cases: readonly { patientId: string; start: string; end: string }[],
  ): Promise<Map<string, string>> {
    const rows = await this.database.reading((readDb) => findLatestStatuses(readDb, careGiverId, unitId, cases));
    return new Map(rows.map((r) => [r.patient_id, r.status]));
  }

  private visible(actor: Actor, row: EffortRow | undefined): EffortRow {
    assertRole(actor, STAFF);
    if (!row) throw new NotFound('No such coordination effort');
    assertOwnCareGiver(actor, row.careGiverId, 'coordination effort');
    assertActsFor(actor, row.unitId);
    return row;
  }
}

/**
 * Done records what was given, as a coordination status records what was done: not on a day still to come (an effort
 * done next week is a typo in the day or the status). Planned, and under way, may lie ahead.
 */
function assertDoneOnADayThatHasCome(status: string, performedOn: string): void {
  const today = stockholmDate();
  if (status === 'done' && performedOn > today) {
    throw new ValidationFailed('An effort cannot be done on a day after today', [
      { path: 'performedOn', message: `must not be after today (${today}) for a done effort` },
    ]);
  }
}

function effortEntry(action: 'create' | 'read' | 'update', row: EffortRow) {
  return { action, resource: EFFORT, resourceId: row.id, unitId: row.unitId, patientId: row.patientId };
}

function toEffort(row: EffortRow): EffortOut {
  return {
    id: row.id,
    patientId: row.patientId,
    careGiverId: row.careGiverId,
    unitId: row.unitId,
    kind: row.kind as EffortOut['kind'],
    actor: row.actor as EffortOut['actor'],
    performedOn: row.performedOn,
    status: row.status as EffortOut['status'],
    note: row.note,
    consentId: row.consentId,
    sharingConsentId: row.sharingConsentId,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedBy: row.updatedBy,
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}

function toStatus(row: StatusRow): StatusOut {
  return {
    id: row.id,
    patientId: row.patientId,
    unitId: row.unitId,
    status: row.status as StatusOut['status'],
    setOn: row.setOn,
    setAt: row.setAt.toISOString(),
    setBy: row.setBy,
  };
}
