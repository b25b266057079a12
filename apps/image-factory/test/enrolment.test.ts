import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseDelay } from '../src/enrolment/duration.js';
import { EnrolmentError, loadEnrolment } from '../src/enrolment/load.js';
import { IMAGES_SCHEMA } from '../src/enrolment/schema.js';
import { fixture, REPO_ROOT } from './helpers.js';

function problemsOf(name: string): string[] {
  try {
    loadEnrolment(fixture(`enrolment/${name}`), name);
  } catch (error) {
    if (error instanceof EnrolmentError) return error.message.split('\n');
    throw error;
  }
  throw new Error(`${name} was accepted`);
}

describe('loadEnrolment', () => {
  it('loads managed and external images with defaults applied', () => {
    const enrolment = loadEnrolment(fixture('enrolment/valid.images.yaml'));
    expect(enrolment.defaults).toEqual({
      rebuildDelaySeconds: 2 * 86_400,
      autoRebuild: true,
      interval: '5m0s',
      baseImageInterval: '1h0m0s',
      discoveryLimit: 20,
    });
    expect(enrolment.images).toEqual([
      {
        name: 'app',
        kind: 'managed',
        registry: 'ghcr.io',
        repository: 'acme/app',
        rebuildDelaySeconds: 2 * 86_400,
        autoRebuild: true,
        source: {
          provider: 'github',
          repo: 'acme/app',
          branch: 'main',
          dockerfile: 'Dockerfile',
          buildArgs: { NODE_MAJOR: '22' },
          triggerInputs: {},
        },
        subscription: {},
      },
      {
        name: 'postgres',
        kind: 'external',
        registry: 'docker.io',
        repository: 'library/postgres',
        rebuildDelaySeconds: 0,
        autoRebuild: true,
        allowTags: '^16\\.\\d+$',
        imageSelectionStrategy: 'SemVer',
      },
    ]);
  });

  it('names file, line, column and field path', () => {
    expect(problemsOf('bad-provider.images.yaml')).toEqual([
      'bad-provider.images.yaml:13:17: images[1].source.provider must be github or gitlab',
    ]);
  });

  it('reports every schema problem at once', () => {
    expect(problemsOf('schema-problems.images.yaml')).toEqual([
      'schema-problems.images.yaml:2:17: defaults.rebuildDelay must be "0" (quoted) or a number with a unit s, m, h, d or w (e.g. 12h, 7d)',
      'schema-problems.images.yaml:4:11: images[0].name must be a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters',
      'schema-problems.images.yaml:7:5: images[0].sorce is not a known field (check the spelling; see image-factory/schema/images.schema.json)',
      'schema-problems.images.yaml:8:5: images[1].registry is required',
    ]);
  });

  it('checks names, regexes, Kargo rules and repositories beyond the schema', () => {
    expect(problemsOf('semantic-problems.images.yaml')).toEqual([
      'semantic-problems.images.yaml:5:16: images[0].allowTags uses lookaround or a backreference, which Kargo (Go RE2) does not support',
      'semantic-problems.images.yaml:6:5: images[1].allowTags is required for an external image (an image without source)',
      'semantic-problems.images.yaml:6:11: images[1].name "dup" is already used by images[0]; names must be unique',
      'semantic-problems.images.yaml:9:5: images[2].constraint is required with imageSelectionStrategy Digest (the tag to follow)',
      'semantic-problems.images.yaml:16:17: images[3].repository with registry "ghcr.io" is not a valid image: repository "Acme/Upper" must be lowercase',
      'semantic-problems.images.yaml:21:16: images[4].allowTags is not a valid regular expression: Invalid regular expression: /(unclosed/: Unterminated group',
      'semantic-problems.images.yaml:28:19: images[5].source.dockerfile must be a relative path inside the source repository',
      'semantic-problems.images.yaml:31:17: images[6].repository docker.io/library/redis is already enrolled as images[0]',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problemsOf('yaml-syntax.images.yaml')[0]).toMatch(/^yaml-syntax\.images\.yaml:4:1: \(yaml\) /);
  });

  it('rejects duplicate keys and a missing images list', () => {
    expect(() => loadEnrolment('images: []\nimages: []\n')).toThrow(
      /images.yaml:2:1: \(yaml\) Map keys must be unique/,
    );
    expect(() => loadEnrolment('defaults: {}\n')).toThrow(/images.yaml:1:1: images is required/);
  });

  it('accepts Go RE2 inline flags and named groups that JavaScript spells differently', () => {
    const text =
      "images:\n  - {name: a, registry: docker.io, repository: library/a, allowTags: '(?i)^v(?P<major>1)\\.'}\n";
    expect(loadEnrolment(text).images[0]).toMatchObject({ kind: 'external' });
  });

  it('loads the example catalogue shipped at the repository root', () => {
    const enrolment = loadEnrolment(readFileSync(`${REPO_ROOT}/images.yaml`, 'utf8'));
    expect(enrolment.images.map((i) => `${i.name}:${i.kind}`)).toEqual([
      'node-base:managed',
      'backstage:managed',
      'api:managed',
      'docs:managed',
      'image-factory:managed',
      'postgres:external',
      'redis:external',
    ]);
  });

  it('reduces the URL forms of source.repo to the short form the forge APIs take, once, at load', () => {
    const source = (provider: string, repo: string) =>
      `images:\n  - name: app\n    registry: ghcr.io\n    repository: acme/app\n    source: {provider: ${provider}, repo: '${repo}', dockerfile: Dockerfile}\n`;
    const repoOf = (text: string) => {
      const [image] = loadEnrolment(text).images;
      return image?.kind === 'managed' ? image.source.repo : undefined;
    };
    expect(repoOf(source('github', 'https://github.com/acme/platform.git'))).toBe('acme/platform');
    expect(repoOf(source('github', 'git@github.com:acme/platform.git'))).toBe('acme/platform');
    expect(repoOf(source('github', 'acme/platform'))).toBe('acme/platform');
    expect(repoOf(source('gitlab', 'https://gitlab.com/acme/platform/docs'))).toBe('acme/platform/docs');
    expect(repoOf(source('gitlab', '4217'))).toBe('4217');
  });

  it('the shipped JSON Schema refuses unsafe forge coordinates too (editors see what validate refuses)', () => {
    const shipped = JSON.parse(readFileSync(`${REPO_ROOT}/image-factory/schema/images.schema.json`, 'utf8'));
    const check = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(shipped);
    const file = (source: Record<string, string>) => ({
      images: [
        { name: 'app', registry: 'ghcr.io', repository: 'acme/app', source: { dockerfile: 'Dockerfile', ...source } },
      ],
    });
    expect(check(file({ provider: 'github', repo: 'acme/app', workflow: 'build.yaml' }))).toBe(true);
    expect(check(file({ provider: 'github', repo: 'git@github.com:acme/app.git', workflow: '42' }))).toBe(true);
    expect(check(file({ provider: 'gitlab', repo: 'acme/platform/docs' }))).toBe(true);
    expect(check(file({ provider: 'github', repo: '../../../evil/x', workflow: 'build.yaml' }))).toBe(false);
    expect(check(file({ provider: 'github', repo: 'acme/app', workflow: '..' }))).toBe(false);
    expect(check(file({ provider: 'github', repo: 'acme/app', workflow: '.github/workflows/b.yaml' }))).toBe(false);
    expect(check(file({ provider: 'gitlab', repo: 'acme/../docs' }))).toBe(false);
    expect(check(file({ provider: 'gitlab', repo: 'acme/docs.git' }))).toBe(false);
  });

  it('ships the schema file generated from the loader schema (npm run schema)', () => {
    const shipped = JSON.parse(readFileSync(`${REPO_ROOT}/image-factory/schema/images.schema.json`, 'utf8'));
    expect(shipped).toEqual(JSON.parse(JSON.stringify(IMAGES_SCHEMA)));
    expect(readFileSync(`${REPO_ROOT}/images.yaml`, 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\/image-factory\/schema\/images\.schema\.json/,
    );
  });
});

describe('parseDelay', () => {
  it.each([
    ['0', 0],
    ['90s', 90],
    ['30m', 1800],
    ['12h', 43_200],
    ['7d', 604_800],
    ['2w', 1_209_600],
  ])('%s → %i seconds', (text, seconds) => {
    expect(parseDelay(text)).toBe(seconds);
  });

  it.each(['', '7', '7 days', '-1d', '1.5h', '1y'])('rejects %j', (text) => {
    expect(parseDelay(text)).toBeNull();
  });
});
