import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The suites that take longest, in that order. Vitest runs the longest files first when it has their timings, but a
 * fresh clone (CI) has none and it would start these small files last, leaving one of them running alone at the end.
 */
const LONGEST = [
  'apps/image-factory/test/rebuild-job.test.ts',
  'cdk8s/image-factory/test/kustomize.test.ts',
  'apps/image-factory/test/request-provision.test.ts',
  'apps/image-factory/test/analyze-git.test.ts',
  'apps/image-factory/test/rebuild-gate-job.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = LONGEST.findIndex((path) => file.moduleId.endsWith(`/${path}`));
      return index === -1 ? LONGEST.length : index;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * `npm test` runs both packages' suites in one vitest run, so that their files share one pool of workers. Each
 * project keeps its own vitest.config.ts (and can be run alone from its folder); the pool size is theirs too, and it
 * has to be the same in both for vitest to schedule them together.
 */
export default defineConfig({
  test: {
    projects: ['apps/image-factory', 'cdk8s/image-factory'],
    sequence: { sequencer: LongestFirst },
  },
});
