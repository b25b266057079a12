/**
 * A fresh clone's first `npm install` / `npm ci` must leave `npx image-factory` working: npm links a workspace's
 * bin before the root `prepare` step builds dist/, and skips a link whose target does not exist. So the bin target
 * is a committed file, not a build output.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, REPO_ROOT } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const pkg: { bin: Record<string, string>; files: string[] } = JSON.parse(
  readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'),
);

describe('the image-factory bin', () => {
  it('is a committed file outside dist/, shipped with the package', () => {
    const target = pkg.bin['image-factory'] ?? '';
    expect(target).toBe('./bin/image-factory.mjs');
    const tracked = execFileSync('git', ['ls-files', '--error-unmatch', `apps/image-factory/${target.slice(2)}`], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(tracked.trim()).toBe('apps/image-factory/bin/image-factory.mjs');
    expect(pkg.files).toContain('bin');
  });

  it('says how to build when dist/ is not there yet, instead of a stack trace', () => {
    const dir = tempDir('if-bin-');
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(PACKAGE_ROOT, 'bin/image-factory.mjs'), join(dir, 'bin/image-factory.mjs'));
    const result = spawnSync(process.execPath, [join(dir, 'bin/image-factory.mjs'), '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'image-factory is not built yet: run `npm run build` (or `npm install`) in the repository root\n',
    );
  });

  it('runs the built CLI', () => {
    const result = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin/image-factory.mjs'), '--version'], {
      encoding: 'utf8',
    });
    expect(result.stdout).toBe(`${JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version}\n`);
  });
});
