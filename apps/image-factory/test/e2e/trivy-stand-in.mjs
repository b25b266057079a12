/**
 * A stand-in for the `trivy` executable of Trivy's image (aquasec/trivy), for the end-to-end harness: the pods run
 * the manifests' own shell steps, and `trivy` on their PATH is this. It takes what Trivy's CLI takes for
 * `trivy image` (the flags the manifests and docs/reports.md use; any other flag is refused as cobra refuses it:
 * `Error: unknown flag: --x`, exit 1), and it does what Trivy does that the factory relies on:
 * - the image is fetched from the registry with the credentials of `$DOCKER_CONFIG/config.json` (go-containerregistry's
 *   default keychain; plain HTTP for a loopback registry, as go-containerregistry does): a manifest the registry does
 *   not give is a failed scan (exit 1);
 * - the JSON report goes exactly where `--output` says: a fixture of Trivy's own golden reports
 *   (test/fixtures/trivy-golden, see its SOURCE.md) chosen for the digest by `reports.json` next to this file
 *   (`{ "default": FILE, "byDigest": { DIGEST: FILE } }`, written by the scenario), with `${REPOSITORY}@${DIGEST}` the
 *   reference it was asked to scan and `CreatedAt` the pod's clock (Trivy writes the scan's time there);
 * - `--cache-dir` must be writable (Trivy keeps its database and layer analyses there).
 * Every call is appended to `calls.jsonl` next to this file (argv, DOCKER_CONFIG set or not) for the scenario to check.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const CONFIG = process.env.TRIVY_STAND_IN_DIR ?? HERE;
const FIXTURES = join(HERE, '../fixtures/trivy-golden');

/** `trivy image` flags taking a value, and boolean ones (Trivy v0.75 `trivy image --help`). */
const VALUE_FLAGS = new Map([
  ['-f', 'format'],
  ['--format', 'format'],
  ['-o', 'output'],
  ['--output', 'output'],
  ['--cache-dir', 'cache-dir'],
  ['--server', 'server'],
  ['--scanners', 'scanners'],
  ['--severity', 'severity'],
  ['-s', 'severity'],
  ['--timeout', 'timeout'],
  ['--platform', 'platform'],
  ['--db-repository', 'db-repository'],
  ['--java-db-repository', 'java-db-repository'],
  ['--token', 'token'],
]);
const BOOLEAN_FLAGS = new Set([
  '--no-progress',
  '--quiet',
  '-q',
  '--insecure',
  '--skip-db-update',
  '--skip-java-db-update',
  '--offline-scan',
]);

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const [command, ...rest] = process.argv.slice(2);
appendFileSync(
  join(CONFIG, 'calls.jsonl'),
  `${JSON.stringify({ argv: process.argv.slice(2), dockerConfig: process.env.DOCKER_CONFIG ?? null })}\n`,
);
if (command !== 'image') fail(`Error: unknown command "${command}" for "trivy"`);

const flags = new Map();
const positionals = [];
for (let i = 0; i < rest.length; i++) {
  const arg = rest[i];
  if (!arg.startsWith('-')) {
    positionals.push(arg);
    continue;
  }
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  if (BOOLEAN_FLAGS.has(name)) continue;
  const key = VALUE_FLAGS.get(name);
  if (key === undefined) fail(`Error: unknown flag: ${name}`);
  const value = eq < 0 ? rest[++i] : arg.slice(eq + 1);
  if (value === undefined) fail(`Error: flag needs an argument: ${name}`);
  flags.set(key, value);
}
if (positionals.length !== 1) fail(`Error: "trivy image" requires exactly 1 argument, got ${positionals.length}`);
if (flags.get('format') !== 'json') fail('trivy stand-in: only --format json is simulated');
const output = flags.get('output');
if (output === undefined) fail('trivy stand-in: --output is required (the report goes to a file the tool reads)');

const reference = positionals[0];
const match = /^([^/]+)\/(.+)@(sha256:[0-9a-f]{64})$/.exec(reference);
if (match === null) fail(`FATAL: could not parse reference: ${reference}`);
const [, host, repository, digest] = match;

const cacheDir = flags.get('cache-dir');
if (cacheDir !== undefined) {
  mkdirSync(join(cacheDir, 'fanal'), { recursive: true });
  writeFileSync(join(cacheDir, 'fanal', 'stand-in'), reference);
}

// The registry, as go-containerregistry asks it: the keychain's credentials for the host, plain HTTP for loopback.
let authorization;
if (process.env.DOCKER_CONFIG !== undefined) {
  try {
    const config = JSON.parse(readFileSync(join(process.env.DOCKER_CONFIG, 'config.json'), 'utf8'));
    const auth = config?.auths?.[host]?.auth;
    if (typeof auth === 'string') authorization = `Basic ${auth}`;
  } catch {
    // No config.json: anonymous, as Trivy is.
  }
}
const scheme = /^(127\.|localhost[:]?)/.test(host) ? 'http' : 'https';
const response = await fetch(`${scheme}://${host}/v2/${repository}/manifests/${digest}`, {
  method: 'HEAD',
  headers: {
    accept: [
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
    ].join(', '),
    ...(authorization === undefined ? {} : { authorization }),
  },
});
if (response.status !== 200)
  fail(`FATAL: image scan error: unable to find the specified image "${reference}": HTTP ${response.status}`);

const choice = JSON.parse(readFileSync(join(CONFIG, 'reports.json'), 'utf8'));
const fixture = choice.byDigest?.[digest] ?? choice.default;
const report = readFileSync(join(FIXTURES, fixture), 'utf8')
  .replaceAll('${REPOSITORY}', `${host}/${repository}`)
  .replaceAll('${DIGEST}', digest)
  .replace(/"CreatedAt": "[^"]*"/, `"CreatedAt": "${new Date().toISOString()}"`);
writeFileSync(output, report);
