/**
 * Registries (DESIGN §11): a small OCI distribution client and what the factory asks it. Auth is anonymous, basic
 * or a bearer token from the `WWW-Authenticate` challenge, with credentials from a Docker config.json (never
 * printed, and sent to a token realm only where `realm.ts` allows); a tag's digest is one HEAD; indexes resolve by platform; the config blob gives `created` (an epoch
 * date is unknown) and labels. 429 waits for Retry-After, 5xx and network errors retry with backoff, then the
 * error is 'unavailable' (exit 3). Effects (`fetch`, sleep, clock) are injected; the rules (tag choice,
 * platforms, challenges, release times) are pure.
 */
export {
  apiHost,
  type FetchedManifest,
  type ManifestHead,
  type RateLimit,
  type Referrer,
  type Referrers,
  RegistryClient,
  type RegistryClientOptions,
  type RepositoryRef,
  type RequestCounts,
} from './client.js';
export {
  type CredentialStore,
  credentialStoreFrom,
  loadCredentialStore,
  type RegistryCredential,
} from './docker-config.js';
export { DEFAULT_RETRY_POLICY, type HttpEffects, type RetryPolicy } from './http.js';
export { type ImageFacts, type InspectResult, imageFacts, inspectImage, releaseTime } from './inspect.js';
export {
  type LiveBaseImage,
  type LiveExternalImage,
  type LiveManagedImage,
  type LiveStatus,
  type LiveStatusOptions,
  liveStatus,
} from './live-status.js';
export { MEDIA_TYPES } from './manifest.js';
export { choosePlatform, formatPlatform, type Platform, parsePlatform } from './platform.js';
export { chooseTag, type TagChoice } from './tag-selection.js';
