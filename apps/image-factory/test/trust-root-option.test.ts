/**
 * `--trust-root FILE`, one option four commands take: given without the option it works with, a usage error (exit 2)
 * naming both; a file that cannot be read, exit 2 naming it; a file that is not a trust root, exit 1; all before any
 * checkout is read or registry asked (the commands here have neither a checkout nor a registry to ask).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { tempDir } from './support/git-repos.js';

/** A folder holding an empty pod list as the Kubernetes API returns it (compliance reads it first). */
async function podList(): Promise<string> {
  const dir = await tempDir('if-trust-root-');
  await writeFile(
    join(dir, 'pods.json'),
    '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}\n',
  );
  return dir;
}

describe('--trust-root', () => {
  it.each([
    [['inspect', 'ghcr.io/acme/app:1'], '--verify'],
    [['status'], '--live'],
    [['compliance', '--workloads', 'pods.json'], '--live'],
  ])('%j without %s is a usage error', async (args, needs) => {
    const dir = await podList();
    const run = await cli([...args, '--trust-root', 'root.json'], { cwd: dir });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`image-factory ${args[0]}: --trust-root takes effect with ${needs} only`);
  });

  it.each([
    [['inspect', 'ghcr.io/acme/app:1', '--verify']],
    [['status', '--live']],
    [['compliance', '--workloads', 'pods.json', '--live']],
    [['rebuild', '--due', '--git-repo', 'https://git.example/acme/gitops.git']],
  ])('%j: a missing file is exit 2 and a file that is not a trust root exit 1, each naming the file', async (args) => {
    const dir = await podList();
    const missing = await cli([...args, '--trust-root', join(dir, 'missing.json')], { cwd: dir });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`cannot read the trust root ${join(dir, 'missing.json')}`);
    await writeFile(join(dir, 'other.json'), '{"mediaType": "application/json"}\n');
    const other = await cli([...args, '--trust-root', 'other.json'], { cwd: dir });
    expect(other.status).toBe(1);
    expect(other.stderr).toContain(`trust root ${join(dir, 'other.json')}: mediaType is not`);
  });
});
