/**
 * Ordering by UTF-16 code units, the same on every machine and locale (`localeCompare` sorts differently under
 * `da_DK` than under `C`, which would turn the same inputs into a GitOps diff).
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
