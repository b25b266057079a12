/**
 * Image requests (DESIGN §14, issue 23), defined once (TypeBox): the `requests:` policy block of images.yaml, the
 * request file `image-factory/requests/<tier>/<id>.yaml`, and one line of `image-factory/requests/audit.jsonl`; with
 * the typed policy the loader makes of the block (defaults applied, each absence saying what it means).
 */
import { type Static, Type } from '@sinclair/typebox';
import { DELAY, DNS_LABEL, MATCH_PATTERN } from '../enrolment/patterns.js';
import { INSTANT_PATTERN } from '../util/time.js';

/**
 * A request id: `req-` and 12 lowercase hex digits, the first of the SHA-256 of the normalised reference, team,
 * environment and requestedAt (requests/id.ts). The prefix keeps YAML from reading an all-digit id as a number.
 */
export const REQUEST_ID_PATTERN = '^req-[0-9a-f]{12}$';
/** A GitHub login (user or organisation). */
const GITHUB_LOGIN = '^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$';
/** A GitHub team as `organisation/team-slug` (CODEOWNERS writes it `@organisation/team-slug`). */
const GITHUB_TEAM = '^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$';
/** A GitLab username. */
const GITLAB_USER = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$';
/** A GitLab group path, subgroups included (`platform/security`). */
const GITLAB_GROUP = '^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$';
/** A team or environment name of the policy (it appears in file names, labels and audit lines). */
const POLICY_NAME = '^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$';

const names = (pattern: string, description: string) =>
  Type.Array(Type.String({ pattern }), { minItems: 1, uniqueItems: true, description });

/** The image kinds a tier can select: `base` when the image is a base image of a managed image in state. */
export const REQUEST_KINDS = ['base', 'external'] as const;
/** The kind of a requested image. */
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** `requests.tiers[].when`: every condition given must hold (an absent one holds for every request). */
export const TierWhenSchema = Type.Object(
  {
    environment: Type.Optional(names(POLICY_NAME, 'The environments this tier covers (from requests.environments).')),
    kind: Type.Optional(
      Type.Array(Type.Unsafe<RequestKind>({ enum: [...REQUEST_KINDS] }), {
        minItems: 1,
        uniqueItems: true,
        description:
          'base: the image is a base image of a managed image the factory tracks (in state); external: any other.',
      }),
    ),
    repository: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: MATCH_PATTERN,
        description:
          'The images covered, as a pattern over the normalised registry/repository (as baseImagePolicies.match): * within one path segment, ** across segments, e.g. cgr.dev/acme/**.',
      }),
    ),
    team: Type.Optional(names(POLICY_NAME, 'The requesting teams this tier covers (from requests.teams).')),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** `requests.tiers[]`. */
export const TierSchema = Type.Object(
  {
    name: Type.String({
      pattern: DNS_LABEL,
      description: 'DNS-1123 label, unique: the folder image-factory/requests/<name>/ and the label tier:<name>.',
    }),
    when: Type.Optional(TierWhenSchema),
    approvers: Type.Object(
      {
        github: Type.Optional(
          Type.Object(
            {
              teams: Type.Optional(names(GITHUB_TEAM, 'Teams as organisation/team-slug.')),
              users: Type.Optional(names(GITHUB_LOGIN, 'User logins.')),
            },
            { additionalProperties: false },
          ),
        ),
        gitlab: Type.Optional(
          Type.Object(
            {
              users: Type.Optional(names(GITLAB_USER, 'Usernames.')),
              groups: Type.Optional(names(GITLAB_GROUP, 'Group paths (subgroups included).')),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false, description: 'Who may approve a request of this tier, per forge.' },
    ),
    approvals: Type.Integer({
      minimum: 0,
      maximum: 20,
      description: 'Approvals by distinct approvers a request of this tier needs (0 only with autoApprove).',
    }),
    justification: Type.Optional(
      Type.Object(
        {
          required: Type.Boolean(),
          minLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, description: 'Default 1.' })),
        },
        { additionalProperties: false, description: 'When unspecified, a justification is not required.' },
      ),
    ),
    sla: Type.Optional(
      Type.String({ pattern: DELAY, description: 'How soon a request of this tier should be decided: 4h, 2d.' }),
    ),
    autoApprove: Type.Optional(
      Type.Boolean({
        description:
          'Default false. True: request add commits straight to the target branch, approved by "auto" (approvals must be 0).',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `requests.provision`. */
export const ProvisionSchema = Type.Object(
  {
    provider: Type.Unsafe<'none' | 'chainguard'>({
      enum: ['none', 'chainguard'],
      description: 'none: enrolment only; chainguard: create the repository through the Chainguard registry API.',
    }),
    chainguard: Type.Optional(
      Type.Object(
        {
          api: Type.Optional(
            Type.String({
              pattern: '^https://[^\\s/?#]+(/[^\\s?#]*)?$',
              description: 'Default https://console-api.enforce.dev.',
            }),
          ),
          parent: Type.String({
            minLength: 1,
            pattern: '^[0-9a-f]{40}(/[0-9a-f]{16})*$',
            description: 'The organisation (or folder) id the repositories are created in.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'When unspecified, provider none.',
    allOf: [
      {
        if: { type: 'object', properties: { provider: { const: 'chainguard' } }, required: ['provider'] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a promise
        then: { type: 'object', properties: { chainguard: { type: 'object' } }, required: ['chainguard'] },
      },
    ],
  },
);

/** `requests:` of images.yaml: who may request what, and who approves. */
export const RequestsPolicySchema = Type.Object(
  {
    environments: names(POLICY_NAME, 'The environments a request may name.'),
    teams: names(POLICY_NAME, 'The teams a request may name.'),
    tiers: Type.Array(TierSchema, {
      minItems: 1,
      description: 'In order: the first whose when matches is the tier; only the last may lack when.',
    }),
    provision: Type.Optional(ProvisionSchema),
  },
  { additionalProperties: false, description: 'Image requests (request add / check / provision).' },
);

/** `requests:` as written. */
export type RequestsPolicyEntry = Static<typeof RequestsPolicySchema>;
/** One tier as written. */
export type TierEntry = Static<typeof TierSchema>;

/** A tier with defaults applied. */
export interface RequestTier {
  readonly name: string;
  /** When unspecified, the tier covers every request (only the last tier). */
  readonly when?: {
    readonly environment?: readonly string[];
    readonly kind?: readonly RequestKind[];
    readonly repository?: string;
    readonly team?: readonly string[];
  };
  /** Absent lists are empty. */
  readonly approvers: {
    readonly github: { readonly teams: readonly string[]; readonly users: readonly string[] };
    readonly gitlab: { readonly users: readonly string[]; readonly groups: readonly string[] };
  };
  readonly approvals: number;
  /** When unspecified: not required, minimum length 1 when given. */
  readonly justification: { readonly required: boolean; readonly minLength: number };
  /** The SLA in seconds; absent: none. */
  readonly slaSeconds?: number;
  readonly autoApprove: boolean;
}

/** The default Chainguard API. */
export const CHAINGUARD_API = 'https://console-api.enforce.dev';

/** What happens after a request is approved. */
export type ProvisionPolicy =
  | { readonly provider: 'none' }
  | { readonly provider: 'chainguard'; readonly chainguard: { readonly api: string; readonly parent: string } };

/** `requests:` loaded and checked. */
export interface RequestsPolicy {
  readonly environments: readonly string[];
  readonly teams: readonly string[];
  readonly tiers: readonly RequestTier[];
  /** When unspecified, `{provider: none}`. */
  readonly provision: ProvisionPolicy;
}

/** The status of a request (its file's `status`). */
export const REQUEST_STATUSES = ['pending', 'approved', 'provisioned', 'failed', 'rejected'] as const;
/** One of REQUEST_STATUSES. */
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

// Literals, not Unsafe enums: TypeBox's Value.Check reads these files, and it knows no Unsafe kind.
const NULLABLE_STRING = Type.Union([Type.String(), Type.Null()]);

/** `provisioning:` of a request file, written by request provision. */
export const ProvisioningSchema = Type.Object(
  {
    provider: Type.Union([Type.Literal('none'), Type.Literal('chainguard')]),
    status: Type.Union([Type.Literal('provisioned'), Type.Literal('already-provided'), Type.Literal('failed')]),
    pullString: Type.String({ minLength: 1 }),
    repositoryId: NULLABLE_STRING,
    at: Type.String({ pattern: INSTANT_PATTERN }),
    message: NULLABLE_STRING,
  },
  { additionalProperties: false },
);

/** A request file `image-factory/requests/<tier>/<id>.yaml`. */
export const RequestFileSchema = Type.Object(
  {
    id: Type.String({ pattern: REQUEST_ID_PATTERN }),
    reference: Type.String({ minLength: 1, description: 'The normalised reference.' }),
    name: Type.String({ pattern: DNS_LABEL, description: 'The images.yaml entry the request adds.' }),
    team: Type.String({ pattern: POLICY_NAME }),
    environment: Type.String({ pattern: POLICY_NAME }),
    justification: Type.String(),
    requestedBy: Type.String({ minLength: 1 }),
    tier: Type.String({ pattern: DNS_LABEL }),
    requestedAt: Type.String({ pattern: INSTANT_PATTERN }),
    status: Type.Union([
      Type.Literal('pending'),
      Type.Literal('approved'),
      Type.Literal('provisioned'),
      Type.Literal('failed'),
      Type.Literal('rejected'),
    ]),
    provisioning: Type.Optional(ProvisioningSchema),
  },
  { additionalProperties: false },
);

/** A request file's content. */
export type RequestFile = Static<typeof RequestFileSchema>;
/** Its `provisioning:`. */
export type Provisioning = Static<typeof ProvisioningSchema>;

/** The events of the audit log. */
export const AUDIT_EVENTS = ['requested', 'approved', 'rejected', 'provisioned', 'failed'] as const;
/** One of AUDIT_EVENTS. */
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

/** One line of `image-factory/requests/audit.jsonl`, keys in this order (AUDIT_KEYS). */
export const AuditLineSchema = Type.Object(
  {
    timestamp: Type.String({ pattern: INSTANT_PATTERN }),
    event: Type.Union([
      Type.Literal('requested'),
      Type.Literal('approved'),
      Type.Literal('rejected'),
      Type.Literal('provisioned'),
      Type.Literal('failed'),
    ]),
    requestId: Type.String({ pattern: REQUEST_ID_PATTERN }),
    requester: Type.String({ minLength: 1 }),
    approver: Type.Union([Type.Array(Type.String({ minLength: 1 })), Type.Null()]),
    image: Type.String({ minLength: 1 }),
    customName: Type.String({ minLength: 1 }),
    justification: Type.String(),
    team: Type.String({ minLength: 1 }),
    environment: Type.String({ minLength: 1 }),
    approvalTier: Type.String({ minLength: 1 }),
    provisioningResult: NULLABLE_STRING,
    repositoryId: NULLABLE_STRING,
  },
  { additionalProperties: false },
);

/** One audit line (read-only: the log is never edited). */
export type AuditLine = Readonly<Omit<Static<typeof AuditLineSchema>, 'approver'>> & {
  readonly approver: readonly string[] | null;
};

/** The keys of an audit line in the order every line writes them. */
export const AUDIT_KEYS = [
  'timestamp',
  'event',
  'requestId',
  'requester',
  'approver',
  'image',
  'customName',
  'justification',
  'team',
  'environment',
  'approvalTier',
  'provisioningResult',
  'repositoryId',
] as const satisfies readonly (keyof AuditLine)[];

/** Where requests live in the GitOps repository. */
export const REQUESTS_DIR = 'image-factory/requests';
/** The audit log. */
export const AUDIT_FILE = `${REQUESTS_DIR}/audit.jsonl`;
/** The path of a request file. */
export const requestFilePath = (tier: string, id: string): string => `${REQUESTS_DIR}/${tier}/${id}.yaml`;
/** The branch a pending request is proposed on. */
export const requestBranch = (id: string): string => `image-factory/request/${id}`;
