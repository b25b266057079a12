/**
 * `image-factory inspect <reference>`: what a tag points to in its registry, and when that image was created; with
 * `--verify`, who signed that digest (cosign) and whether that satisfies the signature policy.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadEnrolment, loadVerifyPolicy } from '../../enrolment/load.js';
import { FactoryError, messageOf } from '../../errors.js';
import type { NormalisedReference } from '../../reference/normalise.js';
import { normaliseReference } from '../../reference/normalise.js';
import { inspectImage } from '../../registry/inspect.js';
import { parsePlatform } from '../../registry/platform.js';
import { policyFor, type Verification, type VerifyPolicy, verifyImageSignatures } from '../../signatures/index.js';
import { readConfinedFile } from '../../util/confined.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { readTrustRootOption, trustRootOption } from '../trust-root-option.js';
import {
  type CommandIO,
  defineCommand,
  EXIT_INVALID,
  EXIT_OK,
  HELP_OPTION,
  type OptionSpecs,
  renderHelp,
  writeJson,
} from '../usage.js';

const OPTIONS = {
  platform: {
    type: 'string',
    value: 'OS/ARCH[/VARIANT]',
    help: 'the platform to describe in a multi-platform image (default linux/amd64, else the first listed)',
  },
  json: { type: 'boolean', default: false, help: 'print the result as JSON (shape in docs/cli.md)' },
  verify: {
    type: 'boolean',
    default: false,
    help: "check the digest's cosign signatures against the signature policy (exit 1 when an enforced one fails)",
  },
  policy: {
    type: 'string',
    value: 'FILE',
    help: "with --verify: a file holding one verify block (as in images.yaml) instead of images.yaml's policy",
  },
  ...trustRootOption('with --verify: ', ''),
  root: {
    type: 'string',
    default: '.',
    value: 'DIR',
    help: 'with --verify: the repository root that images.yaml and key files are read from (default .)',
  },
  images: {
    type: 'string',
    default: 'images.yaml',
    value: 'FILE',
    help: 'with --verify and no --policy: images.yaml, relative to --root (default images.yaml)',
  },
  ...REGISTRY_OPTIONS,
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: [
    'inspect <reference> [--platform OS/ARCH] [--json] [--registry-config FILE] [--insecure-registry HOST:PORT]',
    'inspect <reference> --verify [--policy FILE | --root DIR --images FILE] [--trust-root FILE] [--json] ...',
  ],
  description: `Ask the image's registry what <reference> points to: its digest (an index digest for a multi-platform
image, as Kargo's Digest strategy records it), the platforms of an index, and for one platform its creation
time, labels and annotations (org.opencontainers.image.base.digest and .base.name among them). A
reproducible-build epoch date (1970, 1980) is reported as unknown (null). Credentials come from a Docker
config.json and are never printed.
With --verify, the digest's cosign signatures (the legacy sha256-<hex>.sig tag and OCI 1.1 Sigstore bundles,
through the referrers API or the sha256-<hex> referrers tag) are verified with Sigstore's libraries against
the trust root (--trust-root FILE, else Sigstore's public-good root) and the policy of --policy FILE, else the
one images.yaml gives the image (images[].verify, baseImagePolicies, defaults.verify): keyless signatures by
the identities it names, keyed ones by its keys.`,
  arguments: [
    ['<reference>', 'an image reference as a Dockerfile writes it: node:22-bookworm-slim, ghcr.io/acme/app@sha256:…'],
  ],
  sections: [['Options', OPTIONS]],
  exit: '0 found (with --verify: the policy met, or in warn mode, or no policy applies), 1 not found or refused\n(unknown tag, 401/403, no such platform) or, with --verify, an enforced signature policy not met, 2 usage error\nor unreadable config, 3 the registry kept failing (5xx, network, 429) until the retries ran out: safe to run again.',
  examples: [
    'image-factory inspect node:22-bookworm-slim',
    'image-factory inspect ghcr.io/acme/app:1.4.2 --platform linux/arm64 --json',
    'image-factory inspect localhost:5000/acme/app:dev --insecure-registry localhost:5000',
  ],
});

export const inspectCommand = defineCommand({
  name: 'inspect',
  summary: "read a reference's digest, platforms and creation time from its registry",
  help: HELP,
  options: OPTIONS,
  positionals: true,
  async run(values, positionals, io) {
    if (positionals.length !== 1) {
      throw new FactoryError(
        'usage',
        `image-factory inspect: give exactly one image reference (got ${positionals.length}; see --help)`,
      );
    }
    const ref = normaliseReference(positionals[0] ?? '');
    if (!ref.ok) throw new FactoryError('usage', `image-factory inspect: ${ref.error}`);
    let platform: ReturnType<typeof parsePlatform> | undefined;
    if (values.platform !== undefined) {
      platform = parsePlatform(values.platform);
      if (!platform.ok) throw new FactoryError('usage', `image-factory inspect: --platform ${platform.error}`);
    }
    if (values.policy !== undefined && !values.verify) {
      throw new FactoryError('usage', 'image-factory inspect: --policy takes effect with --verify only');
    }
    const trust = await readTrustRootOption('inspect', values['trust-root'], io, {
      option: '--verify',
      given: values.verify === true,
    });
    const root = resolve(io.cwd, values.root ?? '.');
    const policy = values.verify ? await verifyPolicy(ref.value, values, root, io) : undefined;
    const client = await registryClientFrom('inspect', values, io);
    const result = await inspectImage(client, ref.value, platform?.ok ? platform.value : undefined);
    let verification: Verification | undefined;
    if (policy !== undefined) {
      verification =
        policy === null
          ? {
              verified: false,
              reason: `no verify policy applies to ${ref.value.registry}/${ref.value.repository}`,
              signatures: [],
            }
          : await verifyImageSignatures(
              client,
              ref.value,
              result.digest,
              policy,
              (file) => readConfinedFile(root, file, 'verify key file', 'invalid-enrolment'),
              trust,
            );
    }
    const status = policy?.mode === 'enforce' && verification?.verified === false ? EXIT_INVALID : EXIT_OK;
    if (values.json) {
      writeJson(io, verification === undefined ? result : { ...result, verification });
      return status;
    }
    const rows: [string, string][] = [
      ['reference', result.reference],
      ['digest', result.digest],
      ['media type', result.mediaType],
      ...(result.platforms.length === 0
        ? []
        : [['platforms', result.platforms.map((p) => p.platform).join(', ')] as [string, string]]),
      ['platform', result.platform ?? 'unknown'],
      ['created', result.created ?? 'unknown (none recorded, or a reproducible-build epoch date)'],
      ...Object.entries(result.annotations).map(([k, v]): [string, string] => [`annotation ${k}`, v]),
      ...Object.entries(result.labels).map(([k, v]): [string, string] => [`label ${k}`, v]),
      ...(result.rateLimit === null
        ? []
        : [
            ['rate limit', `${result.rateLimit.remaining} of ${result.rateLimit.limit} pulls left`] as [string, string],
          ]),
      ...(verification === undefined ? [] : verificationRows(verification, policy?.mode)),
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    io.stdout(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
    return status;
  },
});

/** The policy `--verify` checks against: --policy FILE, else images.yaml's for the reference (null: none applies). */
async function verifyPolicy(
  ref: NormalisedReference,
  values: { policy?: string | undefined; images?: string | undefined },
  root: string,
  io: CommandIO,
): Promise<VerifyPolicy | null> {
  const file = values.policy ?? values.images ?? 'images.yaml';
  const path = values.policy === undefined ? resolve(root, file) : resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const hint =
      values.policy === undefined ? ' (give the policy with --policy FILE, or images.yaml with --root/--images)' : '';
    throw new FactoryError('io', `image-factory inspect: cannot read ${path}: ${messageOf(error)}${hint}`);
  }
  if (values.policy !== undefined) return loadVerifyPolicy(text, file);
  return policyFor(loadEnrolment(text, file), ref.registry, ref.repository);
}

/** The verdict as text rows (a key is named by its fingerprint, never its PEM). */
function verificationRows(verification: Verification, mode: 'enforce' | 'warn' | undefined): [string, string][] {
  const verdict = verification.verified
    ? 'verified'
    : `NOT verified${mode === 'warn' ? ' (policy mode warn)' : ''}: ${verification.reason ?? ''}`;
  return [
    ['verification', verdict],
    ...verification.signatures.map((s, i): [string, string] => [
      `signature ${i + 1}`,
      `${s.format} ${s.kind}${s.subject === null ? '' : ` ${s.subject}`}${s.issuer === null ? '' : ` (${s.issuer})`}, tlog ${s.tlog ? 'yes' : 'no'}: ${s.valid ? 'valid' : (s.problem ?? 'invalid')}`,
    ]),
  ];
}
