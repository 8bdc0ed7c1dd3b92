import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Database, Executor } from '../../db/client.js';
import { COUNTED_TYPES, countsFor, periodSpan, SUPERSEDING_KINDS } from '../../domain/certificate-rules.js';
import { isHsaId } from '../../domain/hsa-id.js';
import { type Actor, assertActsFor, assertRole, type SickLeaveAtUnit } from '../../lib/actor.js';
import {
  boundedFieldErrors,
  Conflict,
  type FieldError,
  Forbidden,
  issueFieldErrors,
  NotFound,
  ValidationFailed,
} from '../../lib/errors.js';
import { fulfilled, Batcher, rejected } from '../../lib/batcher.js';
import { isDatabaseUnavailable, isPoolExhausted, isSchemaMissing, isStatementTimeout } from '../../db/errors.js';
import type { AuditEntry, AuditService } from '../audit/service.js';
import {
  bumpUnitCaseVersions,
  type CertificateKey,
  findCertificates,
  keyOf,
  keyOfContent,
  keyString,
  relationFactsOf,
  supersessionLinksFrom,
  claimUnits,
  unitCareGivers,
  insertCertificates,
  lockCertificate,
  markRevoked,
  type NewCertificate,
  recomputeSupersession,
  relationTargets,
  sickLeaveAt,
  certifiedAt,
  type StoredCertificate,
  supersededTargets,
} from './repository.js';
import {
  type BatchResult,
  type BatchStatus,
  type Certificate,
  type CertificateContent,
  CertificateInput,
  type RevokeInput,
} from './schemas.js';

/**
 * Keys sorted at every level, so equal content always gives the same text and hash. Stored hashes depend on this
 * exact text (a test pins two of them); it is built by hand because it runs for every certificate of every batch, and
 * written for speed: keys that are already in order (most are) are not sorted again, quoted keys are kept, and a
 * string that needs no escaping is quoted as it is.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
    case 'object':
      break;
    default:
      return JSON.stringify(value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]) ?? '';
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // The default sort compares UTF-16 code units, as `>` does.
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  let out = '{';
  for (const key of keys) {
    const inner = record[key];
    if (inner === undefined) continue;
    if (out.length > 1) out += ',';
    out += quotedKey(key) + canonicalJson(inner);
  }
  return `${out}}`;
}

/** What JSON.stringify escapes in a string: quote, backslash, control characters and (lone) surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `"key":`, kept for the few hundred keys certificates have (bounded all the same). */
const quotedKeys = new Map<string, string>();
function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size < 1_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

export function contentHash(content: CertificateContent): string {
  return hashOfCanonical(canonicalJson(content));
}

/** One-shot hashing (Node ≥ 20.12): no Hash object per certificate. */
const hashOfCanonical = (canonical: string): string => hash('sha256', canonical, 'hex');

/**
 * A certificate to store with its canonical text and that text's hash: the text is computed once, hashed, and sent
 * to the database as the content (re-serialising 1,000 contents for the insert was a twentieth of a batch's CPU).
 */
function toWrite(actor: Actor, content: CertificateContent): SingleWrite {
  const canonical = canonicalJson(content);
  return { actor, content, canonical, hash: hashOfCanonical(canonical) };
}

const NOT_FOUND = 'No such certificate';

/** By `keyOf(care giver, id)`: a certificate is its care giver's id in the issuing system. */
type StoreOutcome = Map<string, { created: boolean; storedHash: string }>;

/** The map key of a certificate's content: its care giver and id. */
const keyOfCertificate = (c: CertificateContent): string => keyString(keyOfContent(c));
/** The most field errors a batch answer lists for one item, and in all (then one line per further invalid item). */
const MAX_ITEM_ERRORS = 10;
const MAX_BATCH_ERRORS = 500;

/** A unit no certificate has named yet, remembered for reads for NO_OWNER_TTL_MS. */
const NO_OWNER = '';
const NO_OWNER_TTL_MS = 60_000;

/** Certificates: ingest, validation, idempotency, revocation and relations (issue 3). */
export class CertificateService {
  /** Concurrent single posts, written together (at most 200 per transaction). */
  private readonly singles = new Batcher<SingleWrite, SingleOutcome>((group) => this.writeSingles(group), 200, 2);
  /** Unit id → the care giver it belongs to, as stored (it never changes). */
  private readonly unitOwners = new LRUCache<string, string>({ max: 20_000 });

  constructor(
    readonly database: Database,
    readonly audit: AuditService,
  ) {}

  /**
   * One certificate: created (true), or the stored identical one (false); different content is a conflict.
   * Concurrent posts are group-committed: they share one transaction (see `writeSingles`).
   */
  async create(actor: Actor, content: CertificateContent): Promise<{ created: boolean; certificate: Certificate }> {
    assertRole(actor, ['ehr']);
    const scopeError = this.writeScopeError(actor, { careGiverId: content.careGiver.id, unitId: content.unit.id });
    if (scopeError) throw new Forbidden(`${scopeError.path} ${scopeError.message}`);
    await this.assertUnitsOfCareGiver(actor, [content.unit.id]);
    const write = toWrite(actor, content);
    const [relationError] = await this.relationErrors(actor, [write]);
    if (relationError?.forbidden) throw new Forbidden(`${relationError.path} ${relationError.message}`);
    if (relationError) throw new ValidationFailed('The relation is not valid', [relationError]);
    const outcome = await this.singles.add(write);
    // A re-post is answered with the stored certificate: the caller reads it, so the read is audited.
    if (!outcome.created) await this.audit.record(actor, [readEntry(outcome.certificate)]);
    return outcome;
  }

  /**
   * Writes a group of single posts at once, each judged as if alone: the first post of an id creates it, a later one
   * of the same id is unchanged or a conflict. A group with relations is one transaction; one without needs none, its
   * write being one statement (see `store`). When the group's write fails, each post is tried on its own, so that one
   * post's failure is never its neighbours'; a lone post is tried once more too, so that whether a post went alone or
   * in a group (a matter of timing) never changes its answer.
   */
  private async writeSingles(group: SingleWrite[]): Promise<PromiseSettledResult<SingleOutcome>[]> {
    // What an insert outside a transaction committed before a later step of the group failed. The retry below finds
    // those rows stored; their posts are still answered created (once each), and they are still settled.
    const committed = new Map<string, CertificateContent>();
    const answeredCreated = new Set<string>();
    // Posts of a certificate already stored as posted (a client's retry): settled again too, so that a retry after
    // the settling failed repairs it, as a repeated revocation does.
    const repeated = new Map<string, CertificateContent>();
    const judge = async (ex: Executor, writes: SingleWrite[], inTransaction: boolean) => {
      const { outcome, found, created } = await this.store(
        ex,
        firstOccurrences(writes),
        true,
        inTransaction,
        committed,
      );
      const first = new Set<string>();
      const results = writes.map(({ content, hash }): PromiseSettledResult<SingleOutcome> => {
        // Two care givers' posts of one id in a group are two certificates.
        const key = keyOfCertificate(content);
        const { created, storedHash } = outcome.get(key)!;
        const isFirst = !first.has(key);
        first.add(key);
        const createdEarlier = committed.has(key) && !answeredCreated.has(key) && storedHash === hash && isFirst;
        if ((created && isFirst) || createdEarlier) {
          answeredCreated.add(key);
          return fulfilled({ created: true, certificate: toCertificate(found.get(key)!) });
        }
        if (storedHash !== hash) return rejected(conflict(content.id));
        repeated.set(key, content);
        return fulfilled({ created: false, certificate: toCertificate(found.get(key)!) });
      });
      return { results, created };
    };
    const writeTogether = (writes: SingleWrite[]) =>
      writes.every((w) => !w.content.relation)
        ? judge(this.database.db, writes, false)
        : this.database.db.transaction((tx) => judge(tx, writes, true));
    let written: { results: PromiseSettledResult<SingleOutcome>[]; created: CertificateContent[] }[];
    try {
      written = [await writeTogether(group)];
    } catch (err) {
      // The database's state, not a post's: trying each post again waited the same once more (a lone post blocked by
      // a lock was answered 503 after twice DATABASE_STATEMENT_TIMEOUT_MS, a full pool after twice the connect
      // timeout). A deadlock among the group's posts is still retried one by one.
      if (isDatabaseUnavailable(err) || isStatementTimeout(err) || isPoolExhausted(err) || isSchemaMissing(err)) {
        throw err;
      }
      written = [];
      for (const write of group) {
        try {
          written.push(await writeTogether([write]));
        } catch (error) {
          written.push({ results: [rejected(error)], created: [] });
        }
      }
    }
    // Outside the retry above: what has committed must not be written again when settling fails.
    const settling = new Map(written.flatMap((w) => w.created).map((c) => [keyOfCertificate(c), c]));
    for (const [key, content] of [...committed, ...repeated]) settling.set(key, content);
    await this.settleAfterCommit([...settling.values()]);
    return written.flatMap((w) => w.results);
  }

  /** Up to 1,000 certificates, each validated and stored on its own merits, written in one transaction. */
  async createBatch(actor: Actor, items: readonly unknown[]): Promise<BatchResult> {
    assertRole(actor, ['ehr']);
    const results: BatchResult['results'] = [];
    const accepted: { index: number; write: SingleWrite }[] = [];
    let listedErrors = 0;
    items.forEach((item, index) => {
      const rawId = (item as { id?: unknown } | null)?.id;
      const id = typeof rawId === 'string' && rawId.length <= 64 ? rawId : null;
      // Each stands or falls alone, access too: an item for another care giver or a unit outside the token is
      // refused as that item ('forbidden'), the others stored (it refused the whole batch with 403).
      const scopeError = this.writeScopeError(actor, scopeOf(item));
      if (scopeError) {
        results.push({ id, status: 'forbidden', errors: [scopeError] });
        return;
      }
      const parsed = CertificateInput.safeParse(item);
      if (!parsed.success) {
        // Bounded per item and per answer: 1,000 empty items (4 KB) were answered with 882 KB of errors.
        const errors =
          listedErrors >= MAX_BATCH_ERRORS
            ? [
                {
                  path: '',
                  message: `not listed (${MAX_BATCH_ERRORS} errors listed already)`,
                },
              ]
            : boundedFieldErrors(
                parsed.error.issues.flatMap((i) => issueFieldErrors(i, '', false)),
                MAX_ITEM_ERRORS,
              );
        listedErrors += errors.length;
        results.push({ id, status: 'invalid', errors });
        return;
      }
      results.push({ id, status: 'invalid' }); // settled below
      accepted.push({ index, write: toWrite(actor, parsed.data) });
    });

    // A unit of the token that is another care giver's: its items are refused, each as forbidden.
    const othersUnits = new Set<string>();
    for (const unitId of new Set(accepted.map((a) => a.write.content.unit.id))) {
      await this.assertUnitsOfCareGiver(actor, [unitId]).catch((err) => {
        if (!(err instanceof Forbidden)) throw err;
        othersUnits.add(unitId);
      });
    }
    const ownUnits = accepted.filter(({ index, write }) => {
      if (!othersUnits.has(write.content.unit.id)) return true;
      results[index] = {
        id: write.content.id,
        status: 'forbidden',
        errors: [{ path: 'unit.id', message: 'is a unit of another care giver' }],
      };
      return false;
    });
    const relationErrors = await this.relationErrors(
      actor,
      ownUnits.map((a) => a.write),
    );
    const valid = ownUnits.filter(({ index, write }, i) => {
      const error = relationErrors[i];
      if (error) {
        results[index] = {
          id: write.content.id,
          status: error.forbidden ? 'forbidden' : 'invalid',
          errors: [{ path: error.path, message: error.message }],
        };
      }
      return !error;
    });
    // A batch the caller may write none of is refused as a whole (403), as a single post of one of its items is.
    if (results.every((r) => r.status === 'forbidden')) {
      const first = results[0]!.errors![0]!;
      throw new Forbidden(
        `No certificate of the batch is the caller's to write: certificate 0: ${first.path} ${first.message}`,
      );
    }
    // The first occurrence of an id is the one stored; later ones compare with what ends up stored.
    const writes = firstOccurrences(valid.map((a) => a.write));
    const outcome: StoreOutcome = new Map();
    // Created, and already stored as posted (a retry): both are settled after the commit (see writeSingles).
    const settling = new Map<string, CertificateContent>();
    if (writes.length > 0) {
      const stored = await this.database.db.transaction((tx) => this.store(tx, writes, false, true));
      for (const [key, o] of stored.outcome) outcome.set(key, o);
      for (const c of stored.created) settling.set(keyOfCertificate(c), c);
    }

    // Every item is of the caller's care giver (checked above), so its id alone tells items apart.
    const seen = new Set<string>();
    for (const { index, write } of valid) {
      const id = write.content.id;
      const { created, storedHash } = outcome.get(keyOfCertificate(write.content))!;
      let status: BatchStatus;
      if (created && !seen.has(id)) status = 'created';
      else status = storedHash === write.hash ? 'unchanged' : 'conflict';
      if (status === 'unchanged') settling.set(keyOfCertificate(write.content), write.content);
      seen.add(id);
      results[index] =
        status === 'conflict'
          ? { id, status, errors: [{ path: 'id', message: `certificate ${id} already exists with different content` }] }
          : { id, status };
    }
    await this.settleAfterCommit([...settling.values()]);
    return { results };
  }

  /**
   * The caller's care giver's certificate with this id. Ids are the issuing systems', unique within a care giver:
   * another care giver's certificate with the same id is not this caller's resource, so an id only another care giver
   * holds is 404, as any id the caller's care giver does not have.
   */
  async get(actor: Actor, id: string): Promise<Certificate> {
    assertRole(actor, ['doctor', 'coordinator']);
    const [stored] = await findCertificates(this.database.db, [{ careGiverId: actor.careGiverId, id }]);
    if (!stored) throw new NotFound(NOT_FOUND);
    assertActsFor(actor, stored.unitId);
    const certificate = toCertificate(stored);
    await this.audit.record(actor, [readEntry(certificate)]);
    return certificate;
  }

  /** Soft and final; revoking again answers the first revocation unchanged. Of the caller's care giver only (as get). */
  async revoke(actor: Actor, id: string, input: RevokeInput | null | undefined): Promise<Certificate> {
    assertRole(actor, ['ehr']);
    const key: CertificateKey = { careGiverId: actor.careGiverId, id };
    let settleTargets: CertificateKey[] = [];
    const certificate = await this.database.db.transaction(async (tx) => {
      const stored = await lockCertificate(tx, key);
      if (!stored) throw new NotFound(NOT_FOUND);
      assertActsFor(actor, stored.unitId);
      settleTargets = supersededTargets([stored.content]);
      // Settled again below on a repeat too: a client retrying after a failure of that step repairs it. The repeat
      // answers the stored certificate, which the caller then reads: audited as a read, not as a second revocation.
      if (stored.revokedAt) {
        const certificate = toCertificate(stored);
        await this.audit.record(actor, [readEntry(certificate)], tx);
        return certificate;
      }
      await markRevoked(tx, key, actor.id, input?.reason);
      // The certificate it replaced or supplemented counts again, unless another one still supersedes it.
      await recomputeSupersession(tx, settleTargets);
      await this.audit.record(
        actor,
        [
          {
            action: 'revoke',
            resource: 'certificate',
            resourceId: id,
            unitId: stored.unitId,
            patientId: stored.patientId,
          },
        ],
        tx,
      );
      await bumpUnitCaseVersions(tx, [key, ...settleTargets]);
      const [revoked] = await findCertificates(tx, [key]);
      return toCertificate(revoked!);
    });
    // Again after the commit: a target posted meanwhile was not visible above, and its own settling may have run
    // before this revocation committed (the same race as a replacement and its target posted at once).
    await this.settle(settleTargets);
    return certificate;
  }

  /**
   * After the commit, supersession is settled again for what the write created (or found stored as posted, a retry)
   * or named as a target. A relation and its target posted at the same moment, in two transactions, cannot see each
   * other's rows inside them, so the target would go on counting; whichever of the two commits second sees the
   * other's rows here. Nearly always one indexed read that finds nothing. The answer already given to the poster of
   * the target may still say it counts.
   */
  private async settleAfterCommit(created: readonly CertificateContent[]): Promise<void> {
    if (created.length === 0) return;
    const keys = distinctKeys([...created.map(keyOfContent), ...supersededTargets(created)]);
    const targeted = await relationTargets(this.database.db, keys);
    await this.settle(targeted);
  }

  /** Settles supersession of `targets` outside any transaction and bumps the case versions of those it changed. */
  private async settle(targets: readonly CertificateKey[]): Promise<void> {
    if (targets.length === 0) return;
    const changed = await recomputeSupersession(this.database.db, targets);
    // A cached case list built between the two statements is under the old version, so this bump replaces it.
    if (changed.length > 0) await bumpUnitCaseVersions(this.database.db, changed);
  }

  /** Forgets the remembered unit owners: for when owners were changed outside the service (a data repair, tests). */
  forgetUnitOwners(): void {
    this.unitOwners.clear();
  }

  /**
   * For a write at a unit (consent, effort, status) in the writer's transaction: claims the unit for the actor's care
   * giver when no one owns it yet, and refuses (403) a unit of another care giver. A unit already known to be the
   * actor's care giver's costs nothing (owners never change).
   */
  async claimUnits(actor: Actor, unitIds: readonly string[], ex: Executor): Promise<void> {
    const open = [...new Set(unitIds)].filter((id) => this.unitOwners.get(id) !== actor.careGiverId);
    for (const [unitId, careGiverId] of await claimUnits(ex, actor.careGiverId, open)) {
      if (careGiverId !== actor.careGiverId) throw new Forbidden(`Unit ${unitId} is a unit of another care giver`);
    }
    // Not put into the owners cache: the transaction may still roll the claim back. The next lookup finds it.
  }

  /** Whether the patient has a sick-leave case at the unit: a certificate there that counts, of any time. */
  async sickLeaveAt(careGiverId: string, unitId: string, patientId: string): Promise<SickLeaveAtUnit | undefined> {
    return sickLeaveAt(this.database.db, careGiverId, unitId, patientId);
  }

  /** Whether the unit issued the patient a certificate that is neither a test nor revoked (see certifiedAt). */
  async certifiedAt(careGiverId: string, unitId: string, patientId: string): Promise<boolean> {
    return certifiedAt(this.database.db, careGiverId, unitId, patientId);
  }

  /** A unit the actor acts at: in the token (assertActsFor) and not another care giver's (assertUnitsOfCareGiver). */
  async assertActsAt(actor: Actor, unitId: string, use: 'read' | 'write' = 'read'): Promise<void> {
    assertActsFor(actor, unitId);
    await this.assertUnitsOfCareGiver(actor, [unitId], use);
  }

  /**
   * A unit belongs to exactly one care giver: the one whose certificate, consent, effort or status first named it. A
   * token that puts a unit of another care giver in its units (an identity provider's mistake) must neither write nor
   * read there (403; the other services ask here, the units being this module's). Owners never change, so they are
   * cached per process and the check costs a query only for a unit not seen yet.
   */
  async assertUnitsOfCareGiver(
    actor: Actor,
    unitIds: readonly string[],
    use: 'read' | 'write' = 'write',
  ): Promise<void> {
    // A write asks again about a unit without an owner (the first certificate naming it makes one); a read takes a
    // remembered "none" for up to a minute, so that reads at such a unit do not query for it every time.
    const known = (id: string) => {
      const owner = this.unitOwners.get(id);
      return owner !== undefined && (owner !== NO_OWNER || use === 'read');
    };
    const unknown = [...new Set(unitIds)].filter((id) => !known(id));
    // A write may make the unit its care giver's: reads ask again from now on (the minute bounds any read between).
    if (use === 'write') for (const id of unknown) if (this.unitOwners.get(id) === NO_OWNER) this.unitOwners.delete(id);
    if (unknown.length > 0) {
      const owners = await unitCareGivers(this.database.db, unknown);
      for (const unitId of unknown) {
        const careGiverId = owners.get(unitId);
        if (careGiverId) this.unitOwners.set(unitId, careGiverId);
        // Not from a write: the certificate it is about to store may make the unit its care giver's.
        else if (use === 'read') this.unitOwners.set(unitId, NO_OWNER, { ttl: NO_OWNER_TTL_MS });
      }
    }
    for (const unitId of unitIds) {
      const owner = this.unitOwners.get(unitId);
      if (owner !== undefined && owner !== NO_OWNER && owner !== actor.careGiverId) {
        throw new Forbidden(`Unit ${unitId} is a unit of another care giver`);
      }
    }
  }

  /**
   * A replacing or supplementing certificate takes its target out of counting, as revoking it would: so the target,
   * when stored, must be at a unit of the token, as for revoking (an error marked `forbidden`: 403 for a single post,
   * the item's 'forbidden' in a batch). The target is the
   * caller's care giver's certificate with that id (ids are unique within a care giver only); another care giver's
   * certificate with the same id is never touched, and a target not stored gives nothing away.
   *
   * Each certificate's own errors (answered per certificate): a target of another patient, stored or earlier in the
   * same batch, would never stop counting while the issuing system, answered 201, believed it replaced; and a target
   * that itself replaces this certificate would make two that take each other out of counting, so the patient's
   * sick leave vanished (so would a longer loop). An extension of another patient's certificate is refused the same
   * way, where the target is at a unit of the token or in the batch. A certificate already stored with this content
   * is a re-post, answered as stored.
   */
  private async relationErrors(
    actor: Actor,
    writes: readonly { content: CertificateContent; hash: string }[],
  ): Promise<((FieldError & { forbidden?: true }) | undefined)[]> {
    const targets = supersededTargets(writes.map((w) => w.content));
    const extended = writes.flatMap(({ content: c }) =>
      c.relation?.kind === 'extends' ? [{ careGiverId: c.careGiver.id, id: c.relation.certificateId }] : [],
    );
    if (targets.length === 0 && extended.length === 0) return writes.map(() => undefined);
    const [stored, storedLinks] = await Promise.all([
      relationFactsOf(this.database.db, [...targets, ...extended, ...writes.map((w) => keyOfContent(w.content))]),
      supersessionLinksFrom(this.database.db, targets),
    ]);
    // The batch's own certificates, by id (the first occurrence is the one stored), for targets posted with them.
    const inBatch = new Map<string, { index: number; content: CertificateContent }>();
    writes.forEach((w, index) => {
      if (!inBatch.has(w.content.id)) inBatch.set(w.content.id, { index, content: w.content });
    });
    // The links of the batch's new certificates accepted so far: a loop is refused where it would close.
    const batchLinks = new Map<string, string>();
    // A stored certificate is never in batchLinks (its own post is unchanged or a conflict, storing nothing).
    const supersededBy = (careGiverId: string, id: string): string | undefined =>
      storedLinks.get(keyOf(careGiverId, id)) ?? batchLinks.get(id);
    return writes.map(({ content, hash }, i) => {
      const relation = content.relation;
      if (!relation) return undefined;
      const ownKey = keyOf(content.careGiver.id, content.id);
      if (stored.get(ownKey)?.contentHash === hash) return undefined;
      const supersedes = SUPERSEDING_KINDS.includes(relation.kind);
      const target = stored.get(keyOf(content.careGiver.id, relation.certificateId));
      // An extension may chain to another unit's certificate; what that one is (whose) is not told to this unit.
      if (!supersedes && target && !actor.units.includes(target.unitId)) return undefined;
      if (target && !actor.units.includes(target.unitId)) {
        return {
          path: 'relation.certificateId',
          message:
            'names a certificate of a unit that is not in the token; replacing or supplementing it is for that unit',
          forbidden: true,
        };
      }
      const sibling = target ? undefined : inBatch.get(relation.certificateId);
      const targetPatient = target?.patientId ?? sibling?.content.patient.id;
      if (targetPatient !== undefined && targetPatient !== content.patient.id) {
        return { path: 'relation.certificateId', message: 'is a certificate of another patient' };
      }
      // Only a certificate that could count takes a counted one out of counting (as supersessionLinksFrom follows).
      if (!supersedes || !couldCount(content)) return undefined;
      const through = loopThrough(relation.certificateId, content.id, (id) => supersededBy(content.careGiver.id, id));
      if (through) {
        return {
          path: 'relation.certificateId',
          message:
            through.length === 0
              ? `${relation.certificateId} itself replaces or supplements this certificate: neither would count`
              : `${relation.certificateId} replaces or supplements this certificate through ${through.join(', ')}: none of them would count`,
        };
      }
      if (!stored.has(ownKey) && inBatch.get(content.id)?.index === i)
        batchLinks.set(content.id, relation.certificateId);
      return undefined;
    });
  }

  /**
   * Access, decided before validation for the whole request; an id that is no HSA-id at all is left to validation,
   * which answers it as that item's error (`"unit": {"id": "bogus"}` refused a whole batch with 403).
   */
  private writeScopeError(actor: Actor, scope: { careGiverId?: unknown; unitId?: unknown }): FieldError | undefined {
    const hsaId = (v: unknown): v is string => typeof v === 'string' && isHsaId(v);
    if (hsaId(scope.careGiverId) && scope.careGiverId !== actor.careGiverId) {
      return { path: 'careGiver.id', message: 'is not the care giver of the token' };
    }
    if (hsaId(scope.unitId) && !actor.units.includes(scope.unitId)) {
      return { path: 'unit.id', message: 'is not a unit in the token' };
    }
    return undefined;
  }

  /**
   * Inserts what is new with its details and names, and the audit events of what it created, in one statement (ON
   * CONFLICT DO NOTHING on (care giver, id), so concurrent posts of one certificate store it once), then settles supersession where a relation is
   * involved and bumps the units' case versions last. Without a replacement or supplement among the writes, the
   * insert bumps the versions itself: most groups of single posts are then one statement and the commit. A new
   * certificate that no relation touches is stored as inserted, so it is not read back; what already existed is (its
   * hash decides unchanged or conflict). `readBackAll` also returns the new rows as stored.
   *
   * Outside a transaction (`inTransaction` false, only for writes without relations) the insert commits on its own.
   * A new certificate that a relation stored earlier targets is then settled right after, and its unit's version
   * bumped again; until then, a few milliseconds, it counts beside the certificate that replaces it, as when the two
   * are posted at the same moment (see settleAfterCommit). The poster's answer is read after the settling. What the
   * insert created is put in `committed` at once, so a caller whose later step fails knows what is stored already.
   */
  private async store(
    tx: Executor,
    writes: readonly SingleWrite[],
    readBackAll: boolean,
    inTransaction: boolean,
    committed?: Map<string, CertificateContent>,
  ): Promise<{ outcome: StoreOutcome; found: Map<string, StoredCertificate>; created: CertificateContent[] }> {
    const rows: NewCertificate[] = writes.map(({ actor, content, canonical, hash }) => {
      const span = periodSpan(content.periods);
      return {
        content,
        contentJson: canonical,
        contentHash: hash,
        counts: countsFor({ ...content, revoked: false, supersededBy: null }),
        startDate: span.start,
        endDate: span.end,
        createdBy: actor.id,
        posterUnits: actor.units,
      };
    });
    // A replacement's target may be in another unit: then every unit is bumped at the end, in one ordered statement.
    const targetsOfAll = supersededTargets(writes.map((w) => w.content));
    const inserted = await insertCertificates(tx, rows, {
      audit: (only) =>
        this.audit.eventsInStatement(
          writes.map(({ actor, content: c }) => ({
            actor,
            entry: {
              action: 'create',
              resource: 'certificate',
              resourceId: c.id,
              unitId: c.unit.id,
              patientId: c.patient.id,
            },
          })),
          only,
        ),
      bumpVersions: targetsOfAll.length === 0,
    });
    const created = rows.filter((r) => inserted.has(keyOfCertificate(r.content))).map((r) => r.content);
    if (!inTransaction) for (const c of created) committed?.set(keyOfCertificate(c), c);
    // A new certificate may supersede a target (stored or in this group), or be the target of a relation stored
    // earlier; only those need settling. Most certificates have no relation at all.
    const settled = distinctKeys([
      ...created.filter((c) => inserted.get(keyOfCertificate(c))!.targeted).map(keyOfContent),
      ...supersededTargets(created),
    ]);
    if (settled.length > 0) {
      if (inTransaction) await recomputeSupersession(tx, settled);
      else await this.settle(settled);
    }
    const settledKeys = new Set(settled.map(keyString));
    const found = new Map<string, StoredCertificate>();
    const lookup: CertificateKey[] = [];
    for (const r of rows) {
      const key = keyOfCertificate(r.content);
      const isNew = inserted.get(key);
      if (isNew && !settledKeys.has(key)) {
        if (readBackAll) found.set(key, asInserted(r, isNew.createdAt));
      } else if (!isNew || readBackAll) lookup.push(keyOfContent(r.content));
    }
    for (const f of await findCertificates(tx, lookup)) found.set(keyOf(f.careGiverId, f.id), f);
    const outcome: StoreOutcome = new Map();
    for (const r of rows) {
      const key = keyOfCertificate(r.content);
      const isNew = inserted.has(key);
      outcome.set(key, {
        created: isNew,
        storedHash: isNew ? r.contentHash : (found.get(key)?.contentHash ?? ''),
      });
    }
    // Last, so the units' version rows stay locked only until the commit that follows.
    if (created.length > 0 && targetsOfAll.length > 0) {
      await bumpUnitCaseVersions(tx, [...created.map(keyOfContent), ...supersededTargets(created)]);
    }
    return { outcome, found, created };
  }
}

/** A new certificate as the insert stored it: nothing supersedes it and nothing has revoked it yet. */
function asInserted(row: NewCertificate, createdAt: Date): StoredCertificate {
  const { content } = row;
  return {
    id: content.id,
    careGiverId: content.careGiver.id,
    unitId: content.unit.id,
    patientId: content.patient.id,
    contentHash: row.contentHash,
    content,
    counts: row.counts,
    supersededBy: null,
    revokedAt: null,
    revokedBy: null,
    revokeReason: null,
    createdAt,
  };
}

/** A certificate to store, with who posted it and its content hash. */
interface SingleWrite {
  actor: Actor;
  content: CertificateContent;
  /** canonicalJson(content) */
  canonical: string;
  hash: string;
}

interface SingleOutcome {
  created: boolean;
  certificate: Certificate;
}

/**
 * The first write of each certificate (care giver and id); a later write of it is judged against what the first one
 * stored. Another care giver's write of the same id is another certificate.
 */
function firstOccurrences(writes: readonly SingleWrite[]): SingleWrite[] {
  const first = new Map<string, SingleWrite>();
  for (const w of writes) {
    const key = keyOfCertificate(w.content);
    if (!first.has(key)) first.set(key, w);
  }
  return [...first.values()];
}

function distinctKeys(keys: readonly CertificateKey[]): CertificateKey[] {
  const out = new Map<string, CertificateKey>();
  for (const k of keys) out.set(keyString(k), k);
  return [...out.values()];
}

/** The care giver and unit an item names, read before validation (either may be missing or malformed). */
function scopeOf(item: unknown): { careGiverId?: unknown; unitId?: unknown } {
  const i = item as { careGiver?: { id?: unknown }; unit?: { id?: unknown } } | null;
  if (!i || typeof i !== 'object') return {};
  const part = (o: unknown) => (o && typeof o === 'object' ? (o as { id?: unknown }).id : undefined);
  return { careGiverId: part(i.careGiver), unitId: part(i.unit) };
}

function readEntry(certificate: Certificate): AuditEntry {
  return {
    action: 'read',
    resource: 'certificate',
    resourceId: certificate.id,
    unitId: certificate.unit.id,
    patientId: certificate.patient.id,
  };
}

function conflict(id: string): Conflict {
  return new Conflict(`Certificate ${id} already exists with different content`, 'certificate-conflict', {
    certificateId: id,
  });
}

export function toCertificate(stored: StoredCertificate): Certificate {
  return {
    ...stored.content,
    revoked: stored.revokedAt
      ? {
          at: stored.revokedAt.toISOString(),
          by: stored.revokedBy ?? '',
          ...(stored.revokeReason ? { reason: stored.revokeReason } : {}),
        }
      : null,
    counts: stored.counts,
    createdAt: stored.createdAt.toISOString(),
  };
}

/**
 * Following what supersedes what from `from`: the certificates between it and `to` when the chain reaches `to` (a
 * link to `to` would close a loop), else undefined. A chain that loops without reaching `to` stops where it repeats.
 */
function loopThrough(from: string, to: string, next: (id: string) => string | undefined): string[] | undefined {
  const path: string[] = [];
  const seen = new Set<string>();
  for (let id: string | undefined = from; id !== undefined && !seen.has(id); id = next(id)) {
    if (id === to) return path.slice(1);
    seen.add(id);
    path.push(id);
  }
  return undefined;
}

/** An FK certificate that is neither a test nor infection control: one that counts unless revoked or superseded. */
function couldCount(c: CertificateContent): boolean {
  return (COUNTED_TYPES as readonly string[]).includes(c.type) && !c.test && !c.infectionControl;
}
