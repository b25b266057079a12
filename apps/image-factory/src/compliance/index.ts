/**
 * Compliance (issue 13): what runs in the cluster (a pod list from the Kubernetes API) against what the factory
 * knows (state in git, and with --live the registries). Pure parsing and judging; the command reads the file and,
 * with --live, asks the registry client for the newest digest of each tag.
 */
export {
  type ComplianceReport,
  type ContainerVerdict,
  type ContainerVulnerabilities,
  checkCompliance,
  digestKey,
  recordedSignatureFindings,
  type SignatureFinding,
  tagKey,
  type Verdict,
  type WorkloadReport,
} from './check.js';
export { askNewest, askSignatures, type NewestDigests, tagsToAsk } from './live.js';
export { type RunningContainer, readPods, runningDigest } from './pods.js';
