/**
 * A fresh clone's first `npm install` / `npm ci` must leave `npx image-factory` working: npm links a workspace's
 * bin before the root `prepare` step builds dist/, and skips a link whose target does not exist. So the bin target
 * is a committed file, not a build output.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, PACKAGE_ROOT, REPO_ROOT } from './helpers.js';
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

describe('output through a pipe', () => {
  it('a JSON document larger than a pipe holds (64 KiB) reaches a slow reader whole before the process exits', async () => {
    const dir = tempDir();
    const stages = Array.from(
      { length: 900 },
      (_, i) => `FROM registry.example.com/team/base-image-${i}:1.${i} AS stage${i}`,
    );
    writeFileSync(join(dir, 'Dockerfile'), `${stages.join('\n')}\n`);
    // The reader starts reading only after 300 ms (a busy `jq`, a loaded CI): the process must wait for it.
    const child = spawn(process.execPath, [CLI, 'parse', '--json', join(dir, 'Dockerfile')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.pause();
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    setTimeout(() => child.stdout.resume(), 300);
    const status = await new Promise((resolve) => child.on('close', resolve));
    const stdout = Buffer.concat(chunks).toString();
    expect(status).toBe(0);
    expect(stdout.length).toBeGreaterThan(4 * 65_536);
    expect(JSON.parse(stdout).images).toHaveLength(900);
  });
});
