import { describe, expect, it } from 'vitest';
import { duplicateKeyIn } from '../../src/plugins/json-body.js';

describe('duplicateKeyIn', () => {
  it('names the path of the first key given twice in one object, arrays included', () => {
    expect(duplicateKeyIn('{"certificates":[{"id":"a"},{"id":"b","id":"c"}]}')).toEqual({
      path: 'certificates.1.id',
      message: 'is given twice',
    });
    expect(duplicateKeyIn('{"a":1,"b":{"c":[1,{"d":1,"d":2}]}}')?.path).toBe('b.c.1.d');
  });

  it('compares keys decoded and is not fooled by quotes, braces or commas inside strings', () => {
    expect(duplicateKeyIn('{"a":"x\\"y","\\u0061":2}')?.path).toBe('a');
    expect(duplicateKeyIn('{"a":"{\\"b\\":1,\\"b\\":2}","b":",{[","c":"\\\\"}')).toBeUndefined();
  });

  it('allows the same key in different objects and repeated values', () => {
    expect(duplicateKeyIn('{"a":["a","a"],"b":{"a":1},"c":{"a":{"a":2}}}')).toBeUndefined();
    expect(duplicateKeyIn('[{"id":1},{"id":1}]')).toBeUndefined();
    expect(duplicateKeyIn('"just a string"')).toBeUndefined();
  });
});
