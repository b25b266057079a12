/**
 * One precedence for every forge base URL (issue 18, item 2): GitLab `--gitlab-url` > `$GITLAB_URL` >
 * `$CI_SERVER_URL` > https://gitlab.com; GitHub API `--github-api-url` > `$GITHUB_API_URL` > https://api.github.com;
 * GitHub web (clones) `--github-url` > `$GITHUB_SERVER_URL` > https://github.com. An empty variable is unset. A base
 * URL receives a token: https only (http only for loopback hosts), no user:password@, query or fragment, and an
 * error never repeats the value (it may hold a secret). The help says the same order, rendered from the same
 * declaration.
 */
import { describe, expect, it } from 'vitest';
import {
  checkBaseUrl,
  GITHUB_API_URL,
  GITHUB_URL,
  GITLAB_URL,
  precedenceText,
  resolveBaseUrl,
} from '../src/rebuild/forge-urls.js';
import { cli } from './helpers.js';

describe('resolveBaseUrl', () => {
  const all = { GITLAB_URL: 'https://env.example', CI_SERVER_URL: 'https://ci.example' };
  it.each([
    ['the flag beats every variable', 'https://flag.example/', all, 'https://flag.example', '--gitlab-url'],
    ['$GITLAB_URL beats $CI_SERVER_URL', undefined, all, 'https://env.example', '$GITLAB_URL'],
    [
      '$CI_SERVER_URL when $GITLAB_URL is unset',
      undefined,
      { CI_SERVER_URL: 'https://ci.example' },
      'https://ci.example',
      '$CI_SERVER_URL',
    ],
    [
      'an empty variable counts as unset',
      undefined,
      { GITLAB_URL: '', CI_SERVER_URL: 'https://ci.example' },
      'https://ci.example',
      '$CI_SERVER_URL',
    ],
    ['the default last', undefined, {}, 'https://gitlab.com', 'default'],
  ])('GitLab: %s', (_, flag, env, url, from) => {
    expect(resolveBaseUrl(GITLAB_URL, flag, env)).toEqual({ ok: true, value: { url, from } });
  });

  it('GitHub API and web host: flag, variable, default', () => {
    const env = { GITHUB_API_URL: 'https://ghe.example/api/v3', GITHUB_SERVER_URL: 'https://ghe.example' };
    expect(resolveBaseUrl(GITHUB_API_URL, 'https://flag.example/api/v3', env)).toMatchObject({
      value: { url: 'https://flag.example/api/v3' },
    });
    expect(resolveBaseUrl(GITHUB_API_URL, undefined, env)).toMatchObject({
      value: { url: 'https://ghe.example/api/v3' },
    });
    expect(resolveBaseUrl(GITHUB_API_URL, undefined, {})).toMatchObject({ value: { url: 'https://api.github.com' } });
    expect(resolveBaseUrl(GITHUB_URL, undefined, env)).toMatchObject({ value: { url: 'https://ghe.example' } });
    expect(resolveBaseUrl(GITHUB_URL, undefined, {})).toMatchObject({ value: { url: 'https://github.com' } });
  });

  it('names the source of a bad value and never checks a lower one', () => {
    expect(resolveBaseUrl(GITLAB_URL, undefined, { GITLAB_URL: 'http://gitlab.example' })).toEqual({
      ok: false,
      error: expect.stringMatching(/^\$GITLAB_URL \(http:\/\/gitlab\.example\) is plain http/),
    });
    expect(resolveBaseUrl(GITLAB_URL, 'https://ok.example', { GITLAB_URL: 'http://gitlab.example' })).toMatchObject({
      ok: true,
    });
  });
});

describe('checkBaseUrl', () => {
  it.each([
    'https://gitlab.example',
    'https://gitlab.example/gitlab',
    'https://ghe.example/api/v3/',
    'http://127.0.0.1:8080',
    'http://127.5.6.7',
    'http://localhost:3000',
    'http://[::1]:9000',
  ])('accepts %s', (url) => {
    expect(checkBaseUrl(url)).toEqual({ ok: true, url: url.replace(/\/+$/, '') });
  });

  it.each([
    ['http://gitlab.example', /is plain http/],
    ['http://10.0.0.1', /is plain http/],
    ['http://127.0.0.1.example.com', /is plain http/],
    ['https://user:s3cret@gitlab.example', /carries user:password@/],
    ['https://oauth2@gitlab.example', /carries user:password@/],
    ['https://gitlab.example/?private_token=s3cret', /has a query or fragment/],
    ['https://gitlab.example/#x', /has a query or fragment/],
    ['ftp://gitlab.example', /must be an https:\/\/ URL/],
    ['gitlab.example', /is not a URL/],
    ['https://gitlab .example', /is not a URL/],
  ])('refuses %s', (url, reason) => {
    const result = checkBaseUrl(url);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatch(reason);
      expect(result.error).not.toContain('s3cret');
    }
  });
});

describe('help and code share the declaration', () => {
  it('precedenceText states the order', () => {
    expect(precedenceText(GITLAB_URL)).toBe(
      '--gitlab-url, else $GITLAB_URL, else $CI_SERVER_URL, else https://gitlab.com',
    );
    expect(precedenceText(GITHUB_API_URL)).toBe('--github-api-url, else $GITHUB_API_URL, else https://api.github.com');
    expect(precedenceText(GITHUB_URL)).toBe('--github-url, else $GITHUB_SERVER_URL, else https://github.com');
  });

  it.each([
    ['rebuild', [GITLAB_URL, GITHUB_API_URL, GITHUB_URL]],
    ['analyze', [GITLAB_URL, GITHUB_URL]],
    ['sync', [GITLAB_URL, GITHUB_URL]],
  ] as const)('%s --help lists each base-URL flag with its order of sources', async (command, settings) => {
    const help = (await cli([command, '--help'])).stdout;
    for (const setting of settings) {
      const line = new RegExp(
        `^ {2}--${setting.flag} URL[\\s\\S]*?${precedenceText(setting).replace(/[$.?*+^()[\]{}|\\/]/g, '\\$&')}`,
        'm',
      );
      expect(help).toMatch(line);
    }
    expect(help).not.toMatch(/default \$CI_SERVER_URL or/);
  });
});
