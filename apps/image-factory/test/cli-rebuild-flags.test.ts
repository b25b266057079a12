/**
 * The rebuild command's flags through the real CLI (issue 18, items 2, 4 and 8): where each trigger's base URL
 * comes from (shown by `--dry-run --json`), which URLs are refused, the time flags read as real calendar instants,
 * `--released` asking no registry, Trivy reports that are not reports, `--claim-timeout`, and a dry run that does
 * not say "claimed". The registry in images.yaml is 127.0.0.1:1, where nothing listens: a run that asked it for the
 * release time would fail (exit 3).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { createRemote, tempDir } from './support/git-repos.js';
import { analyze, DIGEST, ENV } from './support/gitops-fixtures.js';

const REGISTRY = '127.0.0.1:1';
const BASE = `${REGISTRY}/base/node:22`;
/** Every variable a base URL may come from, unset (an empty variable counts as unset), so the host's own do not leak in. */
const NO_FORGE_ENV = { GITLAB_URL: '', CI_SERVER_URL: '', GITHUB_API_URL: '', GITHUB_SERVER_URL: '' };

let remote: string;

beforeAll(async () => {
  const entry = (name: string, source: string) =>
    `  - name: ${name}\n    registry: ${REGISTRY}\n    repository: acme/${name}\n    rebuildDelay: "0"\n    source:\n${source}      dockerfile: apps/${name}/Dockerfile\n      triggerKeyInput: factory-key\n`;
  remote = createRemote({
    'images.yaml': `images:\n${entry('api', '      provider: github\n      repo: https://github.com/acme/api.git\n      workflow: build.yaml\n')}${entry('docs', '      provider: gitlab\n      repo: acme/platform/docs\n')}`,
    'apps/api/Dockerfile': `FROM ${BASE}\n`,
    'apps/docs/Dockerfile': `FROM ${BASE}\n`,
  });
  for (const name of ['api', 'docs']) {
    const result = await analyze(remote, name, '1.0', DIGEST(name === 'api' ? 'a' : 'd'));
    expect(result.status, result.stderr).toBe(0);
  }
}, 60_000);

/** A dry run of a base update whose release time is given, so no registry is needed. */
function dryRun(extra: string[], env: Record<string, string> = {}) {
  return cli(
    [
      'rebuild',
      '--reference',
      BASE,
      '--digest',
      DIGEST('b'),
      '--released',
      '2026-11-01T00:00:00Z',
      '--now',
      '2026-11-02T00:00:00Z',
      '--git-repo',
      remote,
      '--insecure-registry',
      REGISTRY,
      '--registry-backoff',
      '1ms',
      '--dry-run',
      ...extra,
    ],
    { env: { ...ENV, ...NO_FORGE_ENV, GITHUB_TOKEN: '', GITLAB_TOKEN: '', ...env } },
  );
}

/** The URL of each image's trigger in a `--json` dry run. */
async function urls(extra: string[], env: Record<string, string> = {}): Promise<Record<string, string>> {
  const result = await dryRun(['--json', ...extra], env);
  expect(result.status, result.stderr).toBe(0);
  const json: { triggers: { image: string; request: { url: string } }[] } = JSON.parse(result.stdout);
  return Object.fromEntries(json.triggers.map((t) => [t.image, t.request.url]));
}

const GITLAB_PATH = '/api/v4/projects/acme%2Fplatform%2Fdocs/pipeline?ref=main';
const GITHUB_PATH = '/repos/acme/api/actions/workflows/build.yaml/dispatches';

describe('GitLab base URL: --gitlab-url > $GITLAB_URL > $CI_SERVER_URL > https://gitlab.com', () => {
  it('the flag beats both variables', async () => {
    const env = { GITLAB_URL: 'https://env.gitlab.test', CI_SERVER_URL: 'https://ci.gitlab.test' };
    expect((await urls(['--gitlab-url', 'https://flag.gitlab.test/'], env)).docs).toBe(
      `https://flag.gitlab.test${GITLAB_PATH}`,
    );
  });
  it('$GITLAB_URL beats $CI_SERVER_URL', async () => {
    const env = { GITLAB_URL: 'https://env.gitlab.test', CI_SERVER_URL: 'https://ci.gitlab.test' };
    expect((await urls([], env)).docs).toBe(`https://env.gitlab.test${GITLAB_PATH}`);
  });
  it('$CI_SERVER_URL, as rebuild --help has always said, is read (a self-managed token stays on its host)', async () => {
    expect((await urls([], { CI_SERVER_URL: 'https://ci.gitlab.test' })).docs).toBe(
      `https://ci.gitlab.test${GITLAB_PATH}`,
    );
  });
  it('https://gitlab.com when nothing is set', async () => {
    expect((await urls([])).docs).toBe(`https://gitlab.com${GITLAB_PATH}`);
  });
});

describe('GitHub API URL: --github-api-url > $GITHUB_API_URL > https://api.github.com', () => {
  it('the flag beats the variable', async () => {
    const env = { GITHUB_API_URL: 'https://env.github.test/api/v3' };
    expect((await urls(['--github-api-url', 'https://flag.github.test/api/v3'], env)).api).toBe(
      `https://flag.github.test/api/v3${GITHUB_PATH}`,
    );
  });
  it('$GITHUB_API_URL', async () => {
    expect((await urls([], { GITHUB_API_URL: 'https://env.github.test/api/v3/' })).api).toBe(
      `https://env.github.test/api/v3${GITHUB_PATH}`,
    );
  });
  it('https://api.github.com when nothing is set; the source.repo URL form reduced to owner/name', async () => {
    expect((await urls([])).api).toBe(`https://api.github.com${GITHUB_PATH}`);
  });
});

describe('a base URL a token must not go to is a usage error (exit 2), and the secret is not repeated', () => {
  it.each([
    [['--gitlab-url', 'http://gitlab.acme.test'], {}, /--gitlab-url \(http:\/\/gitlab\.acme\.test\) is plain http/],
    [[], { CI_SERVER_URL: 'http://gitlab.acme.test' }, /\$CI_SERVER_URL \(http:\/\/gitlab\.acme\.test\) is plain http/],
    [
      [],
      { GITLAB_URL: 'https://bot:s3cret@gitlab.acme.test' },
      /\$GITLAB_URL \(https:\/\/gitlab\.acme\.test\) carries user:password@/,
    ],
    [['--github-api-url', 'https://api.github.test/?token=s3cret'], {}, /--github-api-url .* has a query or fragment/],
    [[], { GITHUB_API_URL: 'https://api.github.test/#x' }, /\$GITHUB_API_URL .* has a query or fragment/],
  ] as const)('%j %j', async (flags, env, message) => {
    const result = await dryRun([...flags], { ...env });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain('s3cret');
  });

  it('plain http is refused for another host and allowed for a loopback one (test stubs, port-forwards)', async () => {
    expect((await dryRun(['--gitlab-url', 'http://10.0.0.7'])).status).toBe(2);
    expect((await urls(['--gitlab-url', 'http://127.0.0.1:8929'])).docs).toBe(`http://127.0.0.1:8929${GITLAB_PATH}`);
  });
});

describe('time flags are real calendar instants', () => {
  it.each([
    ['--now', '2026-02-30T00:00:00Z', /--now "2026-02-30T00:00:00Z" is not a calendar date/],
    ['--now', '10000-01-01T00:00:00Z', /--now "10000-01-01T00:00:00Z" is not an RFC 3339 time/],
    ['--released', '2026-02-30T00:00:00Z', /--released "2026-02-30T00:00:00Z" is not a calendar date/],
    ['--released', '2026-11-01T24:00:00Z', /--released "2026-11-01T24:00:00Z" is not a time of day/],
    ['--released', '2026-11-01', /--released "2026-11-01" is not an RFC 3339 time/],
  ])('%s %s is refused with exit 2', async (flag, value, message) => {
    const result = await dryRun([flag, value]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('--released asks no registry', () => {
  it('decides with the registry unreachable (it would exit 3 if the release time were looked up)', async () => {
    const result = await dryRun(['--json']);
    expect(result.status, result.stderr).toBe(0);
    const json: { decisions: { image: string; action: string }[] } = JSON.parse(result.stdout);
    expect(json.decisions.map((d) => `${d.image} ${d.action}`).sort()).toEqual(['api rebuild', 'docs rebuild']);
    // Nor the dependents' builds: not one registry request, not one retry.
    expect(result.stderr).not.toContain('not readable');
    expect(result.stderr).toContain('--released: no registry asked');
  });
});

describe('--vulnerability-report', () => {
  it('malformed JSON and JSON that is not a Trivy report: exit 1, named as scan record names its reports', async () => {
    const dir = tempDir();
    const malformed = join(dir, 'malformed.json');
    const other = join(dir, 'other.json');
    writeFileSync(malformed, '{"SchemaVersion": 2,');
    writeFileSync(other, '{"kind": "not trivy"}');
    const a = await dryRun(['--vulnerability-report', malformed]);
    const b = await dryRun(['--vulnerability-report', other]);
    expect([a.status, b.status]).toEqual([1, 1]);
    expect(a.stderr).toContain(
      `image-factory rebuild: --vulnerability-report ${malformed}: not a Trivy JSON report: not JSON (`,
    );
    expect(b.stderr).toContain(
      `image-factory rebuild: --vulnerability-report ${other}: SchemaVersion is absent, not 2: not a Trivy JSON report`,
    );
  });

  it('a file that cannot be read is a usage error (exit 2)', async () => {
    const result = await dryRun(['--vulnerability-report', '/nonexistent/report.json']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--vulnerability-report /nonexistent/report.json: cannot read');
  });
});

describe('--claim-timeout', () => {
  it.each(['0', '2 hours', '-1h', '1y'])('refuses %s with exit 2', async (value) => {
    const result = await dryRun([`--claim-timeout=${value}`]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`--claim-timeout "${value}" must be a duration more than 0`);
  });
  it('takes the rebuildDelay syntax, and --help says what it is for and its default', async () => {
    expect((await dryRun(['--claim-timeout', '90m'])).status).toBe(0);
    const help = (await cli(['rebuild', '--help'])).stdout;
    expect(help).toMatch(
      /--claim-timeout DURATION\s+a claim with no recorded answer after this is sent again with the same key/,
    );
    expect(help).toContain('default 2h');
  });
});

describe('--dry-run in text', () => {
  it('speaks in the conditional: nothing was claimed', async () => {
    const result = await dryRun([]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('would claim and send');
    expect(result.stdout).toContain('dry run: nothing committed, nothing sent');
    expect(result.stdout).not.toMatch(/claimed/i);
    expect(result.stderr).not.toMatch(/claimed/i);
  });
});
