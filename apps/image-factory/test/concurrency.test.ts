/**
 * Jobs for different images push to one branch at once (a base-image update finishes dozens of builds within
 * minutes): every one lands, with exact dependents. The jobs run what the analysis Job runs in the cluster: the
 * tool bundled into one file, built here from the current sources (it also starts in a third of the time the
 * package does, which matters with 32 processes on 2 cores). In a file of its own so that it runs beside the others.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the bundler script is plain JavaScript without type declarations
import { bundle } from '../../../scripts/bundle.mjs';
import { runCliAsync } from './helpers.js';
import { remoteFile, remoteFiles, remoteSubjects, tempDir } from './support/git-repos.js';
import { DIGEST, ENV, monorepo } from './support/gitops-fixtures.js';

let entry: string;

beforeAll(async () => {
  entry = join(tempDir('if-bundle-'), 'image-factory.mjs');
  writeFileSync(entry, await bundle());
});

describe('concurrent analyses against one remote', () => {
  it('32 analyses of different images at once all land, with exact dependents', async () => {
    const names = Array.from({ length: 32 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
    const dockerfiles: Record<string, string> = {};
    names.forEach((name, i) => {
      // Every image shares node:22; even ones also use alpine; each has one base of its own.
      dockerfiles[name] =
        `FROM node:22 AS build\n${i % 2 === 0 ? 'COPY --from=alpine:3.20 /x /x\n' : ''}FROM ghcr.io/acme/own-${i}:1\n`;
    });
    const remote = monorepo(dockerfiles);
    const results = await Promise.all(
      names.map((name, i) =>
        runCliAsync(
          [
            'analyze',
            '--image',
            name,
            '--tag',
            `1.${i}`,
            '--digest',
            DIGEST('f'),
            '--git-repo',
            remote,
            '--source-repo',
            remote,
            // The production pacing (500ms, doubling to 4 s) scaled down: the same rule, a faster suite. (Much
            // shorter is slower: 20ms made 32 jobs collide ~500 times instead of ~150.)
            '--retry-backoff',
            '1s',
          ],
          { env: ENV, entry },
        ),
      ),
    );
    for (const r of results) expect(r.status, r.stderr).toBe(0);
    const subjects = remoteSubjects(remote).filter((s) => s.startsWith('image-factory: analyse'));
    expect(subjects.sort()).toEqual(names.map((n, i) => `image-factory: analyse ${n} 1.${i}`).sort());
    expect(remoteFile(remote, 'image-factory/state/base-images/node-22.yaml')).toContain(
      `dependents:\n${names.map((n) => `  - ${n}`).join('\n')}`,
    );
    expect(remoteFile(remote, 'image-factory/state/base-images/alpine-3-20.yaml')).toContain(
      `dependents:\n${names
        .filter((_, i) => i % 2 === 0)
        .map((n) => `  - ${n}`)
        .join('\n')}`,
    );
    expect(remoteFiles(remote, 'image-factory/state/images')).toHaveLength(32);
    expect(remoteFiles(remote, 'image-factory/state/base-images')).toHaveLength(34);
    const retried = results.filter((r) => r.stderr.includes('recomputing on the new head')).length;
    expect(retried).toBeGreaterThan(0); // the race really happened
  }, 180_000);
});
