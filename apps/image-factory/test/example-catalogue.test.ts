/** The example catalogue shipped at the repository root stays consistent with its own state. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { readState, stateFileChanges } from '../src/state/store.js';
import { REPO_ROOT } from './helpers.js';

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
});
