/**
 * Which tag Kargo's Warehouse would pick from a repository's tags (pkg/image in Kargo v1.11: semver_selector.go,
 * lexical_selector.go, digest_selector.go): `allowTags` filters, then SemVer (strict unless `strictSemvers: false`,
 * optional `constraint`, ties broken by the original string) or Lexical picks the greatest; Digest follows the
 * tag in `constraint`. NewestBuild needs every tag's creation time and is not decided here.
 */
import semver from 'semver';
import { messageOf } from '../errors.js';
import type { ImageSubscriptionFields } from '../kargo/subscription.js';

export type TagChoice = { readonly ok: true; readonly tag: string } | { readonly ok: false; readonly error: string };

/** Strict: three numbers (Masterminds' StrictNewVersion after Kargo trims a leading `v`). */
const STRICT = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const LOOSE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** A tag as a semantic version (`1.2` is 1.2.0 when loose), or undefined when it is none. */
export function semverOf(tag: string, strict: boolean): semver.SemVer | undefined {
  const match = (strict ? STRICT : LOOSE).exec(tag);
  if (match === null) return undefined;
  const [, major = '0', minor = '0', patch = '0', pre] = match;
  const text = `${Number(major)}.${Number(minor)}.${Number(patch)}${pre === undefined ? '' : `-${pre}`}`;
  return semver.parse(text) ?? undefined;
}

/** Choose the tag for a Digest, Lexical or SemVer subscription from the repository's tags. */
export function chooseTag(tags: readonly string[], subscription: ImageSubscriptionFields): TagChoice {
  const strategy = subscription.imageSelectionStrategy ?? 'SemVer';
  if (strategy === 'Digest') {
    return subscription.constraint === undefined
      ? { ok: false, error: 'the Digest strategy needs the tag to follow in constraint' }
      : { ok: true, tag: subscription.constraint };
  }
  if (strategy === 'NewestBuild') {
    return {
      ok: false,
      error: "NewestBuild compares every tag's build time; status --live does not resolve it (Kargo does)",
    };
  }
  let allow: RegExp | undefined;
  try {
    allow = subscription.allowTags === undefined ? undefined : new RegExp(subscription.allowTags);
  } catch (error) {
    return { ok: false, error: `allowTags is not a regular expression: ${messageOf(error)}` };
  }
  const allowed = allow === undefined ? tags : tags.filter((t) => allow.test(t));
  if (strategy === 'Lexical') {
    const best = allowed.reduce<string | undefined>((a, t) => (a === undefined || t > a ? t : a), undefined);
    return best === undefined ? { ok: false, error: 'no tag matches allowTags' } : { ok: true, tag: best };
  }
  const strict = subscription.strictSemvers ?? true;
  const range =
    subscription.constraint === undefined ? undefined : semver.validRange(subscription.constraint.replace(/,/g, ' '));
  if (range === null)
    return { ok: false, error: `constraint "${subscription.constraint}" is not a semantic version range` };
  let best: { tag: string; version: semver.SemVer } | undefined;
  for (const tag of allowed) {
    const version = semverOf(tag, strict);
    if (version === undefined) continue;
    if (range !== undefined && !semver.satisfies(version, range)) continue;
    const order = best === undefined ? 1 : semver.compare(version, best.version);
    if (best === undefined || order > 0 || (order === 0 && tag > best.tag)) best = { tag, version };
  }
  return best === undefined
    ? {
        ok: false,
        error: `no tag is a${strict ? ' strict' : ''} semantic version matching allowTags${range === undefined ? '' : ' and constraint'}`,
      }
    : { ok: true, tag: best.tag };
}
