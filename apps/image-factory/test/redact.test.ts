/**
 * Secrets never leave the process (issue 18, item 1): every credential the process holds and any
 * `Authorization`/`PRIVATE-TOKEN`-shaped value in a server's answer become "***" before the answer is stored or
 * printed — and what is no credential, such as kubelet's `docker-pullable://…@sha256:…` image IDs, stays intact.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { clearSecrets, redact, redactAnswer, registerSecret } from '../src/log/redact.js';

const DIGEST = `sha256:${'4f'.repeat(32)}`;

afterEach(() => clearSecrets());

describe('what is not a credential is left alone', () => {
  test.each([
    `docker-pullable://nginx@${DIGEST}`,
    `docker-pullable://registry.example.com/acme/api@${DIGEST}`,
    `docker-pullable://registry.example.com:5000/acme/api@${DIGEST}`,
    `docker://acme/api@${DIGEST}`,
  ])('kubelet image ID %s', (imageId) => {
    registerSecret('s3cr3t-value');
    expect(redact(imageId)).toBe(imageId);
    expect(redactAnswer(`{"imageID":"${imageId}"}`)).toBe(`{"imageID":"${imageId}"}`);
  });

  test('words after Bearer/Basic/token that are English, and a challenge realm', () => {
    for (const text of [
      'the token expired',
      'Invalid Bearer token.',
      'Basic authentication is required',
      'Bearer realm="https://auth.example.com/token",service="registry.example.com"',
      'no GitHub token: set GITHUB_TOKEN or --github-token-file',
    ]) {
      expect(redactAnswer(text)).toBe(text);
    }
  });
});

describe('credentials the process holds', () => {
  test('a registered secret, and its URL-encoded and JSON-escaped forms', () => {
    registerSecret('pa/ss"word+1');
    expect(redact('a pa/ss"word+1 b pa%2Fss%22word%2B1 c pa/ss\\"word+1')).toBe('a *** b *** c ***');
  });

  test('a secret the caller holds (the token sent) is redacted from an answer even when not registered', () => {
    expect(redactAnswer('you sent opaque-forge-secret-zz, a bad one', { held: ['opaque-forge-secret-zz'] })).toBe(
      'you sent ***, a bad one',
    );
  });

  test('an answer cut at the bound: the beginning of a held secret at its end is redacted', () => {
    expect(redactAnswer('... echo opaque-forge-se', { held: ['opaque-forge-secret-zz'], truncated: true })).toBe(
      '... echo ***',
    );
    expect(redactAnswer('... authorization: Bearer abcD', { truncated: true })).toBe('... authorization: ***');
    // Not cut: the same text is an answer's whole end and a word of it no secret.
    expect(redactAnswer('... echo opaque', { held: ['opaque-forge-secret-zz'] })).toBe('... echo opaque');
  });
});

describe('credential shapes', () => {
  test.each([
    ['ghp_', `ghp_${'a1B2'.repeat(9)}`],
    ['gho_', `gho_${'Zx9'.repeat(12)}`],
    ['ghs_', `ghs_${'Q7w'.repeat(12)}`],
    ['github_pat_', `github_pat_11ABCDEFG0${'x'.repeat(40)}`],
    ['glpat-', 'glpat-AbCdEfGhIjKlMnOpQrSt'],
  ])('a %s token anywhere in a printed line', (_, token) => {
    expect(redact(`cloning with ${token} now`)).toBe('cloning with *** now');
  });

  test.each([
    ['Authorization header', 'Authorization: Bearer not-held-0123', 'Authorization: ***'],
    ['lower-case header', 'authorization: token abc123def', 'authorization: ***'],
    ['PRIVATE-TOKEN header', 'PRIVATE-TOKEN: some-other-token-9', 'PRIVATE-TOKEN: ***'],
    [
      'JSON echo',
      '{"headers":{"authorization":"Bearer xyz789","accept":"*/*"}}',
      '{"headers":{"authorization":"***","accept":"*/*"}}',
    ],
    ['JSON-escaped echo', '"{\\"private-token\\":\\"qwe123\\"}"', '"{\\"private-token\\":\\"***\\"}"'],
    ['Bearer in prose', 'the Bearer eyJhbGciOi.J9x is invalid', 'the Bearer *** is invalid'],
    ['Basic in prose', 'Basic dXNlcjpwYXNz rejected', 'Basic *** rejected'],
    ['token in prose', 'token 0123456789abcdef revoked', 'token *** revoked'],
  ])('%s', (_, text, expected) => {
    expect(redactAnswer(text)).toBe(expected);
  });

  test('a URL with user:password@ keeps its host', () => {
    expect(redact('https://bot:hunter2@git.example.com/acme/gitops.git')).toBe(
      'https://***@git.example.com/acme/gitops.git',
    );
  });
});
