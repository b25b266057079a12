/**
 * Time as data (one module, every caller): the one format times have in state and JSON (`YYYY-MM-DDTHH:MM:SSZ`,
 * UTC, whole seconds), a strict RFC 3339 reader that refuses impossible calendar dates (`2026-02-30`) and years
 * past 9999 (which `toISOString` writes as `+010000-…` and no reader accepts back), and comparisons as instants,
 * never as text.
 */

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;

/**
 * How far another server's clock (a registry's, a forge's) may differ from ours: a release time up to this far
 * ahead is still credible, and a run is looked for from this long before the claim that sent it.
 */
export const CLOCK_SKEW_SECONDS = 300;

/** The latest instant a time may name: the last second of year 9999 (`toISOString` is 4-digit up to here). */
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
/** The earliest: year 0000 is not a year a registry or clock means (Date.UTC would read year 1 as 1901). */
const EARLIEST_MS = new Date(0).setUTCFullYear(1, 0, 1);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** A time in state: `YYYY-MM-DDTHH:MM:SSZ` (whole seconds, UTC). */
export const INSTANT_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$';

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Milliseconds since the epoch of an RFC 3339 time, or an error naming what is wrong. Real calendar dates only
 * (no 2026-02-30, no 24:00:00, no leap second), offsets up to ±23:59, years 0001–9999.
 */
export function parseTime(text: string): { ok: true; ms: number } | { ok: false; error: string } {
  const m = RFC3339.exec(text);
  if (m === null) return { ok: false, error: `"${text}" is not an RFC 3339 time (2026-12-01T00:00:00Z)` };
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month))
    return { ok: false, error: `"${text}" is not a calendar date` };
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, error: `"${text}" is not a time of day` };
  const offsetHours = m[10] === undefined ? 0 : Number(m[10]);
  const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
  if (offsetHours > 23 || offsetMinutes > 59) return { ok: false, error: `"${text}" has an impossible offset` };
  const sign = m[9] === '-' ? -1 : 1;
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const local = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
  // Date.UTC maps years 0–99 to 1900–1999: set the year explicitly.
  const date = new Date(local);
  date.setUTCFullYear(year);
  const ms = date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  if (ms < EARLIEST_MS || ms > LATEST_MS) return { ok: false, error: `"${text}" is outside the years 0001–9999` };
  return { ok: true, ms };
}

/** Whether `text` is a time as state writes it (the format, and a real calendar instant). */
export function isInstant(text: string): boolean {
  return new RegExp(INSTANT_PATTERN).test(text) && parseTime(text).ok;
}

/** The state form of an instant: `YYYY-MM-DDTHH:MM:SSZ`, the fraction dropped; clamped to the years 0001–9999. */
export function formatInstant(at: Date | number): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  const clamped = Math.min(Math.max(ms, EARLIEST_MS), LATEST_MS);
  return `${new Date(clamped).toISOString().slice(0, 19)}Z`;
}

/** Milliseconds of a time already known to be valid (state, checked by its schema); NaN otherwise. */
export function instantMs(text: string): number {
  const parsed = parseTime(text);
  return parsed.ok ? parsed.ms : Number.NaN;
}

/** `a` compared with `b` as instants: negative when a is earlier, 0 when the same second, positive when later. */
export function compareInstants(a: string, b: string): number {
  return Math.sign(instantMs(a) - instantMs(b));
}

/** The earlier of two instants (the first when equal). */
export const earlierOf = (a: string, b: string): string => (compareInstants(a, b) <= 0 ? a : b);
/** The later of two instants (the first when equal). */
export const laterOf = (a: string, b: string): string => (compareInstants(a, b) >= 0 ? a : b);

/** `at` plus `seconds`, in the state form. */
export function addSeconds(at: string, seconds: number): string {
  return formatInstant(instantMs(at) + seconds * 1000);
}
