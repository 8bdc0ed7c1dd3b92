import { describe, expect, it } from 'vitest';
import { CERTIFICATE_EXAMPLE, CertificateInput } from '../../../src/modules/certificates/schemas.js';
import { canonicalJson, contentHash } from '../../../src/modules/certificates/service.js';

describe('content hash', () => {
  it('is the hash stored rows carry (an identical re-post of an old certificate must match it)', () => {
    // Pinned when the text was built with Object.entries, filter, sort and join: any change breaks idempotency.
    expect(contentHash(CertificateInput.parse(CERTIFICATE_EXAMPLE))).toBe(
      '181f5134a03d5eb925e6399f0559187a7322ca64044ef441bc90d902473f64fc',
    );
    const related = {
      ...CERTIFICATE_EXAMPLE,
      relation: { kind: 'replaces', certificateId: 'c-1' },
      infectionControl: true,
    };
    expect(contentHash(CertificateInput.parse(related))).toBe(
      'f1a7ca852f2539de83a557bc5e98225c530e981f56629ff5f1d774580a708edc',
    );
  });

  it('sorts keys at every level by UTF-16 code units and leaves out undefined values', () => {
    expect(canonicalJson({ b: 1, a: [{ z: null, y: 'å' }, 2], c: undefined, B: true, ä: 0 })).toBe(
      '{"B":true,"a":[{"y":"å","z":null},2],"b":1,"ä":0}',
    );
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson({ a: { b: { c: 'x"y' } } })).toBe('{"a":{"b":{"c":"x\\"y"}}}');
  });

  it('writes every string and key as JSON.stringify does, escapes included', () => {
    const reference = (value: unknown): string => {
      if (typeof value !== 'object' || value === null) return JSON.stringify(value);
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
    };
    const strings = [
      '',
      'plain',
      'x"y',
      'back\\slash',
      'tab\there',
      '\u0000',
      '\u001f',
      '\u007f',
      'å ä ö',
      '\u2028',
      '\ud83d\ude00',
      'lone \ud800',
      'lone \udfff',
      '/',
    ];
    for (const s of strings) {
      expect(canonicalJson(s)).toBe(JSON.stringify(s));
      const value = { [s]: [s, { [`${s}k`]: s, a: 1.5, n: null }], z: false, [`!${s}`]: -0 };
      expect(canonicalJson(value)).toBe(reference(value));
      expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(reference(value)));
    }
  });
});
