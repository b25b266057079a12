/** enroll / unenroll / kustomize / status against a copy of the repository's catalogue and kustomize folder. */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addImageEntry, removeImageEntry } from '../src/enrolment/edit.js';
import { REPO_ROOT, runCli } from './helpers.js';
import { tempDir } from './support/git-repos.js';

function workspace(): string {
  const dir = tempDir('if-enroll-');
  cpSync(join(REPO_ROOT, 'images.yaml'), join(dir, 'images.yaml'));
  mkdirSync(join(dir, 'kustomize'));
  cpSync(join(REPO_ROOT, 'kustomize/image-factory'), join(dir, 'kustomize/image-factory'), { recursive: true });
  return dir;
}
const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const MANAGED = [
  'enroll',
  '--managed',
  '--name',
  'web',
  '--registry',
  'ghcr.io',
  '--repository',
  'acme/web',
  '--provider',
  'github',
  '--repo',
  'acme/web',
  '--dockerfile',
  'Dockerfile',
  '--build-arg',
  'NODE=22',
];

describe('image-factory enroll / unenroll', () => {
  it('enrolls a managed image: entry appended with comments kept, pipeline written and listed', () => {
    const dir = workspace();
    const before = read(dir, 'images.yaml');
    const result = runCli(MANAGED, { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('wrote     managed/web.yaml');
    const after = read(dir, 'images.yaml');
    expect(after.startsWith(before)).toBe(true); // every existing byte, comments and alignment included, kept
    expect(after.slice(before.length)).toBe(
      '\n  - name: web\n    registry: ghcr.io\n    repository: acme/web\n    source:\n      provider: github\n      repo: acme/web\n      dockerfile: Dockerfile\n      buildArgs:\n        NODE: "22"\n',
    );
    expect(read(dir, 'kustomize/image-factory/kustomization.yaml')).toContain(
      '  - managed/node-base.yaml\n  - managed/web.yaml\n',
    );
    const pipeline = read(dir, 'kustomize/image-factory/managed/web.yaml');
    expect(pipeline).toContain('name: web-analyze-dockerfile');
    expect(pipeline).toContain('value: ${{ imageFrom("ghcr.io/acme/web").Digest }}');
  });

  it('enrolls an external image with its Warehouse fields and no pipeline', () => {
    const dir = workspace();
    const result = runCli(
      [
        'enroll',
        '--external',
        '--name',
        'nginx',
        '--registry',
        'docker.io',
        '--repository',
        'library/nginx',
        '--allow-tags',
        '^1\\.27\\.\\d+$',
        '--strategy',
        'SemVer',
        '--strict-semvers',
        'true',
        '--discovery-limit',
        '10',
      ],
      { cwd: dir },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(read(dir, 'images.yaml')).toMatch(
      /- name: nginx\n {4}registry: docker.io\n {4}repository: library\/nginx\n {4}allowTags: \^1\\\.27\\\.\\d\+\$\n {4}imageSelectionStrategy: SemVer\n {4}strictSemvers: true\n {4}discoveryLimit: 10\n$/,
    );
    expect(existsSync(join(dir, 'kustomize/image-factory/managed/nginx.yaml'))).toBe(false);
    expect(runCli(['validate'], { cwd: dir }).status).toBe(0);
  });

  it('unenroll reverses enroll byte for byte', () => {
    const dir = workspace();
    const images = read(dir, 'images.yaml');
    const kustomization = read(dir, 'kustomize/image-factory/kustomization.yaml');
    expect(runCli(MANAGED, { cwd: dir }).status).toBe(0);
    const result = runCli(['unenroll', 'web'], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('deleted   managed/web.yaml');
    expect(read(dir, 'images.yaml')).toBe(images);
    expect(read(dir, 'kustomize/image-factory/kustomization.yaml')).toBe(kustomization);
    expect(existsSync(join(dir, 'kustomize/image-factory/managed/web.yaml'))).toBe(false);
  });

  it('writes nothing when the result would be invalid, and says where', () => {
    const dir = workspace();
    const images = read(dir, 'images.yaml');
    const bad = runCli(
      MANAGED.map((a) => (a === 'web' ? 'Web_1' : a)),
      { cwd: dir },
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/images\.yaml:\d+:\d+: images\[7\]\.name must be a DNS-1123 label/);
    const dup = runCli(
      MANAGED.map((a) => (a === 'web' ? 'backstage' : a)),
      { cwd: dir },
    );
    expect(dup.status).toBe(1);
    expect(dup.stderr).toContain('image backstage is already enrolled');
    expect(read(dir, 'images.yaml')).toBe(images);
    expect(existsSync(join(dir, 'kustomize/image-factory/managed/Web_1.yaml'))).toBe(false);
    expect(runCli(['unenroll', 'nope'], { cwd: dir }).stderr).toContain('image nope is not enrolled');
    expect(runCli(['enroll', '--managed', '--external', '--name', 'x'], { cwd: dir }).status).toBe(2);
    expect(
      runCli(['enroll', '--external', '--name', 'x', '--registry', 'r.io', '--repository', 'x'], { cwd: dir }).stderr,
    ).toContain('--allow-tags required');
  });

  it('kustomize rewrites pipelines after a hand edit, and leaves the shipped folder as it is', () => {
    const dir = workspace();
    expect(runCli(['kustomize'], { cwd: dir }).stdout).not.toMatch(/wrote|deleted|updated/);
    writeFileSync(join(dir, 'images.yaml'), removeImageEntry(read(dir, 'images.yaml'), 'docs'));
    const result = runCli(['kustomize'], { cwd: dir });
    expect(result.stdout).toContain('deleted   managed/docs.yaml');
    expect(read(dir, 'kustomize/image-factory/kustomization.yaml')).not.toContain('managed/docs.yaml');
  });

  it('edits a file whose images list is empty or flow-style', () => {
    expect(addImageEntry('images: []\n', { name: 'a', registry: 'r.io', repository: 'a', allowTags: '^1$' })).toBe(
      'images: [ { name: a, registry: r.io, repository: a, allowTags: ^1$ } ]\n',
    );
    expect(removeImageEntry('# keep me\nimages:\n  - name: a\n  - name: b # last\n', 'b')).toBe(
      '# keep me\nimages:\n  - name: a\n',
    );
    expect(removeImageEntry('images:\n  # about a\n  - name: a\n\n  - name: b\n', 'a')).toBe('images:\n  - name: b\n');
  });
});

describe('image-factory status', () => {
  it('summarises the example catalogue and draws the dependency graph', () => {
    const result = runCli(['status', '--root', REPO_ROOT]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('images enrolled:      7 (5 managed, 2 external)');
    expect(result.stdout).toContain('Warehouses generated: 7 (5 base, 2 external) + 5 managed pipeline(s)');
    expect(result.stdout).toContain(
      [
        '  docker.io/library/node:22-bookworm-slim',
        '  ├── backstage',
        '  ├── image-factory',
        '  └── node-base',
        '      └── backstage',
      ].join('\n'),
    );
  });
});
