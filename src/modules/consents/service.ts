import type { Database, Executor } from '../../db/client.js';
import { stockholmDate } from '../../domain/calendar.js';
import {
  type ConsentActor,
  type ConsentCheckResult,
  type ConsentFacts,
  type ConsentKind,
  CONSENT_KINDS,
  checkConsent,
  consentStateOn,
  defaultValidUntil,
} from '../../domain/consent-rules.js';
import {
  type Actor,
  assertActsFor,
  assertOwnCareGiver,
  assertRole,
  type Role,
  type CaseRecords,
  type UnitOwners,
} from '../../lib/actor.js';
import { Conflict, ConsentRequired, NoCareRelation, NotFound, ValidationFailed } from '../../lib/errors.js';
import { fulfilled, Batcher } from '../../lib/batcher.js';
import { assertNotBeforeBirth } from '../../lib/patient-dates.js';
import { type AuditEntry, type AuditService, shownUnits } from '../audit/service.js';
import {
  type ConsentCheckRow,
  type ConsentKey,
  type ConsentRow,
  findConsent,
  findConsentsForCheck,
  findPatientConsents,
  insertConsent,
  markRevoked,
  markVoided,
  prepareConsentsForChecks,
} from './repository.js';
import type { ConsentCheckBody, ConsentCheckOut, ConsentOut, NewConsent, PatientConsentsBody } from './schemas.js';

const STAFF: readonly Role[] = ['coordinator', 'doctor'];
const RESOURCE = 'consent';

/** What an effort needs: the patient, the unit, the day it is performed and, for sharing, the actor. */
export interface EffortConsentNeed {
  careGiverId: string;
  unitId: string;
  patientId: string;
  on: string;
  /** Set for external collaboration: an information_sharing consent must name this actor. */
  actor?: string | null;
  /**
   * The effort records what was done on `on` (coordination-rules' documentsThePast): a consent revoked since still
   * covers a day before its revocation. Otherwise the effort is still to be given and a revoked consent refuses it.
   */
  documentsThePast: boolean;
}

export interface EffortConsents {
  consentId: string;
  sharingConsentId: string | null;
}

/**
 * Consents: record, revoke, void and check. A consent belongs to one unit of one care giver; a consent of another
 * care giver, or of another unit of the caller's care giver, is 403.
 */
export class ConsentService {
  /** Check events are group-committed: concurrent checks share one audit append (and one commit). */
  private readonly checkEvents: Batcher<{ actor: Actor; entry: AuditEntry }, undefined>;
  /** Concurrent checks share one lookup query. */
  private readonly checkLookups: Batcher<ConsentKey, ConsentCheckRow[]>;

  constructor(
    readonly database: Database,
    readonly audit: AuditService,
    private readonly units: UnitOwners & CaseRecords,
  ) {
    const lookup = prepareConsentsForChecks(database.db);
    this.checkLookups = new Batcher(async (keys) => (await lookup(keys)).map((rows) => fulfilled(rows)), 200, 4);
    // Appends of one care giver's events share a commit; each caller still waits for its own event to be stored.
    this.checkEvents = new Batcher(async (items) => {
      await audit.recordEach(items);
      return items.map(() => fulfilled(undefined));
    }, 500);
  }

  async create(actor: Actor, body: NewConsent): Promise<ConsentOut> {
    assertRole(actor, STAFF);
    await this.units.assertActsAt(actor, body.unitId, 'write');
    const today = stockholmDate();
    if (body.givenOn > today) {
      throw new ValidationFailed('A consent cannot be given in the future', [
        { path: 'givenOn', message: `must not be after today (${today})` },
      ]);
    }
    // Nor before the patient was born (a typo in the date or the id): a check on such a day answered allowed.
    assertNotBeforeBirth(body.patientId, body.givenOn, 'givenOn', 'A consent cannot be given');
    const validFrom = body.validFrom ?? body.givenOn;
    return this.database.db.transaction(async (tx) => {
      await this.units.claimUnits(actor, [body.unitId], tx);
      const row = await insertConsent(tx, {
        careGiverId: actor.careGiverId,
        unitId: body.unitId,
        patientId: body.patientId,
        kind: body.kind,
        form: body.form,
        actors: [...new Set(body.actors ?? [])],
        purpose: body.purpose ?? null,
        journalReference: body.journalReference ?? null,
        givenOn: body.givenOn,
        validFrom,
        validUntil: body.validUntil ?? defaultValidUntil(validFrom),
        recordedBy: actor.id,
      });
      await this.audit.record(actor, [this.entry('create', row)], tx);
      return toConsent(row, actor);
    });
  }

  async get(actor: Actor, id: string): Promise<ConsentOut> {
    const row = this.visible(actor, await findConsent(this.database.db, id));
    await this.units.assertUnitsOfCareGiver(actor, [row.unitId], 'read');
    await this.audit.record(actor, [this.entry('read', row)]);
    return toConsent(row, actor);
  }

  async revoke(actor: Actor, id: string, reason: string): Promise<ConsentOut> {
    return this.close(actor, id, 'revoke', reason);
  }

  async void(actor: Actor, id: string, reason: string): Promise<ConsentOut> {
    return this.close(actor, id, 'void', reason);
  }

  /** The patient's consents at every unit of the caller's care giver, history included. */
  async listForPatient(actor: Actor, body: PatientConsentsBody): Promise<{ items: ConsentOut[] }> {
    assertRole(actor, STAFF);
    await this.units.assertActsAt(actor, body.unitId);
    const rows = await findPatientConsents(this.database.db, actor.careGiverId, body.patientId);
    // Inner secrecy (NoCareRelation): the list shows consents of every unit, which tell where the patient is cared for.
    if (!(await this.hasCareRelation(actor.careGiverId, body.unitId, body.patientId, { consents: rows }))) {
      await this.audit.refusedRead(actor, body.unitId, RESOURCE, body.patientId);
      throw new NoCareRelation('the list of their consents');
    }
    // Logged also when it finds nothing, as every lookup that names a patient: that there is none tells of them too.
    // Naming the units whose consents it shows (of the whole care giver), as the patient's history does.
    await this.audit.record(actor, [
      {
        action: 'read',
        resource: RESOURCE,
        resourceId: shownUnits(rows.map((row) => row.unitId)),
        unitId: body.unitId,
        patientId: body.patientId,
      },
    ]);
    return { items: rows.map((row) => toConsent(row, actor)) };
  }

  async check(actor: Actor, body: ConsentCheckBody): Promise<ConsentCheckOut> {
    assertRole(actor, STAFF);
    await this.units.assertActsAt(actor, body.unitId);
    const on = body.on ?? stockholmDate();
    const rows = await this.checkLookups.add({
      careGiverId: actor.careGiverId,
      unitId: body.unitId,
      patientId: body.patientId,
      kind: body.kind,
    });
    const result = checkConsent(rows.map(toFacts), { kind: body.kind, actor: body.actor, on });
    await this.checkEvents.add({
      actor,
      entry: {
        action: 'check',
        resource: 'consent_check',
        resourceId: result.consentId,
        unitId: body.unitId,
        patientId: body.patientId,
      },
    });
    return { ...result, on };
  }

  /**
   * Inner secrecy: whether the unit has a care relation with the patient, so that it may see what other units hold
   * of them. The unit issued them a certificate (any type, neither a test nor revoked; a counted one the caller may
   * already know of: `certified`), or they gave the unit a consent valid today, of either kind: a coordinator
   * registers it at their own unit, with the patient.
   */
  async hasCareRelation(
    careGiverId: string,
    unitId: string,
    patientId: string,
    known: { certified?: boolean; consents?: readonly ConsentRow[] } = {},
  ): Promise<boolean> {
    if (known.certified) return true;
    const rows =
      known.consents?.filter((row) => row.unitId === unitId) ??
      (await findConsentsForCheck(this.database.db, careGiverId, unitId, patientId, CONSENT_KINDS));
    const today = stockholmDate();
    if (rows.some((row) => consentStateOn(toFacts(row), today) === 'valid')) return true;
    return this.units.certifiedAt(careGiverId, unitId, patientId);
  }

  /**
   * Inside the caller's transaction: the consents an effort on `need.on` rests on, read FOR SHARE so that a
   * concurrent revocation waits for (or is seen by) the write. Throws ConsentRequired (422) naming the reason.
   */
  async requireForEffort(tx: Executor, need: EffortConsentNeed): Promise<EffortConsents> {
    const kinds: ConsentKind[] = need.actor ? ['coordination', 'information_sharing'] : ['coordination'];
    const rows = await findConsentsForCheck(tx, need.careGiverId, need.unitId, need.patientId, kinds, true);
    const facts = rows.map(toFacts);
    // An effort done documents what was done on performedOn: a consent revoked since still covered the days before.
    // One planned or under way is still to be given, which a revoked consent no longer allows.
    const { documentsThePast } = need;
    const coordination = checkConsent(facts, { kind: 'coordination', on: need.on, documentsThePast });
    if (!coordination.allowed) {
      throw refusal(`No valid coordination consent of the patient at the unit on ${need.on}`, coordination, {
        kind: 'coordination',
      });
    }
    if (!need.actor) return { consentId: coordination.consentId, sharingConsentId: null };
    const sharing = checkConsent(facts, {
      kind: 'information_sharing',
      actor: need.actor,
      on: need.on,
      documentsThePast,
    });
    if (!sharing.allowed) {
      throw refusal(`No valid information-sharing consent naming ${need.actor} on ${need.on}`, sharing, {
        kind: 'information_sharing',
        actor: need.actor as ConsentActor,
      });
    }
    return { consentId: coordination.consentId, sharingConsentId: sharing.consentId };
  }

  private async close(actor: Actor, id: string, action: 'revoke' | 'void', reason: string): Promise<ConsentOut> {
    assertRole(actor, STAFF);
    // The unit's owner is asked before the transaction: its lookup runs on the database, not the transaction (PGlite
    // is one connection, and a query outside the open transaction would wait for it forever).
    const unitId = this.visible(actor, await findConsent(this.database.db, id)).unitId;
    await this.units.assertUnitsOfCareGiver(actor, [unitId]);
    const outcome = await this.database.db.transaction(async (tx) => {
      const row = this.visible(actor, await findConsent(tx, id, true));
      // The same closing again is a client's retry: answered with the first one unchanged (as revoking a
      // certificate again is), and audited as the read it is. The other closing contradicts the first: 409.
      const closedAs = row.voidedAt ? 'void' : row.revokedAt ? 'revoke' : undefined;
      if (closedAs === action) {
        await this.audit.record(actor, [this.entry('read', row)], tx);
        return { consent: toConsent(row, actor) };
      }
      if (closedAs) return { conflict: { closedAs, row } };
      const closed =
        action === 'revoke' ? await markRevoked(tx, id, actor.id, reason) : await markVoided(tx, id, actor.id, reason);
      await this.audit.record(actor, [this.entry(action, closed)], tx);
      return { consent: toConsent(closed, actor) };
    });
    if (outcome.consent) return outcome.consent;
    // The 409 tells how the patient's consent was closed (revoked by the patient, or voided): a read of it, logged
    // as one, after the transaction (nothing was written in it).
    const { closedAs, row } = outcome.conflict;
    await this.audit.record(actor, [this.entry('read', row)]);
    throw closedAs === 'void'
      ? new Conflict('The consent is voided; that is final', 'consent-closed')
      : new Conflict('The consent is already revoked; that is final', 'consent-closed');
  }

  /** Another care giver's consent is forbidden (403), as the outline has it, and so is another unit's. */
  private visible(actor: Actor, row: ConsentRow | undefined): ConsentRow {
    assertRole(actor, STAFF);
    if (!row) throw new NotFound('No such consent');
    assertOwnCareGiver(actor, row.careGiverId, 'consent');
    assertActsFor(actor, row.unitId);
    return row;
  }

  private entry(action: 'create' | 'read' | 'revoke' | 'void', row: ConsentRow) {
    return { action, resource: RESOURCE, resourceId: row.id, unitId: row.unitId, patientId: row.patientId };
  }
}

function refusal(detail: string, result: ConsentCheckResult, extra: Record<string, unknown>): ConsentRequired {
  return new ConsentRequired(detail, result.reason, {
    ...extra,
    ...(result.consentId ? { consentId: result.consentId } : {}),
  });
}

export function toFacts(row: ConsentCheckRow): ConsentFacts {
  return {
    id: row.id,
    kind: row.kind,
    actors: row.actors,
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    revoked: row.revokedAt !== null,
    ...(row.revokedAt !== null ? { revokedOn: stockholmDate(row.revokedAt) } : {}),
    voided: row.voidedAt !== null,
    recordedAt: row.recordedAt,
  };
}

/** Free text (purpose, journal reference, reasons) goes only to staff of the consent's own unit. */
function toConsent(row: ConsentRow, actor: Actor): ConsentOut {
  const ownUnit = actor.units.includes(row.unitId);
  const text = (value: string | null) => (ownUnit ? value : null);
  return {
    id: row.id,
    patientId: row.patientId,
    careGiverId: row.careGiverId,
    unitId: row.unitId,
    kind: row.kind as ConsentOut['kind'],
    form: row.form as ConsentOut['form'],
    actors: row.actors as ConsentOut['actors'],
    purpose: text(row.purpose),
    journalReference: text(row.journalReference),
    givenOn: row.givenOn,
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    recordedBy: row.recordedBy,
    recordedAt: row.recordedAt.toISOString(),
    state: row.voidedAt ? 'voided' : row.revokedAt ? 'revoked' : 'recorded',
    revocation: row.revokedAt
      ? { at: row.revokedAt.toISOString(), by: row.revokedBy!, reason: text(row.revokeReason) }
      : null,
    voiding: row.voidedAt ? { at: row.voidedAt.toISOString(), by: row.voidedBy!, reason: text(row.voidReason) } : null,
  };
}
