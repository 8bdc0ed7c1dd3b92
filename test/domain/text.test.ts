import { describe, expect, it } from 'vitest';
import { showsSomething } from '../../src/domain/text.js';

describe('text that shows something', () => {
  it('letters of any script, digits, punctuation and symbols show', () => {
    for (const text of ['Åsa', 'O\u0308', '김민준', 'علي', '7', '-', '€', ' x '])
      expect(showsSomething(text), text).toBe(true);
  });
  it('white space, format characters, lone combining marks and letters drawn blank do not', () => {
    for (const text of [
      '',
      '   ',
      '\u200b',
      '\u3164',
      '\u115f\u1160',
      '\uffa0',
      '\u2800',
      '\ufe0f',
      '\u0301\u0301',
      '\u3000',
    ]) {
      expect(showsSomething(text), JSON.stringify(text)).toBe(false);
    }
  });
});
