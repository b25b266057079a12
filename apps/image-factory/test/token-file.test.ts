/**
 * API tokens are read one way by every command (issue 20: one rule in one place): from the file an option names (a
 * mounted Secret), else from the environment variable; trimmed; never printed (registered for redaction as soon as
 * read). A named file that cannot be read or holds nothing is a usage error (exit 2) naming the command and the
 * file, for `rebuild`, `request` (the forge token) and `request provision` (the Chainguard token) alike.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { requestForgeFrom } from '../src/cli/commands/request-forge.js';
import { readToken } from '../src/cli/token-file.js';
import type { CommandIO } from '../src/cli/usage.js';
import { FactoryError } from '../src/errors.js';
import { clearSecrets, redact } from '../src/log/redact.js';
import { tempDir } from './support/git-repos.js';

afterEach(() => clearSecrets());

const SECRET = 'tok-Never-Printed-0123456789';

function io(cwd: string, env: Record<string, string | undefined> = {}): CommandIO {
  return { stdout: () => {}, stderr: () => {}, readStdin: async () => '', env, cwd };
}

/** The usage error `action` throws (a FactoryError with code `usage`), or a failure when it throws none. */
async function usageError(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(FactoryError);
    expect(error instanceof FactoryError ? error.code : null).toBe('usage');
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected a usage error');
}

describe('readToken', () => {
  test('a named file (relative to the working directory) is read, trimmed, preferred to the variable, redacted', async () => {
    const dir = tempDir('if-token-');
    writeFileSync(join(dir, 'token'), `  ${SECRET}\n`);
    const token = await readToken(
      'rebuild',
      io(dir, { GITHUB_TOKEN: 'from-the-environment' }),
      'token',
      'GITHUB_TOKEN',
    );
    expect(token).toBe(SECRET);
    expect(redact(`sent ${SECRET}`)).not.toContain(SECRET);
  });

  test('without a file: the variable, trimmed and redacted; unset or blank is no token (null)', async () => {
    const dir = tempDir('if-token-');
    expect(await readToken('rebuild', io(dir, { GITLAB_TOKEN: ` ${SECRET} ` }), undefined, 'GITLAB_TOKEN')).toBe(
      SECRET,
    );
    expect(redact(SECRET)).not.toContain(SECRET);
    expect(await readToken('rebuild', io(dir, {}), undefined, 'GITLAB_TOKEN')).toBeNull();
    expect(await readToken('rebuild', io(dir, { GITLAB_TOKEN: ' \n' }), undefined, 'GITLAB_TOKEN')).toBeNull();
  });

  test('a named file that cannot be read is a usage error naming the command and the file', async () => {
    const dir = tempDir('if-token-');
    const message = await usageError(() => readToken('request provision', io(dir), 'nope', 'CHAINGUARD_TOKEN'));
    expect(message).toMatch(/^image-factory request provision: cannot read token file nope: /);
  });

  test('a named file that holds nothing (a Secret mounted empty) is a usage error, not a quiet "no token"', async () => {
    const dir = tempDir('if-token-');
    writeFileSync(join(dir, 'empty'), '\n');
    const message = await usageError(() =>
      readToken('rebuild', io(dir, { GITHUB_TOKEN: SECRET }), 'empty', 'GITHUB_TOKEN'),
    );
    expect(message).toBe('image-factory rebuild: token file empty is empty');
  });
});

describe('the forge token of request add/check/provision follows the same rule', () => {
  const forges = { github: 'https://github.com', gitlab: 'https://gitlab.com' };

  test('an empty --github-token-file is a usage error naming the command and the file', async () => {
    const dir = tempDir('if-token-');
    writeFileSync(join(dir, 'gh'), '');
    const message = await usageError(() =>
      requestForgeFrom(
        'request add',
        { forge: 'github', 'forge-repo': 'acme/gitops', 'github-token-file': 'gh' },
        io(dir),
        'https://github.com/acme/gitops.git',
        forges,
      ),
    );
    expect(message).toBe('image-factory request add: token file gh is empty');
  });

  test('a readable --gitlab-token-file gives the forge its trimmed token', async () => {
    const dir = tempDir('if-token-');
    writeFileSync(join(dir, 'gl'), `${SECRET}\n`);
    const got = await requestForgeFrom(
      'request check',
      { 'gitlab-token-file': 'gl' },
      io(dir),
      'https://gitlab.com/acme/gitops.git',
      forges,
    );
    expect(got.why).toBeNull();
    expect(got.forge?.token).toBe(SECRET);
    expect(got.forge?.provider).toBe('gitlab');
  });
});
