/**
 * The `requests:` policy of images.yaml (issue 23, DESIGN §14): schema-checked with file:line:column, the rules the
 * schema cannot say (tier names unique, only the last tier without when, when naming the policy's own environments
 * and teams, approvals the approvers can give, autoApprove only without approvals), defaults applied; and the tier a
 * request falls in (kind base when state tracks the repository as a base image something is built on; the first
 * matching tier wins).
 */
import { describe, expect, it } from 'vitest';
import { EnrolmentError, loadEnrolment } from '../src/enrolment/load.js';
import { requestId, requestKind, tierFor } from '../src/requests/index.js';
import type { BaseImageState, StateSnapshot } from '../src/state/types.js';
import { fixture } from './helpers.js';

function problemsOf(name: string): string[] {
  try {
    loadEnrolment(fixture(`requests/${name}`), name);
  } catch (error) {
    if (error instanceof EnrolmentError) return error.message.split('\n');
    throw error;
  }
  throw new Error(`${name} was accepted`);
}

const policy = () => {
  const requests = loadEnrolment(fixture('requests/policy.images.yaml')).requests;
  if (requests === undefined) throw new Error('no policy');
  return requests;
};

function stateWithBase(registry: string, repository: string, dependents: string[]): StateSnapshot {
  const base: BaseImageState = {
    name: 'node-22',
    reference: `${registry}/${repository}:22`,
    registry,
    repository,
    tag: '22',
    digest: null,
    dependents,
    repoURL: `${registry}/${repository}`,
    allowTags: '^22$',
    imageSelectionStrategy: 'Digest',
  };
  return { images: new Map(), baseImages: new Map([['node-22', base]]) };
}

describe('the requests: policy', () => {
  it('loads with every absence given its meaning', () => {
    const loaded = policy();
    expect(loaded.environments).toEqual(['dev', 'staging', 'production']);
    expect(loaded.tiers.map((t) => t.name)).toEqual(['base-images', 'production', 'dev']);
    expect(loaded.tiers[1]).toEqual({
      name: 'production',
      when: { environment: ['production'], repository: 'cgr.dev/acme/**' },
      approvers: { github: { teams: [], users: ['carol', 'dave'] }, gitlab: { users: ['carol', 'dave'], groups: [] } },
      approvals: 2,
      justification: { required: false, minLength: 1 },
      slaSeconds: 2 * 86_400,
      autoApprove: false,
    });
    expect(loaded.tiers[2]?.autoApprove).toBe(true);
    expect(loaded.provision).toEqual({
      provider: 'chainguard',
      chainguard: { api: 'https://console-api.enforce.dev', parent: '0123456789abcdef0123456789abcdef01234567' },
    });
  });

  it('an absent requests: block is no policy, and provision defaults to none', () => {
    expect(loadEnrolment('images: []\n').requests).toBeUndefined();
    const text = fixture('requests/policy.images.yaml').replace(/ {2}provision:[\s\S]*$/, '');
    expect(loadEnrolment(text).requests?.provision).toEqual({ provider: 'none' });
  });

  it('names what the schema refuses at file:line:column with the field', () => {
    expect(problemsOf('bad-policy.images.yaml')).toEqual([
      'bad-policy.images.yaml:5:14: images[0].request is only for external images (request add enrols external images)',
      'bad-policy.images.yaml:17:19: requests.tiers[0].approvers.github.teams[0] must be organisation/team-slug',
      'bad-policy.images.yaml:19:7: requests.tiers[0].colour is not a known field (check the spelling; see image-factory/schema/images.schema.json)',
      'bad-policy.images.yaml:21:5: requests.provision.chainguard is required',
    ]);
  });

  it('names every rule beyond the schema a well-formed block breaks', () => {
    expect(problemsOf('bad-tiers.images.yaml')).toEqual([
      'bad-tiers.images.yaml:6:7: requests.tiers[0].when is required: only the last tier may lack when (a tier without it matches every request)',
      'bad-tiers.images.yaml:9:18: requests.tiers[0].approvers.github.users names 1 user(s) but approvals is 2: the tier could never be approved',
      'bad-tiers.images.yaml:11:13: requests.tiers[1].name "prod" is already the name of tiers[0]; tier names must be unique',
      'bad-tiers.images.yaml:13:23: requests.tiers[1].when.environment[0] "qa" is not one of requests.environments',
      'bad-tiers.images.yaml:19:7: requests.tiers[2].when is required: only the last tier may lack when (a tier without it matches every request)',
      'bad-tiers.images.yaml:20:18: requests.tiers[2].approvers must name someone: 1 approval(s) are required',
      'bad-tiers.images.yaml:21:18: requests.tiers[2].approvals must be 0 with autoApprove: true (nobody approves an auto-approved request)',
      'bad-tiers.images.yaml:25:16: requests.tiers[3].when.team[0] "web" is not one of requests.teams',
      'bad-tiers.images.yaml:26:18: requests.tiers[3].approvers must name someone: 1 approval(s) are required',
    ]);
  });
});

describe('the tier of a request', () => {
  const input = { registry: 'cgr.dev', repository: 'acme/python', team: 'data', environment: 'production' } as const;

  it('is kind base only when state tracks the repository as a base image with dependents, whatever the tag', () => {
    expect(requestKind(stateWithBase('cgr.dev', 'acme/python', ['api']), 'cgr.dev', 'acme/python')).toBe('base');
    expect(requestKind(stateWithBase('cgr.dev', 'acme/python', []), 'cgr.dev', 'acme/python')).toBe('external');
    expect(requestKind(stateWithBase('cgr.dev', 'acme/python', ['api']), 'cgr.dev', 'acme/go')).toBe('external');
    expect(requestKind(stateWithBase('docker.io', 'acme/python', ['api']), 'cgr.dev', 'acme/python')).toBe('external');
  });

  it('is the first tier whose when holds: every condition given must hold, the last without when takes the rest', () => {
    const loaded = policy();
    expect(tierFor(loaded, { ...input, kind: 'base' })?.name).toBe('base-images');
    expect(tierFor(loaded, { ...input, kind: 'external' })?.name).toBe('production');
    // The production tier covers cgr.dev/acme/** only: another registry in production falls through to dev.
    expect(tierFor(loaded, { ...input, registry: 'docker.io', kind: 'external' })?.name).toBe('dev');
    expect(tierFor(loaded, { ...input, environment: 'staging', kind: 'external' })?.name).toBe('dev');
  });

  it('is none when no tier matches (a policy whose last tier has a when)', () => {
    const loaded = policy();
    const strict = { ...loaded, tiers: loaded.tiers.slice(0, 2) };
    expect(tierFor(strict, { ...input, environment: 'dev', kind: 'external' })).toBeNull();
  });
});

describe('the request id', () => {
  it('depends on the reference, team, environment and time only, and has the documented form', () => {
    const id = requestId('cgr.dev/acme/python:latest-dev', 'data', 'production', '2026-12-01T08:30:00Z');
    expect(id).toMatch(/^req-[0-9a-f]{12}$/);
    expect(requestId('cgr.dev/acme/python:latest-dev', 'data', 'production', '2026-12-01T08:30:00Z')).toBe(id);
    for (const other of [
      requestId('cgr.dev/acme/python:latest', 'data', 'production', '2026-12-01T08:30:00Z'),
      requestId('cgr.dev/acme/python:latest-dev', 'web', 'production', '2026-12-01T08:30:00Z'),
      requestId('cgr.dev/acme/python:latest-dev', 'data', 'dev', '2026-12-01T08:30:00Z'),
      requestId('cgr.dev/acme/python:latest-dev', 'data', 'production', '2026-12-01T08:30:01Z'),
    ])
      expect(other).not.toBe(id);
  });
});
