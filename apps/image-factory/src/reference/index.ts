/**
 * Image references as registries and BuildKit read them: distribution/reference's ParseNormalizedNamed, plus
 * `:latest` when there is neither tag nor digest. Pure; a result value, never a throw.
 */
export { type NormalisedReference, type NormaliseResult, normaliseReference } from './normalise.js';
