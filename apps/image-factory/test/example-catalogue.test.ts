/**
 * The example catalogue shipped at the repository root: its committed state is what the tool would write (a freshness
 * check), and what that state says is asserted by hand from its Dockerfiles and docs/cli.md (`report --json`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { readState, stateFileChanges } from '../src/state/store.js';
import { cli, REPO_ROOT } from './helpers.js';

describe('the example catalogue', () => {
  it('has committed state equal to what analyze --all and sync would write (npm run example-state)', async () => {
    const enrolment = loadEnrolment(readFileSync(join(REPO_ROOT, 'images.yaml'), 'utf8'));
    const stateDir = join(REPO_ROOT, 'image-factory/state');
    const analyses = enrolment.images.flatMap((image) =>
      image.kind === 'managed'
        ? [
            {
              image: image.name,
              dockerfile: image.source.dockerfile,
              uses: analyseDockerfile(
                readFileSync(join(REPO_ROOT, image.source.dockerfile), 'utf8'),
                image.source.dockerfile,
                image.source.buildArgs,
              ),
            },
          ]
        : [],
    );
    const next = planStateUpdate(await readState(stateDir), enrolment, analyses);
    const { changes } = await stateFileChanges(stateDir, next);
    expect(changes.map((c) => c.path)).toEqual([]);
    expect(next.images.size).toBe(enrolment.images.length);
  });

  it('has the dependency graph its Dockerfiles state, written out by hand (report --json)', async () => {
    // The FROM / COPY --from lines of the five managed images' Dockerfiles (ARG defaults: NODE_MAJOR=22,
    // GO_VERSION=1.23): node-base and image-factory FROM node:22-bookworm-slim; backstage FROM the same (its build
    // stage) and FROM ghcr.io/acme/node-base:22 (built here: the edge starts at node-base itself); api FROM
    // golang:1.23-bookworm and gcr.io/distroless/static-debian12:nonroot; docs FROM nginx:1.27-alpine and
    // COPY --from=busybox:1.36-musl. postgres and redis are external: nodes with no edge.
    const result = await cli(['report', '--root', REPO_ROOT, '--json']);
    expect(result.status).toBe(0);
    const { graph } = JSON.parse(result.stdout);
    expect(graph.nodes).toEqual([
      { id: 'api', kind: 'managed' },
      { id: 'backstage', kind: 'managed' },
      { id: 'busybox-1-36-musl', kind: 'base' },
      { id: 'docs', kind: 'managed' },
      { id: 'gcr-io-distroless-static-debian12-nonroot', kind: 'base' },
      { id: 'golang-1-23-bookworm', kind: 'base' },
      { id: 'image-factory', kind: 'managed' },
      { id: 'nginx-1-27-alpine', kind: 'base' },
      { id: 'node-22-bookworm-slim', kind: 'base' },
      { id: 'node-base', kind: 'managed' },
      { id: 'postgres', kind: 'external' },
      { id: 'redis', kind: 'external' },
    ]);
    expect(graph.edges).toEqual([
      { from: 'busybox-1-36-musl', to: 'docs' },
      { from: 'gcr-io-distroless-static-debian12-nonroot', to: 'api' },
      { from: 'golang-1-23-bookworm', to: 'api' },
      { from: 'nginx-1-27-alpine', to: 'docs' },
      { from: 'node-22-bookworm-slim', to: 'backstage' },
      { from: 'node-22-bookworm-slim', to: 'image-factory' },
      { from: 'node-22-bookworm-slim', to: 'node-base' },
      { from: 'node-base', to: 'backstage' },
    ]);
  });
});
