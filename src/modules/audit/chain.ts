import { hash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** What an audit event says; every field of it is covered by the seal. */
export interface AuditEventContent {
  id: number;
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
}

/** An event as stored: its content and the transaction that wrote it (which decides its block). */
export interface SealedEvent extends AuditEventContent {
  xact: bigint;
}

/** One seal pass's block of a care giver: its events are those with xact in [xactFrom, xactTo), in id order. */
export interface SealBlock {
  seq: number;
  xactFrom: bigint;
  xactTo: bigint;
  events: number;
  prevHash: string;
  hash: string;
}

const sha256 = (text: string) => hash('sha256', text, 'hex');

/** The exact text seal_audit_events (migrations/0008_…sql) hashes for one event; both must change together. */
export function auditEventText(e: AuditEventContent): string {
  return [
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

/** The exact text seal_audit_events hashes for a block: its link, position, range, count and its events' hashes. */
export function sealBlockText(block: Omit<SealBlock, 'hash'>, eventHashes: readonly string[]): string {
  return [block.prevHash, block.seq, block.xactFrom, block.xactTo, block.events, eventHashes.join(',')].join('|');
}

export interface ChainVerification {
  valid: boolean;
  /** Sealed events whose content was checked. */
  checked: number;
  /** The id of the first event of the first block (or the first event) that does not hold. */
  brokenAt?: number;
  /**
   * The care giver's chain could not go on (a block already at its next position): since when, how many passes
   * failed, why. Its later events wait, unsealed; what is sealed was checked as usual.
   */
  sealingFailure?: { since: string; failures: number; error: string };
}

export interface ChainToVerify {
  /** The care giver's blocks in seq order. */
  blocks: readonly SealBlock[];
  /** The care giver's events in id order. */
  events: Iterable<SealedEvent>;
  /** Sealing has passed every transaction below this: an event below it must be in a block. */
  watermark: bigint;
  /** The chain head as stored, when there is one. */
  head?: { lastHash: string; lastSeq: number };
  /**
   * The next transaction id (nothing that has started is at or above it): an event above the watermark may belong to
   * a transaction still running, but not to one that has not begun; such an event was written with a forged xact,
   * and no pass would ever seal it.
   */
  nextXact?: bigint;
  /**
   * Chain heads taken earlier and kept outside the database (the service logs them: "audit chain heads"): the block
   * at each anchor's position must still hash to it. A chain rebuilt from the events that are left (some removed,
   * every block sealed again) is consistent in itself, but not with what was logged before.
   */
  anchors?: readonly ChainAnchor[];
}

/** A chain head as it was at some moment: the position of the care giver's last block then, and its hash. */
export interface ChainAnchor {
  seq: number;
  hash: string;
}

/**
 * Walks one care giver's blocks: positions run 1, 2, 3 … without a gap, each block links to the previous hash, their
 * ranges follow each other, and each block hashes to the events that fall in its range now. An altered event changes
 * its block's hash, a removed or inserted one its count and hash, an event moved out of every block below the
 * watermark is itself a break, and a removed last block no longer matches the head.
 */
export function verifyChain({
  blocks,
  events,
  watermark,
  head,
  nextXact,
  anchors = [],
}: ChainToVerify): ChainVerification {
  const broken: number[] = [];
  let previousHash = GENESIS_HASH;
  let previousTo = 0n;
  blocks.forEach((block, i) => {
    if (block.seq !== i + 1 || block.prevHash !== previousHash || block.xactFrom < previousTo) broken.push(i);
    previousHash = block.hash;
    previousTo = block.xactTo;
  });
  const hashesByBlock = blocks.map(() => [] as string[]);
  const firstIdByBlock: (number | undefined)[] = blocks.map(() => undefined);
  const outside: number[] = [];
  for (const event of events) {
    const i = blockOf(blocks, event.xact);
    if (i === undefined) {
      if (event.xact < watermark || (nextXact !== undefined && event.xact >= nextXact)) outside.push(event.id);
      continue;
    }
    hashesByBlock[i]!.push(sha256(auditEventText(event)));
    firstIdByBlock[i] ??= event.id;
  }
  let checked = 0;
  blocks.forEach((block, i) => {
    const hashes = hashesByBlock[i]!;
    if (hashes.length !== block.events || sha256(sealBlockText(block, hashes)) !== block.hash) broken.push(i);
    else checked += hashes.length;
  });
  const last = blocks[blocks.length - 1];
  if (head && (head.lastSeq !== blocks.length || head.lastHash !== (last?.hash ?? GENESIS_HASH))) {
    broken.push(blocks.length - 1);
  }
  for (const anchor of anchors) {
    const i = anchor.seq - 1;
    if (i >= 0 && blocks[i]?.hash !== anchor.hash) broken.push(Math.min(i, blocks.length - 1));
  }
  const brokenIds = [...broken.map((i) => (i < 0 ? 0 : (firstIdByBlock[i] ?? 0))), ...outside];
  if (brokenIds.length === 0) return { valid: true, checked };
  return { valid: false, checked, brokenAt: Math.min(...brokenIds) };
}

/** The block whose range holds `xact` (blocks are in range order), by binary search. */
function blockOf(blocks: readonly SealBlock[], xact: bigint): number | undefined {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const block = blocks[mid]!;
    if (xact < block.xactFrom) hi = mid - 1;
    else if (xact >= block.xactTo) lo = mid + 1;
    else return mid;
  }
  return undefined;
}
