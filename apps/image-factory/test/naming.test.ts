import { describe, expect, it } from 'vitest';
import { assignBaseImageNames } from '../src/naming/names.js';
import { normaliseReference } from '../src/reference/normalise.js';

function ref(text: string) {
  const result = normaliseReference(text);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

function names(...texts: string[]): string[] {
  const refs = texts.map(ref);
  const assigned = assignBaseImageNames(refs);
  return refs.map((r) => assigned.get(r.reference) as string);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

describe('base image names', () => {
  it('are readable for Docker Hub and prefixed for other registries', () => {
    expect(names('node:22-bookworm-slim', 'ghcr.io/acme/base:1.4', 'user/app', 'localhost:5000/a:b')).toEqual([
      'node-22-bookworm-slim',
      'ghcr-io-acme-base-1-4',
      'user-app-latest',
      'localhost-5000-a-b',
    ]);
  });

  it('differ between registries', () => {
    const [hub, ghcr] = names('node:22', 'ghcr.io/library/node:22');
    expect(hub).toBe('node-22');
    expect(ghcr).not.toBe(hub);
  });

  it('end in a stable hash when two references would collide', () => {
    const [a, b] = names('node:22.1', 'node:22-1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^node-22-1-[0-9a-f]{8}$/);
    expect(b).toMatch(/^node-22-1-[0-9a-f]{8}$/);
    expect(names('node:22-1', 'node:22.1')).toEqual([b, a]);
  });

  it('are shortened to 63 characters with a hash, deterministically', () => {
    const long = `registry.example.com/${'team/'.repeat(12)}image:${'v'.repeat(100)}`;
    const [name] = names(long);
    expect(name).toHaveLength(63);
    expect(name).toMatch(DNS_LABEL);
    expect(names(long)).toEqual([name]);
  });

  it('keep digest-pinned references apart', () => {
    const [a, b] = names(`alpine@sha256:${'a'.repeat(64)}`, `alpine@sha256:${'b'.repeat(64)}`);
    expect(a).toBe('alpine-sha256-aaaaaaaaaaaa');
    expect(b).toBe('alpine-sha256-bbbbbbbbbbbb');
  });

  it('are always DNS-1123 labels', () => {
    for (const text of ['a', 'a_b/c__d:T_1', '[::1]:5000/x:y', `x:${'1'.repeat(128)}`]) {
      for (const name of names(text)) expect(name).toMatch(DNS_LABEL);
    }
  });
});
