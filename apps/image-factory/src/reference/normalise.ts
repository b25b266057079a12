/**
 * Image references, normalised the way registries and BuildKit see them
 * (github.com/distribution/reference: `normalize.go`, `regexp.go`).
 */

/** The parts of a valid image reference. */
export interface NormalisedReference {
  /** `registry/repository[:tag][@digest]`, with `:latest` when there is neither tag nor digest. */
  readonly reference: string;
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | null;
  readonly digest: string | null;
}

/** Either the normalised reference or a sentence saying what is wrong with it. */
export type NormaliseResult =
  | { readonly ok: true; readonly value: NormalisedReference }
  | { readonly ok: false; readonly error: string };

const DEFAULT_REGISTRY = 'docker.io';
/** The legacy "Docker Index" host, canonicalised to docker.io (registry-1.docker.io is a host of its own). */
const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
const OFFICIAL_NAMESPACE = 'library';
/** Longest repository path (without the registry): distribution's RepositoryNameTotalLengthMax. */
const MAX_PATH_LENGTH = 255;
/** A 64-character hexadecimal string is an image ID, never a repository name. */
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Split `name[:tag][@digest]` without confusing a registry port for a tag. */
function splitReference(text: string): { name: string; tag: string | null; digest: string | null } {
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | null = null;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon !== -1 && rest.indexOf('/', lastColon) === -1) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
  }
  return { name: rest, tag, digest };
}

/**
 * Does the first path component name a registry rather than a Docker Hub namespace? `localhost`, anything with a
 * `.` or `:` (a host name, an IP address, a port), and anything with an uppercase letter (namespaces are
 * lowercase, so `Foo/bar` can only be a host named Foo), as distribution/reference's splitDockerDomain decides.
 */
function isRegistryComponent(component: string): boolean {
  return (
    component === 'localhost' ||
    component.includes('.') ||
    component.includes(':') ||
    component.toLowerCase() !== component
  );
}

/**
 * Normalise an image reference as written in a Dockerfile:
 * `node` → `docker.io/library/node:latest`, `localhost:5000/a` → `localhost:5000/a:latest`.
 */
export function normaliseReference(text: string): NormaliseResult {
  if (text.length === 0) return { ok: false, error: 'the reference is empty' };
  if (IDENTIFIER_RE.test(text)) {
    return { ok: false, error: `"${text}" is a 64-character hexadecimal image ID, not a repository name` };
  }
  if (/\s/.test(text)) return { ok: false, error: `"${text}" contains white space` };
  const { name, tag, digest } = splitReference(text);
  if (name.length === 0) return { ok: false, error: `"${text}" has no repository name` };

  const slash = name.indexOf('/');
  let registry = DEFAULT_REGISTRY;
  let repository = name;
  if (slash !== -1 && isRegistryComponent(name.slice(0, slash))) {
    registry = name.slice(0, slash);
    repository = name.slice(slash + 1);
    if (!DOMAIN_RE.test(registry)) return { ok: false, error: `"${registry}" is not a valid registry host` };
  }
  if (registry === LEGACY_DEFAULT_REGISTRY) registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) {
    repository = `${OFFICIAL_NAMESPACE}/${repository}`;
  }

  for (const component of repository.split('/')) {
    if (PATH_COMPONENT_RE.test(component)) continue;
    if (PATH_COMPONENT_RE.test(component.toLowerCase())) {
      return { ok: false, error: `repository "${repository}" must be lowercase` };
    }
    return {
      ok: false,
      error: `"${component || '(empty)'}" is not a valid repository path component in "${text}"`,
    };
  }
  if (repository.length > MAX_PATH_LENGTH) {
    return { ok: false, error: `repository name in "${text}" is longer than ${MAX_PATH_LENGTH} characters` };
  }
  if (tag !== null && !TAG_RE.test(tag)) return { ok: false, error: `tag "${tag}" is not a valid tag` };
  if (digest !== null && !DIGEST_RE.test(digest)) {
    return {
      ok: false,
      error: `digest "${digest}" is not valid: expected sha256: and 64 lowercase hex characters`,
    };
  }

  let reference = `${registry}/${repository}`;
  if (tag !== null) reference += `:${tag}`;
  if (digest !== null) reference += `@${digest}`;
  if (tag === null && digest === null) reference += ':latest';
  return {
    ok: true,
    value: { reference, registry, repository, tag: tag ?? (digest === null ? 'latest' : null), digest },
  };
}
