/**
 * The `verify` policy in images.yaml (issue 22 item 1): `defaults.verify`, `images[].verify` and
 * `baseImagePolicies[].verify`; `validate` refuses a bad PEM, a private key, a bad regular expression, an unknown
 * field and ambiguous entries, each at file:line:column; and the rules a policy is read by (subjectRegExp always
 * anchored, reference patterns over the normalised registry/repository).
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EnrolmentError, loadEnrolment, loadVerifyPolicy } from '../src/enrolment/load.js';
import { anchoredSubject, matchesReference, policyFor } from '../src/signatures/index.js';
import { cli } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A PEM as a YAML block scalar indented by `indent` spaces. */
const block = (pem: string, indent: number) =>
  `|\n${pem
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(indent)}${line}`)
    .join('\n')}`;

const EXTERNAL = `  - name: postgres\n    registry: docker.io\n    repository: library/postgres\n    allowTags: '^16$'\n`;

function problems(text: string): string[] {
  try {
    loadEnrolment(text, 'images.yaml');
  } catch (error) {
    if (error instanceof EnrolmentError) return error.message.split('\n');
    throw error;
  }
  return [];
}

describe('a verify policy in images.yaml', () => {
  test('is loaded with its defaults: mode enforce, transparency log required', () => {
    const enrolment = loadEnrolment(
      `defaults:\n  verify:\n    keys:\n      - pem: ${block(PUBLIC_PEM, 10)}\nimages:\n${EXTERNAL}    verify:\n      mode: warn\n      identities:\n        - issuer: https://token.actions.githubusercontent.com\n          subjectRegExp: https://github.com/acme/.*\n      requireTransparencyLog: false\nbaseImagePolicies:\n  - match: cgr.dev/chainguard/*\n    verify:\n      identities:\n        - issuer: https://token.actions.githubusercontent.com\n          subject: https://github.com/chainguard-images/images/.github/workflows/release.yaml@refs/heads/main\n`,
    );
    expect(enrolment.defaults.verify).toEqual({
      mode: 'enforce',
      identities: [],
      keys: [{ pem: `${PUBLIC_PEM.trim()}\n` }],
      requireTransparencyLog: true,
    });
    expect(enrolment.images[0]?.verify).toEqual({
      mode: 'warn',
      identities: [
        { issuer: 'https://token.actions.githubusercontent.com', subjectRegExp: 'https://github.com/acme/.*' },
      ],
      keys: [],
      requireTransparencyLog: false,
    });
    expect(enrolment.baseImagePolicies?.map((p) => p.match)).toEqual(['cgr.dev/chainguard/*']);
    // Which policy covers what: the enrolled image its own, a Chainguard base the pattern's, anything else defaults.
    expect(policyFor(enrolment, 'docker.io', 'library/postgres')?.mode).toBe('warn');
    expect(policyFor(enrolment, 'cgr.dev', 'chainguard/node')?.identities).toHaveLength(1);
    expect(policyFor(enrolment, 'docker.io', 'library/node')).toBe(enrolment.defaults.verify);
  });

  test('absent everywhere: no policy applies (signatures are not checked)', () => {
    const enrolment = loadEnrolment(`images:\n${EXTERNAL}`);
    expect(enrolment.defaults.verify).toBeUndefined();
    expect(enrolment.images[0]).not.toHaveProperty('verify');
    expect(enrolment).not.toHaveProperty('baseImagePolicies');
    expect(policyFor(enrolment, 'docker.io', 'library/postgres')).toBeNull();
  });

  test('a PEM that is not a public key is refused at its line and column', () => {
    expect(problems(`defaults:\n  verify:\n    keys:\n      - pem: not a key\nimages: []\n`)).toEqual([
      'images.yaml:4:14: defaults.verify.keys[0].pem must be a PEM public key (-----BEGIN PUBLIC KEY-----)',
    ]);
    const broken = PUBLIC_PEM.replace(/[A-Za-z0-9+/]{8}\n/, 'AAAAAAA\n');
    expect(problems(`defaults:\n  verify:\n    keys:\n      - pem: ${block(broken, 10)}\nimages: []\n`)).toEqual([
      'images.yaml:4:14: defaults.verify.keys[0].pem is not a readable PEM public key',
    ]);
  });

  test('a private key is refused, and its text is never repeated in the message', () => {
    const found = problems(`images:\n${EXTERNAL}    verify:\n      keys:\n        - pem: ${block(PRIVATE_PEM, 12)}\n`);
    expect(found).toEqual([
      'images.yaml:8:16: images[0].verify.keys[0].pem is a private key: give the public key (cosign.pub), and keep the private one out of the repository',
    ]);
    const body = PRIVATE_PEM.split('\n')[1] ?? '';
    expect(found.join('\n')).not.toContain(body);
  });

  test('a subjectRegExp that does not compile is refused', () => {
    expect(
      problems(
        `images: []\nbaseImagePolicies:\n  - match: docker.io/library/*\n    verify:\n      identities:\n        - issuer: https://accounts.google.com\n          subjectRegExp: "(unclosed"\n`,
      ),
    ).toEqual([
      expect.stringMatching(
        /^images\.yaml:7:26: baseImagePolicies\[0\]\.verify\.identities\[0\]\.subjectRegExp is not a valid regular expression: /,
      ),
    ]);
  });

  test('an unknown field is refused at its key', () => {
    expect(problems(`defaults:\n  verify:\n    keyz: []\nimages: []\n`)).toEqual([
      'images.yaml:3:5: defaults.verify.keyz is not a known field (check the spelling; see image-factory/schema/images.schema.json)',
    ]);
  });

  test('subject and subjectRegExp together, pem and file together, or neither identities nor keys are refused', () => {
    expect(
      problems(
        `defaults:\n  verify:\n    identities:\n      - issuer: https://accounts.google.com\n        subject: a@example.com\n        subjectRegExp: .*@example.com\nimages: []\n`,
      ),
    ).toEqual(['images.yaml:4:9: defaults.verify.identities[0] must have exactly one of subject and subjectRegExp']);
    expect(
      problems(
        `defaults:\n  verify:\n    keys:\n      - file: cosign.pub\n        pem: ${block(PUBLIC_PEM, 10)}\nimages: []\n`,
      ),
    ).toEqual(['images.yaml:4:9: defaults.verify.keys[0] must have exactly one of pem and file']);
    expect(problems(`defaults:\n  verify:\n    mode: enforce\nimages: []\n`)).toEqual([
      'images.yaml:3:5: defaults.verify must name identities or keys (or both): who may sign',
    ]);
  });

  test('a key file outside the repository and a bare match pattern are refused', () => {
    expect(
      problems(
        `images: []\nbaseImagePolicies:\n  - match: node\n    verify:\n      keys:\n        - file: keys/cosign.pub\n  - match: docker.io/library/*\n    verify:\n      keys:\n        - file: ../keys/cosign.pub\n`,
      ),
    ).toEqual([
      'images.yaml:3:12: baseImagePolicies[0].match must be a lowercase registry/repository pattern with * or ** wildcards (e.g. docker.io/library/node, cgr.dev/chainguard/*)',
      'images.yaml:10:17: baseImagePolicies[1].verify.keys[0].file must be a relative path inside the repository',
    ]);
  });
});

describe('image-factory validate', () => {
  test('prints a policy problem as file:line:column: field message and exits 1', async () => {
    const file = join(tempDir('if-verify-validate-'), 'images.yaml');
    writeFileSync(file, `images:\n${EXTERNAL}    verify:\n      keys:\n        - pem: nope\n`);
    const result = await cli(['validate', '--images', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `${file}:8:16: images[0].verify.keys[0].pem must be a PEM public key (-----BEGIN PUBLIC KEY-----)`,
    );
  });
});

describe('inspect --policy FILE: one verify block, located like images.yaml', () => {
  test('a valid block', () => {
    expect(loadVerifyPolicy(`keys:\n  - file: cosign.pub\nrequireTransparencyLog: false\n`, 'policy.yaml')).toEqual({
      mode: 'enforce',
      identities: [],
      keys: [{ file: 'cosign.pub' }],
      requireTransparencyLog: false,
    });
  });

  test('problems at file:line:column', () => {
    expect(() => loadVerifyPolicy(`mode: sometimes\nkeys:\n  - pem: nope\n`, 'policy.yaml')).toThrow(
      'policy.yaml:1:7: mode must be enforce or warn',
    );
    expect(() => loadVerifyPolicy(`keys:\n  - pem: nope\n`, 'policy.yaml')).toThrow(
      'policy.yaml:2:10: keys[0].pem must be a PEM public key (-----BEGIN PUBLIC KEY-----)',
    );
  });
});

describe('the rules a policy is read by', () => {
  test('subjectRegExp is always anchored: "soyland" does not match cody@soyland.com', () => {
    expect(anchoredSubject('soyland').test('cody@soyland.com')).toBe(false);
    expect(anchoredSubject('.*@soyland\\.com').test('cody@soyland.com')).toBe(true);
    expect(anchoredSubject('.*@soyland\\.com').test('cody@soyland.com.evil.example')).toBe(false);
    // An alternation cannot escape the anchors.
    expect(anchoredSubject('a@x\\.com|soyland').test('cody@soyland.com')).toBe(false);
  });

  test('match: * stays within a path segment, ** crosses segments, the rest is literal', () => {
    expect(matchesReference('cgr.dev/chainguard/*', 'cgr.dev', 'chainguard/node')).toBe(true);
    expect(matchesReference('cgr.dev/chainguard/*', 'cgr.dev', 'chainguard/sub/node')).toBe(false);
    expect(matchesReference('cgr.dev/**', 'cgr.dev', 'chainguard/sub/node')).toBe(true);
    expect(matchesReference('docker.io/library/node', 'docker.io', 'library/node')).toBe(true);
    expect(matchesReference('docker.io/library/node', 'docker.io', 'library/nodejs')).toBe(false);
    // "." is literal, not any character.
    expect(matchesReference('cgr.dev/chainguard/*', 'cgrxdev', 'chainguard/node')).toBe(false);
  });
});
