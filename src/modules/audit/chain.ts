import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedEvent {
  id: number;
  seq: number | null;
  at: Date;
  actorId: string;
  role: string;
  careGiverId: string;
  unitId: string | null;
  patientId: string | null;
  action: string;
  resource: string;
  resourceId: string | null;
  requestId: string | null;
  purpose: string;
  prevHash: string | null;
  hash: string | null;
}

/** The exact text seal_audit_events (migrations/0002_…sql) hashes; both must change together. */
export function canonicalAuditText(e: Omit<ChainedEvent, 'hash'>): string {
  return [
    e.prevHash,
    e.seq,
    e.id,
    e.at.toISOString(),
    e.actorId,
    e.role,
    e.careGiverId,
    e.unitId ?? '',
    e.patientId ?? '',
    e.action,
    e.resource,
    e.resourceId ?? '',
    e.requestId ?? '',
    e.purpose,
  ].join('|');
}

export function auditHash(e: Omit<ChainedEvent, 'hash'>): string {
  return createHash('sha256').update(canonicalAuditText(e), 'utf8').digest('hex');
}

export interface ChainVerification {
  valid: boolean;
  checked: number;
  /** The id of the first event whose hash or link does not hold. */
  brokenAt?: number;
}

/**
 * Walks one care giver's sealed events in chain order: positions must run 1, 2, 3 … without a gap, each event must
 * link to the previous hash and hash to its own content.
 */
export function verifyChain(events: Iterable<ChainedEvent>): ChainVerification {
  let previous = GENESIS_HASH;
  let checked = 0;
  for (const event of events) {
    if (event.seq !== checked + 1 || event.prevHash !== previous || auditHash(event) !== event.hash) {
      return { valid: false, checked, brokenAt: event.id };
    }
    previous = event.hash!;
    checked += 1;
  }
  return { valid: true, checked };
}
