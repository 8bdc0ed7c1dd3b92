/**
 * Text as staff read it on a screen. A name, a journal reference, a reason or a note that holds nothing that shows (a
 * zero-width space, a Hangul filler, combining accents alone) is stored as text and shown as nothing.
 */

/**
 * A character that shows: a letter, digit, punctuation or symbol, but none of the letters drawn blank (the Hangul
 * fillers, the Braille blank). Spaces, format characters (a zero-width space), combining marks with nothing to sit
 * on and variation selectors alone show as nothing.
 */
const SHOWN = /(?![\u115F\u1160\u2800\u3164\uFFA0])[\p{L}\p{N}\p{P}\p{S}]/u;

export function showsSomething(text: string): boolean {
  return SHOWN.test(text);
}
