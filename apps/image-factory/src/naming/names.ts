/**
 * Deterministic DNS-1123 names for state files and Kubernetes objects:
 * `node:22-bookworm-slim` → `node-22-bookworm-slim`, `ghcr.io/acme/base:1.4` → `ghcr-io-acme-base-1-4`.
 */
import { createHash } from 'node:crypto';
import type { NormalisedReference } from '../reference/normalise.js';

/** The longest DNS-1123 label. */
export const MAX_NAME_LENGTH = 63;
const HASH_LENGTH = 8;

/** A short, stable hash of a text. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

/** Lowercase, every run of characters outside [a-z0-9] becomes one "-", no leading or trailing "-". */
export function toDnsLabelChars(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Fit a label into 63 characters, ending in a hash of `key` when it had to be shortened. */
export function fitDnsLabel(label: string, key: string): string {
  if (label.length > 0 && label.length <= MAX_NAME_LENGTH) return label;
  const room = MAX_NAME_LENGTH - HASH_LENGTH - 1;
  const head = label.slice(0, room).replace(/-+$/, '');
  return head.length > 0 ? `${head}-${shortHash(key)}` : `x-${shortHash(key)}`;
}

/** The readable part of a base image's name, before collision handling. */
export function baseNameOf(ref: NormalisedReference): string {
  const repository = ref.registry === 'docker.io' ? ref.repository.replace(/^library\//, '') : ref.repository;
  const parts = ref.registry === 'docker.io' ? [repository] : [ref.registry, repository];
  if (ref.tag !== null) parts.push(ref.tag);
  if (ref.digest !== null) parts.push(ref.digest.replace(':', '-').slice(0, 'sha256-'.length + 12));
  return toDnsLabelChars(parts.join('-'));
}

/**
 * Names for a set of base-image references. A name, once written, is kept (`kept`: reference → name from the
 * state): enrolling another image never renames an existing state file or Warehouse, which Kargo would delete and
 * recreate. A new reference gets its readable name unless that is taken (by a kept name, a `reserved` name such as
 * an enrolled image's, or another new reference wanting the same one) or too long; then it ends in a hash of its
 * own full reference. Deterministic for given inputs, and independent of their order.
 */
export function assignBaseImageNames(
  refs: readonly NormalisedReference[],
  kept: ReadonlyMap<string, string> = new Map(),
  reserved: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set(reserved);
  const fresh = new Map<string, string[]>();
  for (const ref of refs) {
    const name = kept.get(ref.reference);
    if (name !== undefined) {
      names.set(ref.reference, name);
      taken.add(name);
      continue;
    }
    const candidate = baseNameOf(ref);
    const list = fresh.get(candidate) ?? [];
    if (!list.includes(ref.reference)) list.push(ref.reference);
    fresh.set(candidate, list);
  }
  for (const [candidate, references] of fresh) {
    const readable =
      references.length === 1 && candidate.length > 0 && candidate.length <= MAX_NAME_LENGTH && !taken.has(candidate);
    for (const reference of references) {
      if (readable) {
        names.set(reference, candidate);
        continue;
      }
      const head = candidate.slice(0, MAX_NAME_LENGTH - HASH_LENGTH - 1).replace(/-+$/, '');
      names.set(reference, `${head || 'x'}-${shortHash(reference)}`);
    }
  }
  return names;
}
