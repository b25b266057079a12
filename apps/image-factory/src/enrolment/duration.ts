/** Durations in images.yaml: `0`, `90s`, `30m`, `12h`, `7d`, `2w` (one number and one unit). */

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds in a delay such as `7d`, or null when it is not one. */
export function parseDelay(text: string): number | null {
  if (text === '0') return 0;
  const match = /^([0-9]{1,6})([smhdw])$/.exec(text);
  if (match === null) return null;
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}

/** Milliseconds in a flag value such as `500ms`, `30s`, `8m` or `1h`, or null when it is not one. */
export function parseMilliseconds(text: string): number | null {
  const match = /^([0-9]{1,7})(ms|s|m|h)$/.exec(text);
  if (match === null) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms'] ?? 1;
  return Number(match[1]) * unit;
}
