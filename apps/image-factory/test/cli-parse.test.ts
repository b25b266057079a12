/** `image-factory parse` as a user runs it: the compiled binary, real files, real exit codes. */
import { describe, expect, it } from 'vitest';
import { fixturePath, runCli } from './helpers.js';

describe('image-factory parse', () => {
  it('prints the JSON contract for one file', () => {
    const { status, stdout } = runCli(['parse', fixturePath('dockerfiles/stages.Dockerfile'), '--json']);
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

  it('prints an array for several files and reads - from standard input', () => {
    const { status, stdout } = runCli(['parse', '-', fixturePath('dockerfiles/directives.Dockerfile'), '--json'], {
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

  it('applies --build-arg', () => {
    const { stdout } = runCli(['parse', '-', '--json', '--build-arg', 'V=20'], { input: 'ARG V=22\nFROM node:$V\n' });
    expect(JSON.parse(stdout).images[0].reference).toBe('docker.io/library/node:20');
  });

  it('prints a readable table by default', () => {
    const { status, stdout } = runCli(['parse', fixturePath('dockerfiles/stages.Dockerfile')]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/LINE\s+KIND\s+STAGE\s+PLATFORM\s+REFERENCE/);
    expect(stdout).toMatch(/8\s+mount-from\s+test\s+-\s+ghcr\.io\/acme\/tools:2/);
  });

  it('exits 1 with file:line diagnostics when the Dockerfile has errors', () => {
    const file = fixturePath('dockerfiles/references.Dockerfile');
    const { status, stdout } = runCli(['parse', file]);
    expect(status).toBe(1);
    expect(stdout).toContain(
      `${file}:7: error invalid-reference: invalid image reference: repository "library/Node" must be lowercase`,
    );
  });

  it('exits 0 with warnings only', () => {
    const { status, stdout } = runCli(['parse', '-'], { input: 'ARG V\nFROM node:$V\n' });
    expect(status).toBe(0);
    expect(stdout).toContain('-:2: warning unresolved-arg');
  });

  it('exits 2 on usage errors and unreadable files, without a stack trace', () => {
    const missing = runCli(['parse', '/nonexistent/Dockerfile']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read \/nonexistent\/Dockerfile: ENOENT/);
    expect(missing.stderr).not.toMatch(/\bat .*\.js:\d+/);
    const flag = runCli(['parse', '--nope']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--nope'/);
    const badArg = runCli(['parse', '-', '--build-arg', 'NOEQUALS']);
    expect(badArg.status).toBe(2);
    expect(badArg.stderr).toMatch(/--build-arg takes NAME=VALUE/);
    expect(runCli(['parse']).status).toBe(2);
    expect(runCli(['frobnicate']).status).toBe(2);
  });

  it('documents every flag with an example', () => {
    const help = runCli(['parse', '--help']);
    expect(help.status).toBe(0);
    for (const flag of ['--build-arg', '--json', '--help', 'Examples:', 'Exit status'])
      expect(help.stdout).toContain(flag);
    const main = runCli(['--help']);
    expect(main.status).toBe(0);
    expect(main.stdout).toMatch(/parse\s+print the base images/);
    expect(runCli(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
