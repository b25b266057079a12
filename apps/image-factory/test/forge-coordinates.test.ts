/**
 * Forge coordinates (issue 18, item 2): `source.repo` and `source.workflow` are what a rebuild trigger puts into a
 * forge API path. GitHub: exactly `owner/name` (owner: letters, digits, "-", 1–39, no leading "-"; name: letters,
 * digits, ".", "_", "-", never "." or "..") or the documented URL forms, reduced to `owner/name`; a workflow is a
 * file name (`build.yaml` / `build.yml`, no folder) or a numeric id. GitLab: a project path of safe segments, or a
 * numeric id, or the URL forms reduced likewise. Everything else is refused with a reason.
 */
import { describe, expect, it } from 'vitest';
import {
  checkGithubWorkflow,
  GITHUB_REPO_PATTERN,
  GITHUB_WORKFLOW_PATTERN,
  GITLAB_PROJECT_PATTERN,
  reduceSourceRepo,
} from '../src/enrolment/forge-coordinates.js';

const ok = (value: string) => ({ ok: true, value });

describe('GitHub source.repo', () => {
  it.each([
    ['acme/app', 'acme/app'],
    ['Acme-Corp/my_app.v2', 'Acme-Corp/my_app.v2'],
    ['https://github.com/acme/app', 'acme/app'],
    ['https://github.com/acme/app.git', 'acme/app'],
    ['https://github.com/acme/app/', 'acme/app'],
    ['git@github.com:acme/app.git', 'acme/app'],
    ['ssh://git@github.com/acme/app.git', 'acme/app'],
    ['a/.github', 'a/.github'],
    [`${'o'.repeat(39)}/r`, `${'o'.repeat(39)}/r`],
  ])('%s is reduced to %s', (given, reduced) => {
    expect(reduceSourceRepo('github', given)).toEqual(ok(reduced));
  });

  it.each([
    ['../../../evil/x', /"\." and "\.\." are not names/],
    ['acme/..', /"\." and "\.\." are not names/],
    ['acme/.', /"\." and "\.\." are not names/],
    ['https://github.com/acme/.git', /must be owner\/name/],
    ['acme', /exactly one "\/"/],
    ['acme/app/extra', /exactly one "\/"/],
    ['https://github.com/acme/app/tree/main', /exactly one "\/"/],
    ['-acme/app', /must be owner\/name/],
    [`${'o'.repeat(40)}/r`, /must be owner\/name/],
    ['ac_me/app', /must be owner\/name/],
    ['acme/app name', /must be owner\/name/],
    ['acme/app%2F..', /must be owner\/name/],
    ['./platform', /a local path/],
    ['/srv/git/platform', /a local path/],
    ['http://github.com/acme/app', /must be owner\/name/],
    ['https://ghe.acme.com/acme/app', /a URL on ghe\.acme\.com is not accepted; write owner\/name/],
    ['git@ghe.acme.com:acme/app.git', /a URL on ghe\.acme\.com is not accepted/],
  ])('%s is refused', (given, reason) => {
    const result = reduceSourceRepo('github', given);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(reason);
  });
});

describe('GitLab source.repo', () => {
  it.each([
    ['acme/app', 'acme/app'],
    ['acme/platform/docs', 'acme/platform/docs'],
    ['my.group/sub_group/pro-ject', 'my.group/sub_group/pro-ject'],
    ['4217', '4217'],
    ['https://gitlab.com/acme/platform/docs', 'acme/platform/docs'],
    ['https://gitlab.com/acme/docs.git', 'acme/docs'],
    ['git@gitlab.com:acme/platform/docs.git', 'acme/platform/docs'],
  ])('%s is reduced to %s', (given, reduced) => {
    expect(reduceSourceRepo('gitlab', given)).toEqual(ok(reduced));
  });

  it.each([
    ['acme/../evil', /no empty, "\." or "\.\." segments/],
    ['acme//docs', /no empty, "\." or "\.\." segments/],
    ['acme/./docs', /no empty, "\." or "\.\." segments/],
    ['acme/docs/', /no empty/],
    ['acme/docs.git', /may not end in \.git or \.atom/],
    ['acme/docs.atom', /may not end in \.git or \.atom/],
    ['docs', /a project lives in a group/],
    ['-acme/docs', /must be a GitLab project path/],
    ['.acme/docs', /must be a GitLab project path/],
    ['acme/docs?x=1', /must be a GitLab project path/],
    ['0', /must be a GitLab project path/],
    ['https://gitlab.com/acme/docs/-/tree/main', /must be a GitLab project path/],
    ['https://gitlab.acme.com/acme/docs', /a URL on gitlab\.acme\.com is not accepted; write the project path/],
  ])('%s is refused', (given, reason) => {
    const result = reduceSourceRepo('gitlab', given);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(reason);
  });
});

describe('GitHub source.workflow', () => {
  it.each(['build.yaml', 'build.yml', 'node-base.v2.yaml', '161335'])('%s is accepted', (given) => {
    expect(checkGithubWorkflow(given)).toEqual(ok(given));
  });

  it.each([
    ['..', /"\." and "\.\." are not files/],
    ['.', /"\." and "\.\." are not files/],
    ['.github/workflows/build.yaml', /the file name only/],
    ['../build.yaml', /the file name only/],
    ['build', /file name \(build\.yaml or build\.yml\) or its numeric id/],
    ['-build.yaml', /file name/],
    ['build.yaml#x', /file name/],
  ])('%s is refused', (given, reason) => {
    const result = checkGithubWorkflow(given);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(reason);
  });
});

describe('the JSON Schema patterns are the same rule', () => {
  const samples: [string, string, 'github' | 'gitlab'][] = [
    [GITHUB_REPO_PATTERN, 'acme/app', 'github'],
    [GITHUB_REPO_PATTERN, '../../../evil/x', 'github'],
    [GITHUB_REPO_PATTERN, 'git@github.com:acme/app.git', 'github'],
    [GITLAB_PROJECT_PATTERN, 'acme/../x', 'gitlab'],
    [GITLAB_PROJECT_PATTERN, 'acme/platform/docs', 'gitlab'],
  ];
  it.each(samples)('%s on %s agrees with reduceSourceRepo', (pattern, value, provider) => {
    expect(new RegExp(pattern, 'u').test(value)).toBe(reduceSourceRepo(provider, value).ok);
  });
  it('the workflow pattern agrees with checkGithubWorkflow', () => {
    for (const value of ['build.yaml', '..', 'a/b.yaml', '12']) {
      expect(new RegExp(GITHUB_WORKFLOW_PATTERN, 'u').test(value)).toBe(checkGithubWorkflow(value).ok);
    }
  });
});
