import type { SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { addDays, stockholmDayStart } from '../../domain/calendar.js';
import { type Actor, assertRole, type UnitOwners } from '../../lib/actor.js';
import { ValidationFailed } from '../../lib/errors.js';
import { issuedTo, type PageCursors } from '../../lib/cursor.js';
import { type ChainAnchor, type ChainVerification, verifyChain } from './chain.js';
import {
  allChainHeads,
  auditEventsInOrder,
  auditEventsInsert,
  chainHead,
  findAuditEvents,
  insertAuditEvents,
  type NewAuditEvent,
  nextTransactionId,
  type StoredAuditEvent,
  sealBlocks,
  sealingFailures,
  sealWatermark,
} from './repository.js';
import { AuditSealer, type SealerOptions } from './sealer.js';
import {
  AuditCursor,
  type AuditEventOut,
  type AuditListQuery,
  type AuditPage,
  type AuditSearchBody,
} from './schemas.js';

export const AUDIT_ACTIONS = ['read', 'create', 'update', 'revoke', 'void', 'check', 'export'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * An event's resourceId for an answer that shows records of several units of the care giver (a patient's history, a
 * patient's consents): the units, so that an auditor can follow up inner secrecy. None shown: no resourceId.
 */
export function shownUnits(unitIds: Iterable<string>): string | undefined {
  const units = [...new Set(unitIds)].sort();
  return units.length > 0 ? `units:${units.join(',')}` : undefined;
}

/** The resourceId of a read refused for want of a care relation: nothing was shown. */
export const REFUSED_NO_CARE_RELATION = 'refused:no-care-relation';

/** The purpose the Patient Data Act asks for; the auditor's own reads are follow-up of the log itself. */
const CARE_PURPOSE = 'care_and_treatment';
const FOLLOW_UP_PURPOSE = 'audit_follow_up';

export interface AuditEntry {
  action: AuditAction;
  resource: string;
  resourceId?: string;
  unitId?: string;
  patientId?: string;
}

/**
 * The audit trail. Services call `record` in the same executor as their write (so a rolled-back write leaves no
 * event) or after filtering a read (one event per patient actually returned).
 */
export class AuditService {
  readonly sealer: AuditSealer;

  constructor(
    private readonly db: Executor,
    private readonly cursors: PageCursors,
    sealerOptions: SealerOptions = {},
    /** The unit list's filter is refused for another care giver's unit, as every request naming one is. */
    private readonly units?: Pick<UnitOwners, 'assertUnitsOfCareGiver'>,
  ) {
    this.sealer = new AuditSealer(db, sealerOptions);
  }

  /** Appends events (no lock taken) and has them sealed into the chain once their transaction has committed. */
  private async append(ex: Executor, careGiverId: string, events: NewAuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await insertAuditEvents(ex, careGiverId, events);
    this.sealer.touch();
  }

  async record(actor: Actor, entries: readonly AuditEntry[], ex: Executor = this.db): Promise<void> {
    await this.append(
      ex,
      actor.careGiverId,
      entries.map((e) => this.toNew(actor, e, CARE_PURPOSE)),
    );
  }

  /** Events of several callers (e.g. a group commit of concurrent requests), one append per care giver. */
  async recordEach(items: readonly { actor: Actor; entry: AuditEntry }[], ex: Executor = this.db): Promise<void> {
    const byCareGiver = new Map<string, NewAuditEvent[]>();
    for (const { actor, entry } of items) {
      const events = byCareGiver.get(actor.careGiverId) ?? [];
      events.push(this.toNew(actor, entry, CARE_PURPOSE));
      byCareGiver.set(actor.careGiverId, events);
    }
    for (const [careGiverId, events] of byCareGiver) await this.append(ex, careGiverId, events);
  }

  /**
   * `recordEach` as SQL, for a service whose write is one statement: the insert runs as a data-modifying CTE of that
   * statement (see auditEventsInsert), so the events commit or roll back with it, and `only` keeps the events to
   * write. The sealer is told now, as `append` tells it before its transaction commits: a pass that runs before the
   * commit leaves these events to the next one.
   */
  eventsInStatement(items: readonly { actor: Actor; entry: AuditEntry }[], only: (e: SQL) => SQL): SQL {
    this.sealer.touch();
    return auditEventsInsert(
      items.map(({ actor, entry }) => ({ ...this.toNew(actor, entry, CARE_PURPOSE), careGiverId: actor.careGiverId })),
      only,
    );
  }

  /**
   * A lookup of a patient refused for want of a care relation: logged as the attempted read it is, and marked
   * (`resourceId` REFUSED_NO_CARE_RELATION) so that the patient and an auditor can tell it from a read that showed
   * records.
   */
  async refusedRead(actor: Actor, unitId: string, resource: string, patientId: string): Promise<void> {
    await this.record(actor, [{ action: 'read', resource, resourceId: REFUSED_NO_CARE_RELATION, unitId, patientId }]);
  }

  /** One `read` event per distinct patient, the PDL's "one entry per patient actually returned". */
  async readPatients(
    actor: Actor,
    unitId: string | undefined,
    resource: string,
    patientIds: Iterable<string>,
    ex: Executor = this.db,
  ): Promise<void> {
    const entries = [...new Set(patientIds)].map((patientId) => ({
      action: 'read' as const,
      resource,
      unitId,
      patientId,
    }));
    await this.record(actor, entries, ex);
  }

  async list(actor: Actor, query: AuditListQuery): Promise<AuditPage> {
    assertRole(actor, ['auditor']);
    // 200 with no events told nothing of the unit; every other request naming another care giver's unit is a 403.
    if (query.unitId) await this.units?.assertUnitsOfCareGiver(actor, [query.unitId], 'read');
    const { unitId, actorId, action, resource } = query;
    return this.search(actor, { unitId, actorId, action, resource }, query, 'query.');
  }

  /** The patient's right to see who accessed their data, within the auditor's care giver. */
  async searchPatient(actor: Actor, body: AuditSearchBody): Promise<AuditPage> {
    return this.search(actor, { patientId: body.patientId, action: body.action, resource: body.resource }, body, '');
  }

  private async search(
    actor: Actor,
    filter: { unitId?: string; actorId?: string; patientId?: string; action?: string; resource?: string },
    page: { from?: string; to?: string; cursor?: string; limit: number },
    /** Where the window's fields are, for the errors: 'query.' or '' (the body). */
    at: string,
  ): Promise<AuditPage> {
    assertRole(actor, ['auditor']);
    const window = this.window(page.from, page.to);
    // As the effort list answers it: a window that ends before it starts is a mistake, not an empty page. A date as
    // `to` ends with its day, so from 2026-12-02 to 2026-12-01 is the empty window [12-02 00:00, 12-02 00:00).
    if (window.from && window.to && window.from >= window.to) {
      throw new ValidationFailed('The window is empty: from is not before to', [
        { path: `${at}from`, message: 'must be before to' },
      ]);
    }
    // A cursor pages the list it came from: the same filters and window (the list and the search are two lists).
    // And the care giver whose log it pages: another care giver's auditor is refused it, not paged from its id.
    const bound = {
      list: at === '' ? 'search' : 'list',
      ...issuedTo(actor),
      ...filter,
      from: page.from,
      to: page.to,
    };
    const events = await findAuditEvents(this.db, {
      careGiverId: actor.careGiverId,
      ...filter,
      ...window,
      beforeId: page.cursor ? this.cursorId(page.cursor, bound, at) : undefined,
      limit: page.limit + 1,
    });
    return this.page(actor, events, page.limit, bound);
  }

  /**
   * Seals what has committed and recomputes the care giver's chain; an altered, inserted or removed row breaks it, and
   * so does a chain that no longer holds an anchor taken earlier (see ChainToVerify.anchors).
   */
  async verify(
    careGiverId: string,
    options: { anchors?: readonly ChainAnchor[] } = {},
    ex: Executor = this.db,
  ): Promise<ChainVerification> {
    await this.sealer.sealNow();
    // Watermark, head, then the blocks up to the head: a pass running meanwhile adds blocks of events above the
    // watermark (seen as not sealed yet) and is left out of the blocks compared with the head.
    const sealedTo = await sealWatermark(ex);
    // A care giver whose chain could not go on: its events from the failed pass on wait, unsealed, not out of place.
    const failure = (await sealingFailures(ex, careGiverId)).get(careGiverId);
    const watermark = failure && failure.pendingFrom < sealedTo ? failure.pendingFrom : sealedTo;
    const head = await chainHead(ex, careGiverId);
    const blocks = await sealBlocks(ex, careGiverId, head?.lastSeq ?? 0);
    const events: StoredAuditEvent[] = [];
    for await (const event of auditEventsInOrder(ex, careGiverId)) events.push(event);
    // Taken after the events were read: each event read was committed by then, so its transaction began below this.
    const nextXact = await nextTransactionId(ex);
    const verification = verifyChain({ blocks, events, watermark, head, nextXact, anchors: options.anchors });
    if (!failure) return verification;
    const { pendingFrom: _, ...sealingFailure } = failure;
    return { ...verification, sealingFailure };
  }

  /**
   * Whether sealing fails: this process's last pass failed, or some care giver's chain cannot go on (its events
   * wait). The trail is still written either way; what waits is its protection.
   */
  async sealingFailing(ex: Executor = this.db): Promise<boolean> {
    return this.sealer.failing || (await sealingFailures(ex)).size > 0;
  }

  /** Every care giver's chain head now: what the service logs as anchors, and what an operator may keep. */
  async chainHeads(ex: Executor = this.db): Promise<({ careGiverId: string } & ChainAnchor)[]> {
    return allChainHeads(ex);
  }

  private async page(
    actor: Actor,
    events: StoredAuditEvent[],
    limit: number,
    bound: Record<string, unknown>,
  ): Promise<AuditPage> {
    const items = events.slice(0, limit);
    const nextCursor = events.length > limit ? this.cursors.sealFor(bound, { id: items[items.length - 1]!.id }) : null;
    // Reading the log shows patients too: the auditor's read is itself logged, once per patient shown.
    // A search names its patient: that it found nothing tells something of the patient too, so it is logged as well.
    const named = typeof bound.patientId === 'string' ? [bound.patientId] : [];
    const patients = [...new Set([...named, ...items.flatMap((e) => (e.patientId ? [e.patientId] : []))])];
    await this.append(
      this.db,
      actor.careGiverId,
      patients.map((patientId) =>
        this.toNew(actor, { action: 'read', resource: 'audit_event', patientId }, FOLLOW_UP_PURPOSE),
      ),
    );
    return { items: items.map(toOut), nextCursor };
  }

  private window(from?: string, to?: string): { from?: Date; to?: Date } {
    const at = (v: string, endOfDay: boolean) =>
      v.length === 10 ? stockholmDayStart(endOfDay ? addDays(v, 1) : v) : new Date(v);
    return { from: from ? at(from, false) : undefined, to: to ? at(to, true) : undefined };
  }

  private cursorId(cursor: string, bound: Record<string, unknown>, at: string): number {
    const decoded = this.cursors.openFor(cursor, bound, AuditCursor);
    if (!decoded) {
      throw new ValidationFailed('The cursor is not valid', [{ path: `${at}cursor`, message: 'is not valid' }]);
    }
    return decoded.id;
  }

  private toNew(actor: Actor, e: AuditEntry, purpose: string): NewAuditEvent {
    return {
      actorId: actor.id,
      role: actor.role,
      unitId: e.unitId ?? null,
      patientId: e.patientId ?? null,
      action: e.action,
      resource: e.resource,
      resourceId: e.resourceId ?? null,
      requestId: actor.requestId,
      purpose,
    };
  }
}

function toOut(e: StoredAuditEvent): AuditEventOut {
  return {
    id: String(e.id),
    at: e.at.toISOString(),
    actorId: e.actorId,
    role: e.role,
    careGiverId: e.careGiverId,
    unitId: e.unitId,
    patientId: e.patientId,
    action: e.action as AuditAction,
    resource: e.resource,
    resourceId: e.resourceId,
    requestId: e.requestId,
    purpose: e.purpose,
  };
}
