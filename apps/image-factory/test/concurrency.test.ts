/**
 * Jobs for different images push to one branch at once (a base-image update finishes dozens of builds within
 * minutes): every one lands, with exact dependents. Each job is a whole `analyze` run (its own shallow clone, its
 * own git processes, its own commit and push) against one remote; they run in this process because what they race
 * on is the remote's branch, and 32 Node processes (the bundle, started the way the cluster's Job starts it) cost
 * two-fifths of the suite's CPU on a 2-core machine. The bundle runs `analyze` as a process in the chart's kustomize
 * test. In a file of its own so that it runs beside the others.
 */
import { describe, expect, it } from 'vitest';
import { remoteFile, remoteFiles, remoteSubjects } from './support/git-repos.js';
import { analyze, DIGEST, monorepo } from './support/gitops-fixtures.js';

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
        // The production pacing (500ms) scaled down: the same rule, a faster suite. Under contention the wait
        // grows with what an attempt takes (publishChange), so the jobs spread out as they would in the cluster.
        analyze(remote, name, `1.${i}`, DIGEST('f'), '--retry-backoff', '200ms'),
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
