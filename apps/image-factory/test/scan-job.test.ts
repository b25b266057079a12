/**
 * `image-factory scan record` end to end (issue 21 item 2): Trivy's own reports (test/fixtures/trivy-golden, the
 * RepoDigests made the test registry's), a real GitOps remote, and Debian's docker-registry on 127.0.0.1 holding
 * single-platform images and OCI indexes. Each report lands in the state file of the base or external image it
 * names, a platform manifest under the index digest the image's Warehouse records, in one commit; the same
 * report twice commits nothing; a report that is malformed, too large or matches nothing changes nothing.
 */
import { closeSync, ftruncateSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { MAX_REPORT_BYTES } from '../src/scan/index.js';
import { cli, fixture } from './helpers.js';
import {
  createRemote,
  git,
  remoteFile,
  remoteFiles,
  remoteHead,
  remoteSubjects,
  tempDir,
} from './support/git-repos.js';
import { analyze, ENV, rebuildArgs } from './support/gitops-fixtures.js';
import {
  basicAuthEntry,
  dockerConfig,
  type Pushed,
  pushImage,
  pushIndex,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

let registry: TestRegistry;
let config: string;
let template: string;
const p: Record<string, Pushed> = {};
/** State names of the base images, by repository. */
const bases: Record<string, string> = {};

const managed = (name: string) =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/mono\n      dockerfile: apps/${name}/Dockerfile\n      workflow: build.yaml\n`;

/** One platform of base/debian at `layer`, and the index over amd64 and arm64 (tagged 12). */
async function debianIndex(layer: string) {
  const amd64 = await pushImage(registry, 'base/debian', undefined, { architecture: 'amd64', layer });
  const arm64 = await pushImage(registry, 'base/debian', undefined, { architecture: 'arm64', layer });
  const index = await pushIndex(registry, 'base/debian', '12', 'oci', [
    { image: amd64, platform: { os: 'linux', architecture: 'amd64' } },
    { image: arm64, platform: { os: 'linux', architecture: 'arm64' } },
  ]);
  return { amd64, arm64, index };
}

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  p.node = await pushImage(registry, 'base/node', '22', { layer: 'node-a' });
  p.postgres = await pushImage(registry, 'vendor/postgres', '16', { layer: 'pg' });
  const first = await debianIndex('one');
  p.debianAmd64 = first.amd64;
  p.debianArm64 = first.arm64;
  p.debianIndex = first.index;
  template = createRemote({
    'images.yaml': `images:\n${managed('api')}${managed('web')}  - name: pg\n    registry: ${registry.host}\n    repository: vendor/postgres\n    allowTags: ^16$\n`,
    'apps/api/Dockerfile': `FROM ${registry.host}/base/node:22\n`,
    'apps/web/Dockerfile': `FROM ${registry.host}/base/debian:12\n`,
  });
  for (const name of ['api', 'web']) {
    const result = await analyze(template, name, '1.0', `sha256:${'1'.repeat(64)}`);
    expect(result.status, result.stderr).toBe(0);
  }
  for (const file of remoteFiles(template, 'image-factory/state/base-images')) {
    const state = parse(remoteFile(template, file) ?? '');
    bases[state.repository] = state.name;
  }
  expect(Object.keys(bases).sort()).toEqual(['base/debian', 'base/node']);
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

/** A fresh copy of the analysed remote. */
function world(): string {
  const remote = join(tempDir('if-remote-'), 'remote.git');
  git(tempDir(), 'clone', '--quiet', '--bare', template, remote);
  return remote;
}

/** A golden report of Trivy's naming `repository@digest` of the test registry, written to a file. */
function report(name: string, repository: string, digest: string): string {
  const file = join(tempDir('if-report-'), `${name}.json`);
  writeFileSync(
    file,
    fixture(`trivy-golden/${name}.json.golden`).replace(
      '${REPOSITORY}@${DIGEST}',
      `${registry.host}/${repository}@${digest}`,
    ),
  );
  return file;
}

function scan(remote: string, reports: readonly string[], ...extra: string[]) {
  return cli(
    [
      'scan',
      'record',
      ...reports.flatMap((r) => ['--report', r]),
      '--git-repo',
      remote,
      '--registry-config',
      config,
      '--insecure-registry',
      registry.host,
      '--retry-backoff',
      '50ms',
      '--json',
      ...extra,
    ],
    { env: ENV },
  );
}

const stateOf = (remote: string, file: string) => parse(remoteFile(remote, `image-factory/state/${file}`) ?? '');

/** debian-buster's summary (test/scan-summary.test.ts reads it off the fixture). */
const DEBIAN_BUSTER = {
  scannedAt: '2021-08-25T12:20:30Z',
  trivyVersion: 'dev',
  dbUpdatedAt: null,
  summary: { criticalCount: 1, highCount: 0, mediumCount: 0, lowCount: 1, unknownCount: 0 },
  fixable: [
    {
      id: 'CVE-2019-18224',
      severity: 'CRITICAL',
      package: 'libidn2-0',
      installed: '2.0.5-1',
      fixed: '2.0.5-1+deb10u1',
    },
  ],
  eosl: false,
};

describe('scan record', () => {
  test('a single-platform base: the scan in its state file, one commit; the same report again commits nothing', async () => {
    const remote = world();
    const file = report('debian-buster', 'base/node', p.node?.digest ?? '');
    const result = await scan(remote, [file]);
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    const expected = { digest: p.node?.digest, ...DEBIAN_BUSTER };
    expect(out).toMatchObject({ status: 'pushed', attempts: 1 });
    expect(out.entries).toEqual([
      {
        report: file,
        kind: 'base',
        name: bases['base/node'],
        file: `base-images/${bases['base/node']}.yaml`,
        outcome: 'recorded',
        scan: expected,
      },
    ]);
    expect(stateOf(remote, `base-images/${bases['base/node']}.yaml`).vulnerabilities).toEqual({ scans: [expected] });
    expect(remoteSubjects(remote)[0]).toBe(`image-factory: record vulnerability scans (${bases['base/node']})`);
    const head = remoteHead(remote);

    const again = await scan(remote, [file]);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      status: 'unchanged',
      commit: null,
      entries: [{ outcome: 'unchanged' }],
    });
    expect(remoteHead(remote)).toBe(head);
  });

  test('a multi-platform base: a platform manifest is recorded under the index digest, known from state or via the tag', async () => {
    const remote = world();
    const debian = bases['base/debian'] ?? '';
    // The Stage reported the first index: state records it as the current digest.
    const rebuilt = await cli(
      rebuildArgs(
        { remote, registryConfig: config, registryHost: registry.host, githubUrl: 'https://127.0.0.1:9' },
        '--base',
        debian,
        '--digest',
        p.debianIndex?.digest ?? '',
        '--released',
        '2026-11-01T00:00:00Z',
        '--now',
        '2026-11-01T00:00:00Z',
      ),
      { env: ENV },
    );
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(stateOf(remote, `base-images/${debian}.yaml`).rebuild.current.digest).toBe(p.debianIndex?.digest);
    // Then the tag moved on to a second index that no Stage has reported yet.
    const second = await debianIndex('two');

    const fromState = report('alpine-39', 'base/debian', p.debianAmd64?.digest ?? '');
    const viaTag = report('debian-buster', 'base/debian', second.arm64.digest);
    const result = await scan(remote, [fromState, viaTag]);
    expect(result.status, result.stderr).toBe(0);
    const scans = stateOf(remote, `base-images/${debian}.yaml`).vulnerabilities.scans;
    const byDigest = new Map(scans.map((s: { digest: string }) => [s.digest, s]));
    expect(byDigest.get(p.debianIndex?.digest ?? '')).toMatchObject({
      platformDigest: p.debianAmd64?.digest,
      eosl: true,
      summary: { criticalCount: 2, mediumCount: 4 },
    });
    expect(byDigest.get(second.index.digest)).toMatchObject({ platformDigest: second.arm64.digest, ...DEBIAN_BUSTER });
    expect(scans).toHaveLength(2);
    // Same scannedAt: ordered by digest.
    expect(scans.map((s: { digest: string }) => s.digest)).toEqual([p.debianIndex?.digest, second.index.digest].sort());
    expect(remoteSubjects(remote)[0]).toBe(`image-factory: record vulnerability scans (${debian})`);
  });

  test('an external image: the scan in images/<name>.yaml; a report with Results but no Vulnerabilities counts nothing', async () => {
    const remote = world();
    const result = await scan(remote, [report('sl-micro-rancher5.4', 'vendor/postgres', p.postgres?.digest ?? '')]);
    expect(result.status, result.stderr).toBe(0);
    expect(stateOf(remote, 'images/pg.yaml').vulnerabilities.scans).toEqual([
      {
        digest: p.postgres?.digest,
        scannedAt: '2021-08-25T12:20:30Z',
        trivyVersion: 'dev',
        dbUpdatedAt: null,
        summary: { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
        fixable: [],
        eosl: false,
      },
    ]);
  });

  test('two jobs at once on one branch: both scans land, neither lost (the loser records again on the new head)', async () => {
    const remote = world();
    const [a, b] = await Promise.all([
      scan(remote, [report('debian-buster', 'base/node', p.node?.digest ?? '')]),
      scan(remote, [report('mariner-1.0', 'vendor/postgres', p.postgres?.digest ?? '')]),
    ]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    expect(JSON.parse(a.stdout).status).toBe('pushed');
    expect(JSON.parse(b.stdout).status).toBe('pushed');
    expect(stateOf(remote, `base-images/${bases['base/node']}.yaml`).vulnerabilities.scans[0].digest).toBe(
      p.node?.digest,
    );
    expect(stateOf(remote, 'images/pg.yaml').vulnerabilities.scans[0].summary).toMatchObject({
      highCount: 1,
      lowCount: 1,
    });
    expect(remoteSubjects(remote).slice(0, 2).sort()).toEqual(
      [
        'image-factory: record vulnerability scans (pg)',
        `image-factory: record vulnerability scans (${bases['base/node']})`,
      ].sort(),
    );
  });

  test('--dry-run prints the entries and commits nothing', async () => {
    const remote = world();
    const head = remoteHead(remote);
    const result = await scan(remote, [report('mariner-1.0', 'base/node', p.node?.digest ?? '')], '--dry-run');
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'dry-run', entries: [{ outcome: 'recorded' }] });
    expect(remoteHead(remote)).toBe(head);
  });
});

describe('refused reports leave state untouched', () => {
  const good = () => report('debian-buster', 'base/node', p.node?.digest ?? '');
  const written = (text: string) => {
    const file = join(tempDir('if-report-'), 'bad.json');
    writeFileSync(file, text);
    return file;
  };

  test.each([
    [
      'a report of an image nobody enrolled names its RepoDigests',
      () => report('alpine-39', 'nobody/here', `sha256:${'4'.repeat(64)}`),
      1,
      () =>
        `matches no enrolled base image or external image: Metadata.RepoDigests ${registry.host}/nobody/here@sha256:${'4'.repeat(64)}`,
    ],
    ['a file that is not JSON', () => written('{"SchemaVersion": 2, '), 1, () => 'not a Trivy JSON report: not JSON'],
    [
      'a report of another schema version',
      () => written(JSON.stringify({ SchemaVersion: 1, Metadata: { RepoDigests: [] } })),
      1,
      () => 'SchemaVersion is 1, not 2',
    ],
    [
      'a report without RepoDigests (scanned from a tarball)',
      () => written(fixture('trivy-golden/alpine-39.json.golden').replace(/ {4}"RepoDigests": \[\n.*\n {4}\],\n/, '')),
      1,
      () => 'Metadata.RepoDigests is missing or empty',
    ],
    [
      `a file over ${MAX_REPORT_BYTES} bytes`,
      () => {
        const file = join(tempDir('if-report-'), 'huge.json');
        const fd = openSync(file, 'w');
        ftruncateSync(fd, MAX_REPORT_BYTES + 1);
        closeSync(fd);
        return file;
      },
      // Refused unread like every JSON file named (docs/cli.md): exit 2.
      2,
      () => `larger than ${MAX_REPORT_BYTES / 1024 / 1024} MiB`,
    ],
    ['a file that does not exist', () => join(tempDir('if-report-'), 'missing.json'), 2, () => 'cannot read'],
  ])('%s', async (_name, make, status, message) => {
    const remote = world();
    const head = remoteHead(remote);
    const bad = make();
    // Given after a good report: that one is not recorded either.
    const result = await scan(remote, [good(), bad]);
    expect(result.status, result.stderr).toBe(status);
    expect(result.stderr).toContain(`image-factory scan record: --report ${bad}: `);
    expect(result.stderr).toContain(message());
    expect(result.stdout).toBe('');
    expect(remoteHead(remote)).toBe(head);
  });

  test('a report whose JSON error would quote its text does not print it', async () => {
    const remote = world();
    const result = await scan(remote, [written('{"Secret": "hunter2-do-not-print" x}')]);
    expect(result.status).toBe(1);
    expect(result.stderr).not.toContain('hunter2');
  });
});

describe('the command line', () => {
  test('--help names the subcommands and the exit statuses; anything but "record" or "targets" is a usage error', async () => {
    const help = await cli(['scan', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: image-factory scan record --report FILE');
    expect(help.stdout).toContain('image-factory scan targets --git-repo URL');
    expect(help.stdout).toContain('Exit status: 0 recorded or nothing to record, 1 a report');
    const wrong = await cli(['scan', 'show', '--report', 'x.json', '--git-repo', 'x']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('the subcommands are "scan record" and "scan targets"');
    const none = await cli(['scan', 'record', '--git-repo', 'x']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--report FILE required');
  });

  test('a bad --now is a usage error naming the flag', async () => {
    const result = await cli([
      'scan',
      'record',
      '--report',
      'x.json',
      '--git-repo',
      'x',
      '--now',
      '2026-02-30T00:00:00Z',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--now "2026-02-30T00:00:00Z" is not a calendar date');
  });
});
