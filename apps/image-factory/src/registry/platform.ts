/** Platforms (`os/arch[/variant]`) and how an index entry is chosen for one, as containerd's platform matcher does. */
import type { Descriptor } from './manifest.js';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

const PART = /^[a-z0-9._-]+$/;

/** Parse `linux/amd64` or `linux/arm64/v8`; the error says what is wrong. */
export function parsePlatform(text: string): { ok: true; value: Platform } | { ok: false; error: string } {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PART.test(p))) {
    return { ok: false, error: `"${text}" is not a platform: expected os/arch or os/arch/variant, e.g. linux/arm64` };
  }
  const [os = '', architecture = '', variant] = parts;
  return { ok: true, value: variant === undefined ? { os, architecture } : { os, architecture, variant } };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, ...(platform.variant ? [platform.variant] : [])].join('/');
}

/** The variant an architecture means when none is written (arm64 is v8, arm is v7), as containerd normalises. */
function normalisedVariant(platform: Platform): string {
  if (platform.variant !== undefined && platform.variant !== '') return platform.variant;
  if (platform.architecture === 'arm64') return 'v8';
  if (platform.architecture === 'arm') return 'v7';
  return '';
}

export function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && normalisedVariant(a) === normalisedVariant(b);
}

/** Index entries that are images for a platform (attestations and other `unknown/unknown` entries left out). */
export function platformEntries(manifests: readonly Descriptor[]): { platform: Platform; descriptor: Descriptor }[] {
  const entries: { platform: Platform; descriptor: Descriptor }[] = [];
  for (const descriptor of manifests) {
    const platform = descriptor.platform;
    if (platform === undefined || platform.os === 'unknown' || platform.architecture === 'unknown') continue;
    entries.push({ platform, descriptor });
  }
  return entries;
}

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/**
 * The entry for `wanted`; without one, linux/amd64 and else the first platform entry. Undefined when `wanted` is
 * given and absent, or when the index lists no platform at all.
 */
export function choosePlatform<T extends { platform: Platform }>(
  entries: readonly T[],
  wanted?: Platform,
): T | undefined {
  if (wanted !== undefined) return entries.find((e) => samePlatform(e.platform, wanted));
  return entries.find((e) => samePlatform(e.platform, DEFAULT_PLATFORM)) ?? entries[0];
}
