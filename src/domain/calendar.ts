/**
 * Calendar days as 'YYYY-MM-DD' strings and Swedish local time. Days are counted in UTC arithmetic on the date alone,
 * so no daylight-saving shift can move a day.
 */
export type LocalDate = string;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;
export const SWEDISH_TIME_ZONE = 'Europe/Stockholm';

export function isValidDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
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
