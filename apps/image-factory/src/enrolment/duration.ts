/** Durations in images.yaml: `0`, `90s`, `30m`, `12h`, `7d`, `2w` (one number and one unit). */

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds in a delay such as `7d`, or null when it is not one. */
export function parseDelay(text: string): number | null {
  if (text === '0') return 0;
  const match = /^([0-9]{1,6})([smhdw])$/.exec(text);
  if (match === null) return null;
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}

/** A Kubernetes-style duration (`5m0s`, `1h`, `30m`), as Kargo's Warehouse `interval` takes it. */
export function isKubernetesDuration(text: string): boolean {
  return /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(text);
}
