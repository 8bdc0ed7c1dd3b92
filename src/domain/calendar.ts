/**
 * Calendar days as 'YYYY-MM-DD' strings and Swedish local time. Days are counted in UTC arithmetic on the date alone,
 * so no daylight-saving shift can move a day.
 */
export type LocalDate = string;

const MS_PER_DAY = 86_400_000;
export const SWEDISH_TIME_ZONE = 'Europe/Stockholm';

/** The value of `length` ASCII digits of `text` from `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A real calendar day written YYYY-MM-DD (proleptic Gregorian, leap days included). Parsed by hand: it runs for every
 * date of every certificate, several times per period, and a regular expression plus a Date was most of a batch's
 * validation time.
 */
export function isValidDate(value: string): boolean {
  if (value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return false;
  const y = digits(value, 0, 4);
  const m = digits(value, 5, 2);
  const d = digits(value, 8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1) return false;
  const leap = m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= DAYS_IN_MONTH[m - 1]! + (leap ? 1 : 0);
}

/** The dates the service accepts anywhere: wide enough for any patient and any certificate, narrow enough for sense. */
export const EARLIEST_DATE: LocalDate = '1900-01-01';
export const LATEST_DATE: LocalDate = '2199-12-31';

export function isSupportedDate(value: string): boolean {
  return isValidDate(value) && value >= EARLIEST_DATE && value <= LATEST_DATE;
}

/** Days since 1970-01-01 for a valid date. */
export function toEpochDay(date: LocalDate): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY);
}

export function fromEpochDay(day: number): LocalDate {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return fromEpochDay(toEpochDay(date) + days);
}

/** `to - from` in whole days. */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return toEpochDay(to) - toEpochDay(from);
}

/** Days in the inclusive range, e.g. a period from the 1st to the 1st is one day. */
export function inclusiveDays(start: LocalDate, end: LocalDate): number {
  return daysBetween(start, end) + 1;
}

const partsFormatter = new Intl.DateTimeFormat('en-GB', {
  timeZone: SWEDISH_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

function stockholmParts(instant: Date): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of partsFormatter.formatToParts(instant)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** Milliseconds that Swedish local time is ahead of UTC at `instant` (one or two hours). */
function stockholmOffsetMs(instant: Date): number {
  const p = stockholmParts(instant);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The Swedish calendar day of an instant. */
export function stockholmDate(instant: Date = new Date()): LocalDate {
  const p = stockholmParts(instant);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

let todayMinute = Number.NaN;
let todayDate = '';
/**
 * Today in Sweden, read once a minute: Swedish midnight falls on a whole UTC minute (the offset is whole hours), so
 * this is exact, and cheap enough to call for every patient id of a batch.
 */
export function stockholmToday(nowMs: number = Date.now()): LocalDate {
  const minute = Math.floor(nowMs / 60_000);
  if (minute !== todayMinute) {
    todayDate = stockholmDate(new Date(nowMs));
    todayMinute = minute;
  }
  return todayDate;
}

/**
 * A Swedish wall-clock time ('YYYY-MM-DDTHH:mm[:ss[.SSS]]') as an instant. In the autumn hour that occurs twice
 * the earlier one is taken; a time skipped in spring moves forward an hour, as clocks do.
 */
export function stockholmLocalToInstant(local: string): Date {
  const asUtc = Date.parse(`${local}Z`);
  // Swedish time is UTC+2 (summer) or UTC+1 (winter): the instant is whichever of the two reads back as `local`.
  const readsBack = [2, 1]
    .map((h) => asUtc - h * 3_600_000)
    .filter((t) => stockholmOffsetMs(new Date(t)) === asUtc - t);
  return new Date(readsBack.length > 0 ? Math.min(...readsBack) : asUtc - 3_600_000);
}

/** Midnight at the start of a Swedish calendar day, as an instant. */
export function stockholmDayStart(date: LocalDate): Date {
  return stockholmLocalToInstant(`${date}T00:00:00`);
}
