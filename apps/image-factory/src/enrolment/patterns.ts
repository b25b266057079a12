/**
 * Patterns images.yaml shares between its parts (the images, the base-image policies, the requests policy): kept
 * apart from schema.ts so the requests schema can use them without an import cycle.
 */

/** A DNS-1123 label: lowercase letters, digits and "-", at most 63 characters. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
/** A release-age delay: `0` or one number and one unit (enrolment/duration.ts parseDelay reads it). */
export const DELAY = '^(0|[0-9]{1,6}[smhdw])$';
/** A reference pattern of baseImagePolicies: a lowercase registry/repository with * and ** wildcards. */
export const MATCH_PATTERN = '^[a-z0-9*][a-z0-9._:*-]*(/[a-z0-9._*-]+)+$';
