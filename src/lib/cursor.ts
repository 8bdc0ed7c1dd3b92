import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Whom a page cursor is for: bound into it (with sealFor), another caller's request refuses it. A doctor's list of a
 * unit is not a coordinator's (a doctor sees only their cases), and a cursor that leaked pages nobody else's list.
 */
export function issuedTo(actor: { id: string; role: string; careGiverId: string }) {
  return { caller: actor.id, role: actor.role, careGiverId: actor.careGiverId };
}

/**
 * Page cursors, sealed with AES-256-GCM. A cursor travels in a URL (`?cursor=`) and the overview's holds the last
 * patient of its page (the keyset's tie-break), so a readable cursor would put a personal identity number into
 * proxies' logs and browser histories. Sealed, a cursor shows nothing, and one that was altered or made up is refused
 * before its content is looked at. The key is derived from a secret every process shares, so any process opens a
 * cursor another one made.
 */
export class PageCursors {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, '', 'samverkan page cursor v1', 32));
  }

  seal(value: unknown): string {
    // A fresh IV each time: the same page position never gives the same cursor twice.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The cursor's content, or undefined for one this service did not make (callers answer 400). */
  open<T>(cursor: string, schema: z.ZodType<T>): T | undefined {
    const sealed = Buffer.from(cursor, 'base64url');
    if (sealed.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      const parsed = schema.safeParse(JSON.parse(text.toString('utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A cursor bound to the query it pages (its filters, not its page size): `openFor` with another query refuses it,
   * so a next page is never one of a different list starting mid-way.
   */
  sealFor(query: Record<string, unknown>, value: unknown): string {
    return this.seal({ q: fingerprint(query), v: value });
  }

  /** The content of a cursor `sealFor` made for this same query, or undefined (callers answer 400). */
  openFor<T>(cursor: string, query: Record<string, unknown>, schema: z.ZodType<T>): T | undefined {
    const opened = this.open(cursor, z.object({ q: z.string(), v: schema }));
    return opened && opened.q === fingerprint(query) ? (opened.v as T) : undefined;
  }
}

/** The query's filters in a canonical order (absent ones left out), hashed. */
function fingerprint(query: Record<string, unknown>): string {
  const given = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(given)).digest('base64url').slice(0, 16);
}
