/**
 * People see the vulnerability facts in git (issue 21, item 4; README "Reports", DESIGN §12-13): every fact comes from
 * the scans recorded in the state (`vulnerabilities.scans[]`), none from a registry. Per base and external image:
 * the counts by severity of the scan of the digest in use (a base's `rebuild.current`, else its newest scan; an
 * external image's newest scan, newest by `scannedAt` whatever the order in the file), its fixable CRITICALs (each id
 * once), EOSL and the scan's age; per managed image: what its bases carry and what a rebuild would fix (the urgency
 * rule: the CRITICALs the newest digest no longer lists). A never-scanned image is "not scanned", never zeros. Shown
 * by `status` (table and --json), `report` (JSON and the page), the OpenMetrics gauges (parsed by prometheus_client)
 * and `compliance` (per container, and `--fail-on fixable-critical` / `eosl`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { boundedScans, scanTargets } from '../src/scan/index.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { carriedVulnerabilities, scanFacts } from '../src/state/freshness.js';
import { planStateUpdate } from '../src/state/plan.js';
import { renderState } from '../src/state/store.js';
import { EMPTY_STATE, type StateSnapshot, type VulnerabilityScan } from '../src/state/types.js';
import { cli } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = new Date('2026-11-10T00:00:00Z');
const AS_OF = ['--now', '2026-11-10T00:00:00Z'];
const API_BUILD = D('a');

const IMAGES = `images:
  - name: api
    registry: ghcr.io
    repository: acme/api
    source:
      provider: github
      repo: acme/api
      dockerfile: Dockerfile
  - name: web
    registry: ghcr.io
    repository: acme/web
    source:
      provider: github
      repo: acme/web
      dockerfile: Dockerfile
  - name: docs
    registry: ghcr.io
    repository: acme/docs
    source:
      provider: github
      repo: acme/docs
      dockerfile: Dockerfile
  - name: postgres
    registry: docker.io
    repository: library/postgres
    allowTags: '^16\\.\\d+$'
  - name: redis
    registry: docker.io
    repository: library/redis
    allowTags: '^7\\.\\d+$'
`;

type Finding = VulnerabilityScan['fixable'][number];
const critical = (id: string, pkg = 'libssl3'): Finding => ({
  id,
  severity: 'CRITICAL',
  package: pkg,
  installed: '1.0-1',
  fixed: '1.0-2',
});
const high = (id: string): Finding => ({ ...critical(id), severity: 'HIGH' });
const scan = (
  digest: string,
  scannedAt: string,
  counts: [number, number, number, number, number],
  fixable: Finding[],
  eosl = false,
): VulnerabilityScan => ({
  digest,
  scannedAt,
  trivyVersion: '0.58.1',
  dbUpdatedAt: '2026-11-01T00:00:00Z',
  summary: {
    criticalCount: counts[0],
    highCount: counts[1],
    mediumCount: counts[2],
    lowCount: counts[3],
    unknownCount: counts[4],
  },
  fixable,
  eosl,
});

// node:22: its dependents are built on digest 1 (two fixable CRITICALs, one of them in two packages); its newest
// digest 2 (scanned later, listed first) still has CVE-2026-0002 only: a rebuild would fix CVE-2026-0001.
const NODE_CURRENT = scan(
  D('1'),
  '2026-11-07T00:00:00Z',
  [2, 1, 3, 4, 1],
  [
    critical('CVE-2026-0002', 'zlib1g'),
    critical('CVE-2026-0001', 'libssl3'),
    critical('CVE-2026-0001', 'libcrypto3'),
    high('CVE-2026-0100'),
  ],
);
const NODE_LATEST = scan(D('2'), '2026-11-09T00:00:00Z', [1, 0, 2, 0, 0], [critical('CVE-2026-0002', 'zlib1g')]);
// debian:8 has no rebuild record: its newest scan (digest 3, listed first) is shown, not the older one listed last.
const DEBIAN_NEWEST = scan(D('3'), '2026-11-08T12:00:00Z', [0, 2, 5, 7, 0], [high('CVE-2026-0200')], true);
const DEBIAN_OLDER = scan(D('4'), '2026-11-05T00:00:00Z', [3, 0, 0, 0, 0], [critical('CVE-2026-0300')], false);
// postgres (external): digest 5 had a fixable CRITICAL; digest 6, scanned later, has none.
const PG_OLDER = scan(D('5'), '2026-11-01T00:00:00Z', [1, 0, 0, 0, 0], [critical('CVE-2026-0005')]);
// Digest 6 is an index: Trivy scanned its platform manifest e (a container may report either).
const PG_NEWEST = { ...scan(D('6'), '2026-11-09T06:00:00Z', [0, 1, 0, 0, 0], []), platformDigest: D('e') };

function fixtureState(): StateSnapshot {
  const enrolment = loadEnrolment(IMAGES, 'images.yaml');
  const planned = planStateUpdate(EMPTY_STATE, enrolment, [
    {
      image: 'api',
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile('FROM node:22 AS build\nFROM debian:8\n', 'Dockerfile', {}),
      build: { tag: '1.0', digest: API_BUILD },
    },
    {
      image: 'web',
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile('FROM node:22\nCOPY --from=alpine:3.20 /etc/os-release /\n', 'Dockerfile', {}),
      build: { tag: '2.0', digest: D('b') },
    },
    // docs: built on a base never scanned, and no build of it analysed yet.
    { image: 'docs', dockerfile: 'Dockerfile', uses: analyseDockerfile('FROM alpine:3.20\n', 'Dockerfile', {}) },
  ]);
  const baseImages = new Map(planned.baseImages);
  const images = new Map(planned.images);
  const base = (name: string) => {
    const b = baseImages.get(name);
    if (b === undefined) throw new Error(`${name} not planned: ${[...baseImages.keys()].join(', ')}`);
    return b;
  };
  baseImages.set('node-22', {
    ...base('node-22'),
    rebuild: {
      current: { digest: D('1'), released: '2026-10-01T00:00:00Z', seen: '2026-10-01T00:00:00Z' },
      latest: { digest: D('2'), released: '2026-11-03T00:00:00Z', seen: '2026-11-03T00:00:00Z' },
      pending: [],
      history: [],
    },
    vulnerabilities: { scans: [NODE_LATEST, NODE_CURRENT] },
  });
  baseImages.set('debian-8', { ...base('debian-8'), vulnerabilities: { scans: [DEBIAN_NEWEST, DEBIAN_OLDER] } });
  base('alpine-3-20'); // never scanned
  const postgres = images.get('postgres');
  if (postgres?.kind !== 'external') throw new Error('postgres not planned as external');
  images.set('postgres', { ...postgres, vulnerabilities: { scans: [PG_NEWEST, PG_OLDER] } });
  return { images, baseImages };
}

let root: string;

beforeAll(() => {
  root = tempDir('if-views-vulns-');
  writeFileSync(join(root, 'images.yaml'), IMAGES);
  for (const [path, content] of renderState(fixtureState())) {
    mkdirSync(join(root, 'image-factory', 'state', path, '..'), { recursive: true });
    writeFileSync(join(root, 'image-factory', 'state', path), content);
  }
});

const NODE_FACTS = {
  digest: D('1'),
  scan: {
    digest: D('1'),
    scannedAt: '2026-11-07T00:00:00Z',
    ageDays: 3,
    ageSeconds: 3 * 86_400,
    trivyVersion: '0.58.1',
    dbUpdatedAt: '2026-11-01T00:00:00Z',
    summary: { criticalCount: 2, highCount: 1, mediumCount: 3, lowCount: 4, unknownCount: 1 },
    fixableCritical: ['CVE-2026-0001', 'CVE-2026-0002'],
    eosl: false,
  },
  latest: {
    digest: D('2'),
    scan: expect.objectContaining({
      summary: { criticalCount: 1, highCount: 0, mediumCount: 2, lowCount: 0, unknownCount: 0 },
      fixableCritical: ['CVE-2026-0002'],
      ageDays: 1,
    }),
  },
  fixedByLatest: ['CVE-2026-0001'],
};
const DEBIAN_FACTS = {
  digest: D('3'),
  scan: expect.objectContaining({
    digest: D('3'),
    ageDays: 1,
    ageSeconds: 36 * 3600,
    summary: { criticalCount: 0, highCount: 2, mediumCount: 5, lowCount: 7, unknownCount: 0 },
    fixableCritical: [],
    eosl: true,
  }),
  latest: null,
  fixedByLatest: [],
};
const NOT_SCANNED = { digest: null, scan: null, latest: null, fixedByLatest: [] };
const POSTGRES_FACTS = {
  digest: D('6'),
  scan: expect.objectContaining({
    digest: D('6'),
    ageDays: 0,
    ageSeconds: 18 * 3600,
    summary: { criticalCount: 0, highCount: 1, mediumCount: 0, lowCount: 0, unknownCount: 0 },
    fixableCritical: [],
    eosl: false,
  }),
  latest: null,
  fixedByLatest: [],
};
// api is built on node:22 (digest 1) and debian:8 (digest 3): their counts added up.
const API_CARRIED = {
  summary: { criticalCount: 2, highCount: 3, mediumCount: 8, lowCount: 11, unknownCount: 1 },
  fixableCritical: ['CVE-2026-0001', 'CVE-2026-0002'],
  eoslBases: ['debian-8'],
  notScanned: [],
  rebuildWouldFix: ['CVE-2026-0001'],
};
const DOCS_CARRIED = {
  summary: null,
  fixableCritical: [],
  eoslBases: [],
  notScanned: ['alpine-3-20'],
  rebuildWouldFix: [],
};
const WEB_CARRIED = {
  summary: { criticalCount: 2, highCount: 1, mediumCount: 3, lowCount: 4, unknownCount: 1 },
  fixableCritical: ['CVE-2026-0001', 'CVE-2026-0002'],
  eoslBases: [],
  notScanned: ['alpine-3-20'],
  rebuildWouldFix: ['CVE-2026-0001'],
};

describe('the rule: which scan is shown', () => {
  test('a base with a current digest shows that digest’s scan, even when a newer scan of another digest exists', () => {
    const node = fixtureState().baseImages.get('node-22');
    if (node === undefined) throw new Error('no node-22');
    expect(scanFacts(node, '2026-11-10T00:00:00Z')).toEqual(NODE_FACTS);
    // The current digest not scanned: "not scanned", not the newest digest's counts.
    const unscanned = { ...node, vulnerabilities: { scans: [NODE_LATEST] } };
    expect(scanFacts(unscanned, '2026-11-10T00:00:00Z')).toMatchObject({
      digest: D('1'),
      scan: null,
      fixedByLatest: [],
    });
  });

  test('a base pinned by digest in its Dockerfile shows the pinned digest’s scan', () => {
    const enrolment = loadEnrolment(IMAGES, 'images.yaml');
    const pinned = planStateUpdate(EMPTY_STATE, enrolment, [
      {
        image: 'api',
        dockerfile: 'Dockerfile',
        uses: analyseDockerfile(`FROM debian:8@${D('4')}\n`, 'Dockerfile', {}),
        build: { tag: '1.0', digest: API_BUILD },
      },
    ]);
    const base = [...pinned.baseImages.values()][0];
    if (base === undefined) throw new Error('no base');
    const facts = scanFacts(
      { ...base, vulnerabilities: { scans: [DEBIAN_NEWEST, DEBIAN_OLDER] } },
      '2026-11-10T00:00:00Z',
    );
    expect(facts).toMatchObject({ digest: D('4'), scan: { digest: D('4'), fixableCritical: ['CVE-2026-0300'] } });
  });

  test('two scans of the same second: the same one is the newest whatever their order in the file', () => {
    const postgres = fixtureState().images.get('postgres');
    if (postgres?.kind !== 'external') throw new Error('no postgres');
    const twin = { ...PG_OLDER, scannedAt: PG_NEWEST.scannedAt };
    const newest = (scans: VulnerabilityScan[]) =>
      scanFacts({ ...postgres, vulnerabilities: { scans } }, '2026-11-10T00:00:00Z').digest;
    expect(newest([twin, PG_NEWEST])).toBe(newest([PG_NEWEST, twin]));
    // One tie rule (issue 20): the state file lists the smaller digest first at the same second, and the views show
    // the scan the file lists first, the one the rescan takes first too.
    expect(newest([PG_NEWEST, twin])).toBe(D('5'));
    expect(boundedScans([PG_NEWEST, twin], new Set())[0]?.digest).toBe(D('5'));
    const rescanned = scanTargets({
      images: new Map([['postgres', { ...postgres, vulnerabilities: { scans: [PG_NEWEST, twin] } }]]),
      baseImages: new Map(),
    }).map((t) => t.digest);
    expect(rescanned[0]).toBe(D('5'));
  });

  test('a base with a rebuild record but no current digest shows its newest scan; a latest equal to current is not a newer digest', () => {
    const debian = fixtureState().baseImages.get('debian-8');
    if (debian === undefined) throw new Error('no debian-8');
    const seen = { digest: D('3'), released: '2026-11-01T00:00:00Z', seen: '2026-11-01T00:00:00Z' };
    expect(scanFacts({ ...debian, rebuild: { pending: [], history: [] } }, '2026-11-10T00:00:00Z')).toEqual(
      DEBIAN_FACTS,
    );
    const same = { ...debian, rebuild: { current: seen, latest: seen, pending: [], history: [] } };
    expect(scanFacts(same, '2026-11-10T00:00:00Z')).toEqual(DEBIAN_FACTS);
  });

  test('a view that shows no age (compliance) gets none; a base with no state file is not scanned', () => {
    const state = fixtureState();
    const node = state.baseImages.get('node-22');
    if (node === undefined) throw new Error('no node-22');
    expect(scanFacts(node, null).scan).toMatchObject({
      ageDays: null,
      ageSeconds: null,
      fixableCritical: NODE_FACTS.scan.fixableCritical,
    });
    const docs = state.images.get('docs');
    if (docs?.kind !== 'managed') throw new Error('no docs');
    const withoutAlpine = {
      images: state.images,
      baseImages: new Map([...state.baseImages].filter(([n]) => n !== 'alpine-3-20')),
    };
    expect(carriedVulnerabilities(docs, withoutAlpine, '2026-11-10T00:00:00Z')).toEqual({
      ...DOCS_CARRIED,
      bases: [
        {
          name: 'alpine-3-20',
          digest: null,
          scanned: false,
          summary: null,
          fixableCritical: [],
          eosl: false,
          scanAgeDays: null,
          fixedByLatest: [],
        },
      ],
    });
  });

  test('a scan later than now has no age (never a negative one)', () => {
    const postgres = fixtureState().images.get('postgres');
    if (postgres?.kind !== 'external') throw new Error('no postgres');
    expect(scanFacts(postgres, '2026-11-09T00:00:00Z').scan).toMatchObject({ ageDays: null, ageSeconds: null });
  });
});

describe('status', () => {
  test('--json: per base and external image the scan of the digest in use; per managed image what its bases carry', async () => {
    const result = await cli(['status', '--root', root, '--json'], { now: NOW });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const { vulnerabilities } = JSON.parse(result.stdout);
    expect(vulnerabilities.baseImages).toEqual([
      { name: 'alpine-3-20', ...NOT_SCANNED },
      { name: 'debian-8', ...DEBIAN_FACTS },
      { name: 'node-22', ...NODE_FACTS },
    ]);
    expect(vulnerabilities.externalImages).toEqual([
      { name: 'postgres', ...POSTGRES_FACTS },
      { name: 'redis', ...NOT_SCANNED },
    ]);
    expect(vulnerabilities.managedImages).toEqual([
      expect.objectContaining({ name: 'api', ...API_CARRIED }),
      expect.objectContaining({ name: 'docs', ...DOCS_CARRIED }),
      expect.objectContaining({ name: 'web', ...WEB_CARRIED }),
    ]);
    const apiBases = vulnerabilities.managedImages[0].bases;
    expect(apiBases).toEqual([
      {
        name: 'debian-8',
        digest: D('3'),
        scanned: true,
        summary: DEBIAN_NEWEST.summary,
        fixableCritical: [],
        eosl: true,
        scanAgeDays: 1,
        fixedByLatest: [],
      },
      {
        name: 'node-22',
        digest: D('1'),
        scanned: true,
        summary: NODE_CURRENT.summary,
        fixableCritical: ['CVE-2026-0001', 'CVE-2026-0002'],
        eosl: false,
        scanAgeDays: 3,
        fixedByLatest: ['CVE-2026-0001'],
      },
    ]);
  });

  test('the table: counts, fixable CRITICALs, EOSL, scan age, "not scanned"; what a rebuild would fix', async () => {
    const result = await cli(['status', '--root', root], { now: NOW });
    expect(result.status).toBe(0);
    const vulnerabilities = result.stdout.slice(result.stdout.indexOf('vulnerabilities'));
    const row = (name: string) => vulnerabilities.split('\n').find((l) => l.trimStart().startsWith(`${name} `)) ?? '';
    expect(row('node-22')).toMatch(
      /node-22 +base +sha256:111111111111 +2\/1\/3\/4\/1 +CVE-2026-0001, CVE-2026-0002 +no +3d ago +newest digest fixes CVE-2026-0001$/,
    );
    expect(row('debian-8')).toMatch(/debian-8 +base +sha256:333333333333 +0\/2\/5\/7\/0 +- +EOSL +1d ago/);
    expect(row('alpine-3-20')).toMatch(/alpine-3-20 +base +- +- +- +- +- +not scanned/);
    expect(row('postgres')).toMatch(/postgres +external +sha256:666666666666 +0\/1\/0\/0\/0 +- +no +0d ago/);
    expect(row('redis')).toMatch(/redis +external .*not scanned/);
    expect(row('api')).toMatch(/api +2\/3\/8\/11\/1 +CVE-2026-0001, CVE-2026-0002 +debian-8 +CVE-2026-0001$/);
    expect(row('docs')).toMatch(/docs +- +- +- +- +not scanned: alpine-3-20$/);
    expect(row('web')).toMatch(
      /web +2\/1\/3\/4\/1 +CVE-2026-0001, CVE-2026-0002 +- +CVE-2026-0001 +not scanned: alpine-3-20$/,
    );
  });

  test('a state with no scan at all says so in one line', async () => {
    const bare = tempDir('if-views-vulns-none-');
    writeFileSync(join(bare, 'images.yaml'), IMAGES);
    const state = fixtureState();
    const stripped: StateSnapshot = {
      images: new Map(
        [...state.images].map(([k, v]) => [k, v.kind === 'external' ? { ...v, vulnerabilities: undefined } : v]),
      ),
      baseImages: new Map([...state.baseImages].map(([k, v]) => [k, { ...v, vulnerabilities: undefined }])),
    };
    for (const [path, content] of renderState(stripped)) {
      mkdirSync(join(bare, 'image-factory', 'state', path, '..'), { recursive: true });
      writeFileSync(join(bare, 'image-factory', 'state', path), content);
    }
    const result = await cli(['status', '--root', bare], { now: NOW });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('vulnerabilities: no scan recorded yet');
    expect(result.stdout).not.toContain('C/H/M/L/U');
  });
});

describe('report', () => {
  test('--json: the same facts per image and base image, and counted in the summary', async () => {
    const result = await cli(['report', '--root', root, '--json', ...AS_OF]);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    const image = (name: string) => report.images.find((i: { name: string }) => i.name === name);
    const base = (name: string) => report.baseImages.find((b: { name: string }) => b.name === name);
    expect(base('node-22').vulnerabilities).toEqual(NODE_FACTS);
    expect(base('debian-8').vulnerabilities).toEqual(DEBIAN_FACTS);
    expect(base('alpine-3-20').vulnerabilities).toEqual(NOT_SCANNED);
    expect(image('postgres')).toMatchObject({ vulnerabilities: POSTGRES_FACTS, carried: null });
    expect(image('redis')).toMatchObject({ vulnerabilities: NOT_SCANNED, carried: null });
    expect(image('api')).toMatchObject({ vulnerabilities: null, carried: API_CARRIED });
    expect(image('web')).toMatchObject({ vulnerabilities: null, carried: WEB_CARRIED });
    expect(image('docs')).toMatchObject({ vulnerabilities: null, carried: DOCS_CARRIED });
    expect(report.summary.vulnerabilities).toEqual({
      scanned: 3,
      notScanned: 2,
      fixableCritical: 1,
      eosl: 1,
      managedWithFixableCritical: 2,
    });
  });

  test('the page: counts, fixable CRITICALs, a visible EOSL marker, scan age, "not scanned", what a rebuild would fix', async () => {
    const result = await cli(['report', '--root', root, ...AS_OF]);
    expect(result.status).toBe(0);
    const page = result.stdout;
    const row = (attr: string, name: string) => page.match(new RegExp(`<tr ${attr}="${name}">.*?</tr>`))?.[0] ?? '';
    const text = (html: string) => html.replace(/<[^>]+>/g, '');
    const EOSL = /<span class="eosl"[^>]*>EOSL<\/span>/;
    expect(text(row('data-name', 'api'))).toContain('C 2 · H 3 · M 8 · L 11 · U 1');
    expect(row('data-name', 'api')).toMatch(EOSL);
    expect(text(row('data-name', 'api'))).toContain('fixable CRITICAL: CVE-2026-0001, CVE-2026-0002');
    expect(text(row('data-name', 'api'))).toContain('a rebuild would fix: CVE-2026-0001');
    expect(text(row('data-name', 'web'))).toContain('not scanned: alpine-3-20');
    expect(row('data-name', 'web')).not.toMatch(EOSL);
    expect(text(row('data-name', 'postgres'))).toContain('C 0 · H 1 · M 0 · L 0 · U 0');
    expect(text(row('data-name', 'postgres'))).toContain('scanned 0 d ago');
    expect(text(row('data-name', 'redis'))).toContain('not scanned');
    expect(row('data-base', 'debian-8')).toMatch(EOSL);
    expect(text(row('data-base', 'debian-8'))).toContain('scanned 1 d ago');
    expect(text(row('data-base', 'node-22'))).toContain('a rebuild onto the newest digest fixes: CVE-2026-0001');
    expect(text(row('data-base', 'node-22'))).toContain('newest digest: C 1 · H 0 · M 2 · L 0 · U 0');
    expect(text(row('data-base', 'alpine-3-20'))).toContain('not scanned');
    expect(page).toMatch(/<b>EOSL<\/b>1</);
    expect(page).toMatch(/<b>not scanned<\/b>2</);
  });

  test('OpenMetrics: counts by severity, fixable CRITICALs, EOSL and scan age per image, as prometheus_client parses them', async () => {
    const result = await cli(['report', '--root', root, '--format', 'openmetrics', ...AS_OF]);
    expect(result.status).toBe(0);
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const parsed: Record<string, number> = JSON.parse(
      execFileSync(
        python,
        [
          '-c',
          'import sys, json\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as p\nprint(json.dumps({s.name + json.dumps(s.labels, sort_keys=True): s.value for f in p(sys.stdin.read()) for s in f.samples}, sort_keys=True))',
        ],
        { input: result.stdout, encoding: 'utf8' },
      ),
    );
    const of = (prefix: string) =>
      Object.fromEntries(Object.entries(parsed).filter(([k]) => k.startsWith(`image_factory_${prefix}{`)));
    const node = (severity: string) =>
      `image_factory_vulnerabilities{"image": "node-22", "kind": "base", "severity": "${severity}"}`;
    expect(of('vulnerabilities')).toMatchObject({
      [node('critical')]: 2,
      [node('high')]: 1,
      [node('medium')]: 3,
      [node('low')]: 4,
      [node('unknown')]: 1,
      'image_factory_vulnerabilities{"image": "postgres", "kind": "external", "severity": "high"}': 1,
      'image_factory_vulnerabilities{"image": "debian-8", "kind": "base", "severity": "low"}': 7,
    });
    // Three scanned images, five severities each; nothing for alpine and redis (never scanned: absent, not 0).
    expect(Object.keys(of('vulnerabilities'))).toHaveLength(15);
    expect(of('fixable_critical')).toEqual({
      'image_factory_fixable_critical{"image": "api", "kind": "managed"}': 2,
      'image_factory_fixable_critical{"image": "debian-8", "kind": "base"}': 0,
      'image_factory_fixable_critical{"image": "node-22", "kind": "base"}': 2,
      'image_factory_fixable_critical{"image": "postgres", "kind": "external"}': 0,
      'image_factory_fixable_critical{"image": "web", "kind": "managed"}': 2,
    });
    expect(of('eosl')).toEqual({
      'image_factory_eosl{"image": "api", "kind": "managed"}': 1,
      'image_factory_eosl{"image": "debian-8", "kind": "base"}': 1,
      'image_factory_eosl{"image": "node-22", "kind": "base"}': 0,
      'image_factory_eosl{"image": "postgres", "kind": "external"}': 0,
      'image_factory_eosl{"image": "web", "kind": "managed"}': 0,
    });
    expect(of('scan_age_seconds')).toEqual({
      'image_factory_scan_age_seconds{"image": "debian-8", "kind": "base"}': 129_600,
      'image_factory_scan_age_seconds{"image": "node-22", "kind": "base"}': 259_200,
      'image_factory_scan_age_seconds{"image": "postgres", "kind": "external"}': 64_800,
    });
  });

  test('OpenMetrics as of a time before a scan: that scan has no age sample (never a negative age)', async () => {
    const result = await cli(['report', '--root', root, '--format', 'openmetrics', '--now', '2026-11-09T00:00:00Z']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('image_factory_scan_age_seconds{image="node-22",kind="base"} 172800\n');
    expect(result.stdout).not.toMatch(/^image_factory_scan_age_seconds\{image="postgres"/m);
    expect(result.stdout).toMatch(
      /^image_factory_vulnerabilities\{image="postgres",kind="external",severity="high"\} 1$/m,
    );
  });
});

/** A pod list as the Kubernetes API returns it: one StatefulSet pod per container given. */
function pods(containers: readonly { name: string; image: string; imageID: string }[]): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: containers.map((c) => ({
      metadata: {
        name: `${c.name}-0`,
        namespace: 'shop',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: c.name, controller: true }],
      },
      spec: { containers: [{ name: c.name, image: c.image }] },
      status: { containerStatuses: [{ name: c.name, image: c.image, imageID: c.imageID }] },
    })),
  });
}

describe('compliance', () => {
  const RUNNING = pods([
    { name: 'api', image: 'ghcr.io/acme/api:1.0', imageID: `ghcr.io/acme/api@${API_BUILD}` },
    { name: 'api-old', image: 'ghcr.io/acme/api:0.9', imageID: `ghcr.io/acme/api@${D('9')}` },
    { name: 'pg-old', image: 'postgres:16.4', imageID: `docker-pullable://postgres@${D('5')}` },
    { name: 'pg', image: 'postgres:16.5', imageID: `docker-pullable://postgres@${D('6')}` },
    { name: 'pg-arm', image: 'postgres:16.5', imageID: `docker-pullable://postgres@${D('e')}` },
    { name: 'cache', image: 'redis:7.4', imageID: `docker-pullable://redis@${D('7')}` },
    { name: 'legacy', image: 'debian:8', imageID: `docker-pullable://debian@${D('3')}` },
    { name: 'docs', image: 'ghcr.io/acme/docs:1', imageID: `ghcr.io/acme/docs@${D('d')}` },
    { name: 'pg-pulling', image: 'postgres:16.5', imageID: '' },
  ]);

  test('--json: each container with what the scans find in what it runs, and the containers counted', async () => {
    const result = await cli(['compliance', '--workloads', '-', '--root', root, '--json'], { input: RUNNING });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    const containers = Object.fromEntries(
      report.workloads.flatMap((w: { containers: { container: string; vulnerabilities: unknown }[] }) =>
        w.containers.map((c) => [c.container, c.vulnerabilities]),
      ),
    );
    expect(containers).toEqual({
      // The last analysed build: its bases' current digests.
      api: {
        fixableCritical: ['CVE-2026-0001', 'CVE-2026-0002'],
        eosl: ['debian-8'],
        rebuildWouldFix: ['CVE-2026-0001'],
        notScanned: [],
      },
      // Another build: the bases it was built on are not recorded, so nothing is claimed about it.
      'api-old': null,
      // An external image: the scan of the digest it runs, not the newest digest's.
      'pg-old': { fixableCritical: ['CVE-2026-0005'], eosl: [], rebuildWouldFix: [], notScanned: [] },
      pg: { fixableCritical: [], eosl: [], rebuildWouldFix: [], notScanned: [] },
      // The platform manifest Trivy scanned: the same scan.
      'pg-arm': { fixableCritical: [], eosl: [], rebuildWouldFix: [], notScanned: [] },
      cache: { fixableCritical: [], eosl: [], rebuildWouldFix: [], notScanned: ['redis'] },
      legacy: { fixableCritical: [], eosl: ['debian-8'], rebuildWouldFix: [], notScanned: [] },
      // No build of docs analysed: what it runs is not known. Nothing runs yet in pg-pulling.
      docs: null,
      'pg-pulling': null,
    });
    expect(report.vulnerable).toEqual({ fixableCritical: 2, eosl: 2 });
  });

  test('the table says it per container and in the closing line', async () => {
    const result = await cli(['compliance', '--workloads', '-', '--root', root], { input: RUNNING });
    expect(result.status).toBe(0);
    const line = (name: string) => result.stdout.split('\n').find((l) => l.trimStart().startsWith(`${name}-0/`)) ?? '';
    expect(line('api')).toMatch(
      /fixable CRITICAL CVE-2026-0001, CVE-2026-0002; EOSL debian-8; a rebuild would fix CVE-2026-0001$/,
    );
    expect(line('cache')).toMatch(/not scanned: redis$/);
    expect(line('pg')).toMatch(/no fixable CRITICAL$/);
    expect(line('api-old')).toMatch(/ -$/);
    expect(result.stdout).toMatch(/; 2 carry a fixable CRITICAL, 2 on an end-of-life OS$/m);
  });

  test('--fail-on fixable-critical and eosl: exit 1 when a container matches, 0 when none does', async () => {
    const run = (input: string, failOn: string) =>
      cli(['compliance', '--workloads', '-', '--root', root, '--fail-on', failOn], { input });
    expect((await run(RUNNING, 'fixable-critical')).status).toBe(1);
    expect((await run(RUNNING, 'eosl')).status).toBe(1);
    const clean = pods([{ name: 'pg', image: 'postgres:16.5', imageID: `docker-pullable://postgres@${D('6')}` }]);
    expect((await run(clean, 'fixable-critical,eosl')).status).toBe(0);
    const eoslOnly = pods([{ name: 'legacy', image: 'debian:8', imageID: `docker-pullable://debian@${D('3')}` }]);
    expect((await run(eoslOnly, 'fixable-critical')).status).toBe(0);
    expect((await run(eoslOnly, 'behind,eosl')).status).toBe(1);
    const bad = await run(clean, 'critical');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--fail-on takes a comma-separated list of behind, stale, fixable-critical, eosl');
    expect(bad.stderr).toContain('"critical"');
  });
});
