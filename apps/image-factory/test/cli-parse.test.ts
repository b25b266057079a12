/** `image-factory parse` as a user runs it: real files, real exit codes (one case as a separate process). */
import { describe, expect, it } from 'vitest';
import { cli, fixturePath, runCli } from './helpers.js';

describe('image-factory parse', () => {
  it('prints the JSON contract for one file', async () => {
    const { status, stdout } = await cli(['parse', fixturePath('dockerfiles/stages.Dockerfile'), '--json']);
    expect(status).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(['file', 'stages', 'images', 'diagnostics']);
    expect(result.file).toBe(fixturePath('dockerfiles/stages.Dockerfile'));
    expect(Object.keys(result.images[0])).toEqual([
      'text',
      'reference',
      'registry',
      'repository',
      'tag',
      'digest',
      'kind',
      'stage',
      'platform',
      'line',
    ]);
  });

  it('prints an array for several files and reads - from standard input', async () => {
    const { status, stdout } = await cli(['parse', '-', fixturePath('dockerfiles/directives.Dockerfile'), '--json'], {
      input: 'FROM node:22-bookworm-slim AS build\n',
    });
    expect(status).toBe(0);
    const results = JSON.parse(stdout);
    expect(results.map((r: { file: string }) => r.file)).toEqual([
      '-',
      fixturePath('dockerfiles/directives.Dockerfile'),
    ]);
    expect(results[0].images[0].reference).toBe('docker.io/library/node:22-bookworm-slim');
  });

  it('applies --build-arg', async () => {
    const { stdout } = await cli(['parse', '-', '--json', '--build-arg', 'V=20'], {
      input: 'ARG V=22\nFROM node:$V\n',
    });
    expect(JSON.parse(stdout).images[0].reference).toBe('docker.io/library/node:20');
  });

  it('prints a readable table by default', async () => {
    const { status, stdout } = await cli(['parse', fixturePath('dockerfiles/stages.Dockerfile')]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/LINE\s+KIND\s+STAGE\s+PLATFORM\s+REFERENCE/);
    expect(stdout).toMatch(/8\s+mount-from\s+test\s+-\s+ghcr\.io\/acme\/tools:2/);
  });

  it('exits 1 with file:line diagnostics when the Dockerfile has errors', async () => {
    const file = fixturePath('dockerfiles/references.Dockerfile');
    const { status, stdout } = await cli(['parse', file]);
    expect(status).toBe(1);
    expect(stdout).toContain(
      `${file}:7: error invalid-reference: invalid image reference: repository "library/Node" must be lowercase`,
    );
  });

  it('exits 0 with warnings only', async () => {
    const { status, stdout } = await cli(['parse', '-'], { input: 'ARG V\nFROM node:$V\n' });
    expect(status).toBe(0);
    expect(stdout).toContain('-:2: warning unresolved-arg');
  });

  it('exits 2 on usage errors and unreadable files, without a stack trace', async () => {
    // A real process: the exit status and stderr a shell sees.
    const missing = runCli(['parse', '/nonexistent/Dockerfile']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read \/nonexistent\/Dockerfile: ENOENT/);
    expect(missing.stderr).not.toMatch(/\bat .*\.js:\d+/);
    const flag = await cli(['parse', '--nope']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--nope'/);
    const badArg = await cli(['parse', '-', '--build-arg', 'NOEQUALS']);
    expect(badArg.status).toBe(2);
    expect(badArg.stderr).toMatch(/--build-arg takes NAME=VALUE/);
    expect((await cli(['parse'])).status).toBe(2);
    expect((await cli(['frobnicate'])).status).toBe(2);
  });

  it('documents every flag with an example', async () => {
    const help = await cli(['parse', '--help']);
    expect(help.status).toBe(0);
    for (const flag of ['--build-arg', '--json', '--help', 'Examples:', 'Exit status'])
      expect(help.stdout).toContain(flag);
    const main = await cli(['--help']);
    expect(main.status).toBe(0);
    expect(main.stdout).toMatch(/parse\s+print the base images/);
    expect((await cli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
