/**
 * `image-factory request codeowners` (issue 23): the CODEOWNERS lines of each tier folder from the requests: policy,
 * so the forge's code-owner review enforces the tiers: the tier's approvers per forge, an auto-approve tier as a
 * comment (its requests never go through a pull request), deterministic; `--write FILE` replaces its own block and
 * keeps every other line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fixturePath } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const root = () => {
  const dir = tempDir('if-codeowners-');
  writeFileSync(join(dir, 'images.yaml'), readFileSync(fixturePath('requests/policy.images.yaml'), 'utf8'));
  return dir;
};

const GITHUB_BLOCK = `# BEGIN image-factory requests (image-factory request codeowners: do not edit by hand)
# tier base-images: 1 approval(s)
/image-factory/requests/base-images/ @acme/security
# tier production: 2 approval(s)
/image-factory/requests/production/ @carol @dave
# /image-factory/requests/dev/ tier dev auto-approves: its requests are committed without a pull request
# END image-factory requests
`;

describe('request codeowners', () => {
  it('prints one line per tier folder owned by the tier approvers on GitHub', async () => {
    const dir = root();
    const result = await cli(['request', 'codeowners', '--root', dir]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(GITHUB_BLOCK);
  });

  it('for GitLab, names the GitLab users and groups, under another --image-factory-dir', async () => {
    const dir = root();
    const result = await cli([
      'request',
      'codeowners',
      '--root',
      dir,
      '--forge',
      'gitlab',
      '--image-factory-dir',
      'platform',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('/platform/requests/base-images/ @acme/security\n');
    expect(result.stdout).toContain('/platform/requests/production/ @carol @dave\n');
  });

  it('--write replaces its block and keeps the rest of the file; a second run changes nothing', async () => {
    const dir = root();
    const file = join(dir, 'CODEOWNERS');
    const stale = GITHUB_BLOCK.replace('@carol @dave', '@someone-gone');
    writeFileSync(file, `* @acme/platform\n\n${stale}/docs/ @acme/writers\n`);
    const first = await cli(['request', 'codeowners', '--root', dir, '--write', file]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe(`wrote ${file}\n`);
    expect(readFileSync(file, 'utf8')).toBe(`* @acme/platform\n\n${GITHUB_BLOCK}/docs/ @acme/writers\n`);
    const second = await cli(['request', 'codeowners', '--root', dir, '--write', file]);
    expect(second.stdout).toBe(`unchanged ${file}\n`);
    const fresh = join(dir, 'NEW_CODEOWNERS');
    await cli(['request', 'codeowners', '--root', dir, '--write', fresh]);
    expect(readFileSync(fresh, 'utf8')).toBe(GITHUB_BLOCK);
  });

  it('refuses an images.yaml without a requests: policy, and an invalid one at file:line:column', async () => {
    const dir = tempDir('if-codeowners-');
    writeFileSync(join(dir, 'images.yaml'), 'images: []\n');
    const none = await cli(['request', 'codeowners', '--root', dir]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('images.yaml has no requests: policy');
    writeFileSync(join(dir, 'images.yaml'), readFileSync(fixturePath('requests/bad-tiers.images.yaml'), 'utf8'));
    const bad = await cli(['request', 'codeowners', '--root', dir]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('images.yaml:11:13: requests.tiers[1].name "prod" is already the name of tiers[0]');
  });
});
