import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedEvent {
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
  prevHash: string;
  hash: string;
}

/** The exact text append_audit_events (migrations/0001_audit_chain.sql) hashes; both must change together. */
export function canonicalAuditText(e: Omit<ChainedEvent, 'hash'>): string {
  return [
    e.prevHash,
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

/** Walks one care giver's events in id order: each must link to the previous hash and hash to its own content. */
export function verifyChain(events: Iterable<ChainedEvent & { id: number }>): ChainVerification {
  let previous = GENESIS_HASH;
  let checked = 0;
  for (const event of events) {
    if (event.prevHash !== previous || auditHash(event) !== event.hash) {
      return { valid: false, checked, brokenAt: event.id };
    }
    previous = event.hash;
    checked += 1;
  }
  return { valid: true, checked };
}
