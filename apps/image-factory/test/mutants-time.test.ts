/**
 * Time as data (docs/rebuilds.md "Time is data"; util/time.ts's contract): one state form `YYYY-MM-DDTHH:MM:SSZ`
 * (UTC, whole seconds), a strict RFC 3339 reader that refuses what is not a real calendar instant of the years
 * 0001–9999, and comparison as instants, never as text. Written from that rule, to pin what the mutation run found
 * unpinned (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import {
  addSeconds,
  compareInstants,
  DAY_MS,
  earlierOf,
  formatInstant,
  INSTANT_PATTERN,
  instantMs,
  isInstant,
  laterOf,
  parseTime,
} from '../src/util/time.js';

const ms = (text: string) => {
  const parsed = parseTime(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.ms;
};

describe('parseTime reads RFC 3339', () => {
  it.each([
    ['2026-12-01T00:00:00Z', Date.UTC(2026, 11, 1)],
    ['2026-12-01t00:00:00z', Date.UTC(2026, 11, 1)],
    ['2026-12-01T10:20:30Z', Date.UTC(2026, 11, 1, 10, 20, 30)],
    ['2026-12-01T01:00:00+01:00', Date.UTC(2026, 11, 1)],
    ['2026-11-30T23:30:00-00:30', Date.UTC(2026, 11, 1)],
    ['2026-12-01T05:45:00+05:45', Date.UTC(2026, 11, 1)],
    ['2026-12-01T23:59:00+23:59', Date.UTC(2026, 11, 1)],
    ['2026-12-01T00:00:00.5Z', Date.UTC(2026, 11, 1, 0, 0, 0, 500)],
    ['2026-12-01T00:00:00.123456789Z', Date.UTC(2026, 11, 1, 0, 0, 0, 123)],
    ['2026-12-01T00:00:00.999Z', Date.UTC(2026, 11, 1, 0, 0, 0, 999)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['2026-01-31T00:00:00Z', Date.UTC(2026, 0, 31)],
    ['2026-12-31T23:59:59Z', Date.UTC(2026, 11, 31, 23, 59, 59)],
    ['2026-04-30T00:00:00Z', Date.UTC(2026, 3, 30)],
    ['1970-01-01T00:00:00Z', 0],
    ['9999-12-31T23:59:59Z', Date.UTC(9999, 11, 31, 23, 59, 59)],
  ])('%s is the instant %d', (text, expected) => {
    expect(parseTime(text)).toEqual({ ok: true, ms: expected });
  });

  it('reads years 0001–0099 as themselves, not as 1900–1999, and 1900 as a year like any other', () => {
    const year50 = new Date(0);
    year50.setUTCFullYear(50, 5, 15);
    expect(ms('0050-06-15T00:00:00Z')).toBe(year50.getTime());
    const year1 = new Date(0);
    year1.setUTCFullYear(1, 0, 1);
    expect(ms('0001-01-01T00:00:00Z')).toBe(year1.getTime());
    expect(ms('1900-06-01T00:00:00Z')).toBe(Date.UTC(1900, 5, 1));
  });

  it.each([
    ['2026-02-29T00:00:00Z', 'not a leap year'],
    ['2100-02-29T00:00:00Z', 'a century that is not a leap year'],
    ['2026-02-30T00:00:00Z', 'February has no 30th'],
    ['2026-04-31T00:00:00Z', 'April has 30 days'],
    ['2026-13-01T00:00:00Z', 'no 13th month'],
    ['2026-00-10T00:00:00Z', 'no month 0'],
    ['2026-12-00T00:00:00Z', 'no day 0'],
    ['2026-12-32T00:00:00Z', 'no 32nd'],
    ['2026-12-01T24:00:00Z', 'no 24:00:00'],
    ['2026-12-01T23:60:00Z', 'no minute 60'],
    ['2026-12-31T23:59:60Z', 'no leap second'],
    ['2026-12-01T00:00:00+24:00', 'an offset of 24 hours'],
    ['2026-12-01T00:00:00+01:60', 'an offset minute of 60'],
    ['0000-12-31T00:00:00Z', 'year 0000'],
    ['0001-01-01T00:30:00+01:00', 'an instant before the year 0001'],
    ['9999-12-31T23:30:00-01:00', 'an instant after the year 9999'],
    ['2026-12-01 00:00:00Z', 'a space for T'],
    ['2026-12-01T00:00:00', 'no offset'],
    ['2026-12-01T00:00Z', 'no seconds'],
    ['2026-12-01T00:00:00.Z', 'an empty fraction'],
    ['2026-12-01T00:00:00.1234567890Z', 'a fraction of ten digits'],
    ['2026-12-01T00:00:00+0100', 'an offset without a colon'],
    ['x2026-12-01T00:00:00Z', 'text before'],
    ['2026-12-01T00:00:00Zx', 'text after'],
    ['+12026-12-01T00:00:00Z', 'a five-digit year'],
    ['', 'nothing'],
  ])('refuses %s (%s), naming the text', (text) => {
    const parsed = parseTime(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(`"${text}"`);
  });

  it('says which part is wrong', () => {
    const error = (text: string) => {
      const parsed = parseTime(text);
      return parsed.ok ? '' : parsed.error;
    };
    expect(error('soon')).toMatch(/not an RFC 3339 time/);
    expect(error('2026-02-30T00:00:00Z')).toMatch(/not a calendar date/);
    expect(error('2026-12-01T24:00:00Z')).toMatch(/not a time of day/);
    expect(error('2026-12-01T00:00:00+24:00')).toMatch(/offset/);
    expect(error('0000-12-31T00:00:00Z')).toMatch(/0001–9999/);
  });
});

describe('isInstant: the state form only, and a real instant', () => {
  it.each([
    ['2026-12-01T00:00:00Z', true],
    ['9999-12-31T23:59:59Z', true],
    ['2026-12-01t00:00:00z', false],
    ['2026-12-01T00:00:00.000Z', false],
    ['2026-12-01T00:00:00+00:00', false],
    ['2026-02-30T00:00:00Z', false],
    ['2026-12-01T24:00:00Z', false],
    ['0000-01-01T00:00:00Z', false],
    [' 2026-12-01T00:00:00Z', false],
    ['2026-12-01T00:00:00Z ', false],
  ])('%s → %s', (text, expected) => {
    expect(isInstant(text)).toBe(expected);
  });

  it('the schema pattern is the state form, anchored', () => {
    const pattern = new RegExp(INSTANT_PATTERN);
    expect(pattern.test('2026-12-01T00:00:00Z')).toBe(true);
    expect(pattern.test('a2026-12-01T00:00:00Z')).toBe(false);
    expect(pattern.test('2026-12-01T00:00:00Zb')).toBe(false);
    expect(pattern.test('2026-12-01T00:00:00.1Z')).toBe(false);
  });
});

describe('formatInstant: the state form', () => {
  it('writes UTC whole seconds, dropping (not rounding) the fraction', () => {
    expect(formatInstant(Date.UTC(2026, 11, 1, 10, 20, 30, 999))).toBe('2026-12-01T10:20:30Z');
    expect(formatInstant(new Date(Date.UTC(2026, 11, 1, 10, 20, 30)))).toBe('2026-12-01T10:20:30Z');
  });

  it('clamps to the years 0001–9999, so that what it writes can be read back', () => {
    expect(formatInstant(Date.UTC(10_000, 0, 1))).toBe('9999-12-31T23:59:59Z');
    expect(formatInstant(8.64e15)).toBe('9999-12-31T23:59:59Z');
    expect(formatInstant(Date.UTC(9999, 11, 31, 23, 59, 59))).toBe('9999-12-31T23:59:59Z');
    expect(formatInstant(-8.64e15)).toBe('0001-01-01T00:00:00Z');
    expect(isInstant(formatInstant(Date.UTC(10_000, 0, 1)))).toBe(true);
    expect(isInstant(formatInstant(-8.64e15))).toBe(true);
  });

  it('round-trips through parseTime', () => {
    for (const text of [
      '0001-01-01T00:00:00Z',
      '1970-01-01T00:00:00Z',
      '1999-12-31T23:59:59Z',
      '2026-12-01T00:00:00Z',
    ]) {
      expect(formatInstant(ms(text))).toBe(text);
    }
  });
});

describe('comparisons are between instants, not texts', () => {
  it('orders by the instant a text names', () => {
    expect(compareInstants('2026-12-01T00:00:00Z', '2026-12-01T00:00:01Z')).toBe(-1);
    expect(compareInstants('2026-12-01T00:00:01Z', '2026-12-01T00:00:00Z')).toBe(1);
    expect(compareInstants('2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')).toBe(0);
    // Text order says the opposite of time order here.
    expect(compareInstants('2026-12-01T00:30:00+01:00', '2026-11-30T23:45:00Z')).toBe(-1);
    expect(compareInstants('2026-12-01T01:00:00+01:00', '2026-12-01T00:00:00Z')).toBe(0);
    // A second's fraction is below what state records: the same second compares equal in state form.
    expect(compareInstants('2026-12-01T00:00:00.900Z', '2026-12-01T00:00:00Z')).toBe(1);
  });

  it('earlierOf and laterOf pick by instant, the first when equal', () => {
    const a = '2026-12-01T01:00:00+01:00';
    const b = '2026-12-01T00:00:00Z';
    const later = '2026-12-01T00:00:01Z';
    expect(earlierOf(a, later)).toBe(a);
    expect(earlierOf(later, a)).toBe(a);
    expect(laterOf(a, later)).toBe(later);
    expect(laterOf(later, a)).toBe(later);
    expect(earlierOf(a, b)).toBe(a);
    expect(earlierOf(b, a)).toBe(b);
    expect(laterOf(a, b)).toBe(a);
    expect(laterOf(b, a)).toBe(b);
  });

  it('instantMs is NaN for what is not a time, so nothing compares as if it were one', () => {
    expect(instantMs('2026-12-01T00:00:00Z')).toBe(Date.UTC(2026, 11, 1));
    expect(instantMs('never')).toBeNaN();
    expect(instantMs('2026-02-30T00:00:00Z')).toBeNaN();
  });

  it('addSeconds moves an instant and writes the state form', () => {
    expect(addSeconds('2026-12-01T00:00:00Z', 3600)).toBe('2026-12-01T01:00:00Z');
    expect(addSeconds('2026-12-01T00:00:00Z', -1)).toBe('2026-11-30T23:59:59Z');
    expect(addSeconds('2026-12-01T01:00:00+01:00', DAY_MS / 1000)).toBe('2026-12-02T00:00:00Z');
  });

  it('a day is 86 400 000 ms', () => {
    expect(DAY_MS).toBe(24 * 60 * 60 * 1000);
  });
});
