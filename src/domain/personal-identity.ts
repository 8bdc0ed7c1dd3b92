import PersonnummerModule from 'personnummer';
import { daysBetween, isValidDate, type LocalDate } from './calendar.js';

// The package is CommonJS with `module.exports = Personnummer`; its types describe an ES default export.
const Personnummer = PersonnummerModule as unknown as typeof import('personnummer').default;

/** A patient's identity: personnummer or samordningsnummer, always stored as 12 digits YYYYMMDDNNNC. */
export interface PersonalIdentity {
  id: string;
  birthDate: LocalDate;
  gender: 'F' | 'M';
  coordinationNumber: boolean;
}

// The accepted input forms; the library also takes other spellings that the domain does not allow.
const INPUT_FORMS = /^(\d{8}-?\d{4}|\d{6}[-+]\d{4})$/;

/** Older than this on `today` is taken for a typo (the oldest Swede on record lived to 112). */
export const MAX_AGE_YEARS = 130;

/**
 * Parses and validates (real date, day + 60 for a samordningsnummer, Luhn check digit over YYMMDDNNN).
 * 10-digit input takes its century from the separator: '-' under 100 years old today, '+' 100 or older (with
 * `today`, on its full date; without, the library's reading by year).
 * Given `today`, a birth date after it, or an age over MAX_AGE_YEARS on it, is refused too: no one not yet born (or
 * 200 years old) is on sick leave, and such an age would show as 0 (or 200) on the overview.
 */
export function parsePersonalIdentity(input: string, today?: LocalDate): PersonalIdentity | undefined {
  if (!INPUT_FORMS.test(input)) return undefined;
  let identity: PersonalIdentity;
  try {
    const full = today && SHORT_FORM.test(input) ? withCentury(input, today) : input;
    const parsed = Personnummer.parse(full, { allowCoordinationNumber: true, allowInterimNumber: false });
    const id = parsed.format(true);
    identity = {
      id,
      birthDate: birthDateOf(id),
      gender: genderOf(id),
      coordinationNumber: parsed.isCoordinationNumber(),
    };
  } catch {
    return undefined;
  }
  if (today && (identity.birthDate > today || ageOn(identity.birthDate, today) > MAX_AGE_YEARS)) return undefined;
  return identity;
}

const SHORT_FORM = /^\d{6}[-+]\d{4}$/;

/**
 * Why `parsePersonalIdentity` refuses an input, for the error an integrator reads: its form, its check digit (the
 * Luhn digit over YYMMDDNNN: one mistyped digit), or its birth date (no such day, after today, over MAX_AGE_YEARS).
 * Undefined when it is accepted.
 */
export function identityFault(input: string, today: LocalDate): 'form' | 'check digit' | 'birth date' | undefined {
  if (!INPUT_FORMS.test(input)) return 'form';
  if (parsePersonalIdentity(input, today)) return undefined;
  const full = SHORT_FORM.test(input) ? withCentury(input, today) : input.replace('-', '');
  const day = Number(full.slice(6, 8));
  const date = `${full.slice(0, 4)}-${full.slice(4, 6)}-${String(day > 60 ? day - 60 : day).padStart(2, '0')}`;
  // A day that cannot be is named first: its check digit, computed over a mistyped date, says little.
  if (!isValidDate(date)) return 'birth date';
  return luhnHolds(full.slice(2)) ? 'birth date' : 'check digit';
}

function luhnHolds(tenDigits: string): boolean {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const d = Number(tenDigits[i]) * (i % 2 === 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return sum % 10 === 0;
}

/**
 * The 12-digit form of a 10-digit one, its century chosen on `today`'s full date: with '-' the latest birth date not
 * after today (under 100 years old), with '+' a hundred years before that. The library compares years only, so a
 * `-` number of someone born later in the year a century ago (261202-1234 on 2026-12-01: 99 years old) was read as
 * not yet born, and its `+` form was taken for them. A samordningsnummer's day is compared less its 60.
 */
function withCentury(input: string, today: LocalDate): string {
  const yy = Number(input.slice(0, 2));
  const day = Number(input.slice(4, 6));
  const monthDay = `${input.slice(2, 4)}-${String(day > 60 ? day - 60 : day).padStart(2, '0')}`;
  let year = Math.floor(Number(today.slice(0, 4)) / 100) * 100 + yy;
  if (year > Number(today.slice(0, 4)) || (year === Number(today.slice(0, 4)) && monthDay > today.slice(5)))
    year -= 100;
  if (input[6] === '+') year -= 100;
  return `${String(year).slice(0, 2)}${input.slice(0, 6)}${input.slice(7)}`;
}

/**
 * Digit runs that can be a personal identity number as people write one: 12 or 10 digits, the last four after an
 * optional separator (-, +, a space, _, . or :), digits neither before nor after.
 */
const CANDIDATES = /(?<!\d)(\d{8}|\d{6})([-+ _.:]?)(\d{4})(?!\d)/g;
/** Runs longer than any written form, in which a 12-digit number may still stand. */
const LONG_RUNS = /\d{13,}/g;
/** Groups of digits joined by single separators, e.g. 1912-1212-1212 or 12 12 12-1212 (see groupedIdentity). */
const GROUPED = /(?<!\d)\d+(?:[-+ _.:]\d+)+/g;
/** Where, in a number's 12- or 10-digit form, a writer may break it: between year, month, day and the last four. */
const BREAKS_12 = new Set([2, 4, 6, 8]);
const BREAKS_10 = new Set([2, 4, 6]);

/**
 * Whether digit groups joined by separators spell a number with its breaks between the parts of its date and the
 * last four (1912-1212-1212, 1912 12 12-1212, 12 12 12-1212): a window of whole groups of 12 digits, or of 10 whose
 * last four stand alone ('+' before them for 100 or older).
 */
function groupedIdentity(text: string): boolean {
  // The text is digits and single separators only, so the split alternates: group, separator, group, …
  const parts = text.split(/([-+ _.:])/);
  const groups = parts.filter((_, i) => i % 2 === 0);
  const separators = parts.filter((_, i) => i % 2 === 1);
  for (let first = 0; first < groups.length; first++) {
    let digits = '';
    const breaks: number[] = [];
    for (let last = first; last < groups.length && digits.length < 12; last++) {
      if (last > first) breaks.push(digits.length);
      digits += groups[last];
      if (last === first) continue;
      const allowed = digits.length === 12 ? BREAKS_12 : digits.length === 10 ? BREAKS_10 : undefined;
      if (!allowed || !breaks.every((b) => allowed.has(b))) continue;
      if (digits.length === 12 && parsePersonalIdentity(digits)) return true;
      if (digits.length === 10 && breaks.at(-1) === 6) {
        const century = separators[last - 1] === '+' ? '+' : '-';
        if (parsePersonalIdentity(`${digits.slice(0, 6)}${century}${digits.slice(6)}`)) return true;
      }
    }
  }
  return false;
}

/**
 * Whether `text` holds a valid personnummer or samordningsnummer: in one of its written forms (see CANDIDATES), in
 * groups of digits broken where a date is (see groupedIdentity), or in 12 digits from a century (19, 20) inside a
 * longer run of digits. Ten digits inside a longer run are not looked for: about one ten-digit window in a hundred
 * and forty is a valid number by chance, so an issuing system's long numeric ids would be refused at random, where a
 * twelve-digit window from a century is one in several thousand.
 */
export function containsPersonalIdentity(text: string): boolean {
  for (const m of text.matchAll(CANDIDATES)) {
    const [, date, separator, last] = m as unknown as [string, string, string, string];
    const written = date.length === 6 ? `${date}${separator === '+' ? '+' : '-'}${last}` : `${date}${last}`;
    if (parsePersonalIdentity(written)) return true;
  }
  for (const [grouped] of text.matchAll(GROUPED)) if (groupedIdentity(grouped)) return true;
  for (const [run] of text.matchAll(LONG_RUNS)) {
    for (let i = 0; i + 12 <= run.length; i++) {
      if ((run.startsWith('19', i) || run.startsWith('20', i)) && parsePersonalIdentity(run.slice(i, i + 12))) {
        return true;
      }
    }
  }
  return false;
}

export function isPersonalIdentity(input: string): boolean {
  return parsePersonalIdentity(input) !== undefined;
}

/** The birth date in a stored 12-digit id; a samordningsnummer carries the day plus 60. */
export function birthDateOf(id: string): LocalDate {
  const day = Number(id.slice(6, 8));
  return `${id.slice(0, 4)}-${id.slice(4, 6)}-${String(day > 60 ? day - 60 : day).padStart(2, '0')}`;
}

/** Second-to-last digit: odd is male, even is female. */
export function genderOf(id: string): 'F' | 'M' {
  return Number(id[10]) % 2 === 1 ? 'M' : 'F';
}

/** Age in whole years on a date; a person born on 29 February becomes a year older on 1 March in common years. */
export function ageOn(birthDate: LocalDate, on: LocalDate): number {
  let age = Number(on.slice(0, 4)) - Number(birthDate.slice(0, 4));
  if (on.slice(5) < birthDate.slice(5)) age -= 1;
  return daysBetween(birthDate, on) < 0 ? 0 : age;
}
