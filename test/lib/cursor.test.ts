import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PageCursors } from '../../src/lib/cursor.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const Position = z.object({ p: z.string(), n: z.number() });

describe('PageCursors', () => {
  it('opens what it sealed, also in another instance with the same secret (another process)', () => {
    const cursor = new PageCursors(SECRET).seal({ p: '191212121212', n: 3 });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(new PageCursors(SECRET).open(cursor, Position)).toEqual({ p: '191212121212', n: 3 });
  });

  it('shows nothing of its content and differs each time', () => {
    const cursors = new PageCursors(SECRET);
    const a = cursors.seal({ p: '191212121212', n: 3 });
    const b = cursors.seal({ p: '191212121212', n: 3 });
    expect(a).not.toBe(b);
    for (const text of [a, Buffer.from(a, 'base64url').toString('latin1')]) expect(text).not.toContain('1212');
  });

  it('refuses a cursor of another secret, an altered one, a plain one and one of another shape', () => {
    const cursors = new PageCursors(SECRET);
    const sealed = cursors.seal({ p: 'x', n: 1 });
    expect(new PageCursors(`${SECRET}-other`).open(sealed, Position)).toBeUndefined();
    const bytes = Buffer.from(sealed, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const altered = Buffer.from(bytes);
      altered[i]! ^= 0x01;
      expect(cursors.open(altered.toString('base64url'), Position), `byte ${i}`).toBeUndefined();
    }
    expect(cursors.open(Buffer.from(JSON.stringify({ p: 'x', n: 1 })).toString('base64url'), Position)).toBeUndefined();
    expect(cursors.open('', Position)).toBeUndefined();
    expect(cursors.open(cursors.seal({ p: 1, n: 'x' }), Position)).toBeUndefined();
  });
});

describe('PageCursors bound to a query', () => {
  const cursors = new PageCursors(SECRET);
  it('opens a cursor only with the query it was made for (filters in any order; absent ones left out)', () => {
    const query = { unitId: 'U1', kind: 'personal_support', status: undefined };
    const cursor = cursors.sealFor(query, { p: 'x', n: 1 });
    expect(cursors.openFor(cursor, { kind: 'personal_support', unitId: 'U1' }, Position)).toEqual({ p: 'x', n: 1 });
    expect(cursors.openFor(cursor, { unitId: 'U2', kind: 'personal_support' }, Position)).toBeUndefined();
    expect(cursors.openFor(cursor, { unitId: 'U1' }, Position)).toBeUndefined();
    // A cursor made without a query is not one of this kind.
    expect(cursors.openFor(cursors.seal({ p: 'x', n: 1 }), query, Position)).toBeUndefined();
  });
});
