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
 * Names for a set of base-image references: readable when unambiguous; when two references would share a
 * name, or a name is too long, each affected one ends in a hash of its full reference.
 * Deterministic for a given set, and independent of input order.
 */
export function assignBaseImageNames(refs: readonly NormalisedReference[]): Map<string, string> {
  const byCandidate = new Map<string, string[]>();
  for (const ref of refs) {
    const candidate = baseNameOf(ref);
    const list = byCandidate.get(candidate) ?? [];
    if (!list.includes(ref.reference)) list.push(ref.reference);
    byCandidate.set(candidate, list);
  }
  const names = new Map<string, string>();
  for (const [candidate, references] of byCandidate) {
    for (const reference of references) {
      const clash = references.length > 1 || candidate.length > MAX_NAME_LENGTH || candidate.length === 0;
      if (!clash) {
        names.set(reference, candidate);
        continue;
      }
      const room = MAX_NAME_LENGTH - HASH_LENGTH - 1;
      const head = candidate.slice(0, room).replace(/-+$/, '');
      names.set(reference, `${head || 'x'}-${shortHash(reference)}`);
    }
  }
  return names;
}
