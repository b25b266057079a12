/**
 * Determinism across machines: the same inputs give the same bytes under any locale. Danish sorts "aa" after
 * "z" (it is "å"), so a localeCompare anywhere in the chain would turn the same inputs into a GitOps diff.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from './helpers.js';

// Built library (npm test builds first): plan state for images whose names sort differently in Danish, render
// the state files, the Warehouse plan and a managed pipeline, and print them all.
const SCRIPT = `
import { analyseDockerfile, loadEnrolment, managedPipelineObjects, planStateUpdate, planWarehouses, renderState,
  stringifyAllYamlFast, EMPTY_STATE } from './dist/internal.js';
const names = ['z-app', 'aa-app', 'b-app', 'Z'.toLowerCase() + 'z-app', 'ab-app'];
const enrolment = loadEnrolment('images:\\n' + names.map((n) =>
  '  - name: ' + n + '\\n    registry: ghcr.io\\n    repository: acme/' + n +
  '\\n    source: {provider: github, repo: acme/mono, dockerfile: ' + n + '/Dockerfile}\\n').join(''));
const bases = ['aarch/base:1', 'zlib/base:1', 'b/base:1', 'ab/base:1'];
const analyses = names.map((n, i) => ({ image: n, dockerfile: n + '/Dockerfile',
  uses: analyseDockerfile(bases.map((b, j) => (j <= i ? 'FROM ' + b + ' AS s' + j : '')).join('\\n') + '\\n', 'Dockerfile', {}),
  build: { tag: '1', digest: 'sha256:' + 'a'.repeat(64) } }));
const state = planStateUpdate(EMPTY_STATE, enrolment, analyses);
const out = [...renderState(state)].map(([path, text]) => '# ' + path + '\\n' + text);
out.push(stringifyAllYamlFast(planWarehouses(enrolment, state).warehouses));
out.push(stringifyAllYamlFast(managedPipelineObjects(enrolment.images[0], enrolment.defaults)));
process.stdout.write(out.join('\\n'));
`;

const run = (locale: string) =>
  execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, LC_ALL: locale, LANG: locale },
    encoding: 'utf8',
  });

describe('determinism across locales', () => {
  it('gives byte-identical state and manifests under da_DK.UTF-8 and C', () => {
    const danish = run('da_DK.UTF-8');
    expect(danish).toBe(run('C'));
    // The order is by code units: "aa-app" before "ab-app" before "b-app" before "z-app".
    const order = ['aa-app', 'ab-app', 'b-app', 'z-app'].map((n) => danish.indexOf(`# images/${n}.yaml`));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.every((i) => i >= 0)).toBe(true);
  });

  it('the sources compare strings by code units, never with localeCompare', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const offenders = [
      ...files(join(PACKAGE_ROOT, 'src')),
      ...files(join(PACKAGE_ROOT, '../../cdk8s/image-factory/src')),
    ].filter((f) => readFileSync(f, 'utf8').includes('.localeCompare('));
    expect(offenders).toEqual([]);
  });
});
