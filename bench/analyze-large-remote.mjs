/**
 * Benchmark: one `image-factory analyze` (clone, parse, commit, push) against a remote with 5,000 commits and
 * about 200 MB of history, beside a plain full `git clone` of the same remote. The GitOps side is cloned
 * shallow; the Dockerfile is read from another branch of the same large repository through a sparse,
 * blob-filtered clone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './generate-dockerfiles.mjs';
import { env, git } from './git-env.mjs';

const COMMITS = 5000;
const BLOB_BYTES = 40 * 1024; // incompressible: 5,000 × 40 KiB ≈ 200 MB of history
const root = fileURLToPath(new URL('../.bench/large-remote', import.meta.url));
const pristine = join(root, 'pristine.git');
const remote = join(root, 'gitops.git');
const cli = fileURLToPath(new URL('../apps/image-factory/bin/image-factory.mjs', import.meta.url));

const IMAGES_YAML =
  'images:\n  - name: app\n    registry: ghcr.io\n    repository: acme/app\n    source:\n      provider: github\n      repo: acme/app\n      branch: source\n      dockerfile: services/app/Dockerfile\n';
const DOCKERFILE =
  'ARG NODE=22\nFROM node:${NODE}-bookworm-slim AS build\nRUN npm ci\nFROM gcr.io/distroless/nodejs22:nonroot\nCOPY --from=build /app /app\n';

async function generate() {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  git(root, 'init', '--quiet', '--bare', '--initial-branch', 'main', pristine);
  const importer = spawn('git', ['fast-import', '--quiet', '--done'], {
    cwd: pristine,
    env,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const rand = prng(11);
  const write = (chunk) =>
    new Promise((resolve) => (importer.stdin.write(chunk) ? resolve() : importer.stdin.once('drain', resolve)));
  const inline = (path, content) =>
    Buffer.concat([Buffer.from(`M 100644 inline ${path}\ndata ${content.length}\n`), content, Buffer.from('\n')]);
  for (let i = 1; i <= COMMITS; i++) {
    const blob = Buffer.alloc(BLOB_BYTES);
    for (let j = 0; j < BLOB_BYTES; j += 4) blob.writeUInt32LE((rand() * 0xffffffff) >>> 0, j);
    const files = [inline(`data/blob-${i % 50}.bin`, blob)];
    if (i === COMMITS) {
      files.push(
        inline('images.yaml', Buffer.from(IMAGES_YAML)),
        inline('services/app/Dockerfile', Buffer.from(DOCKERFILE)),
      );
    }
    const message = `commit ${i}\n`;
    await write(
      Buffer.concat([
        Buffer.from(
          `commit refs/heads/main\ncommitter bench <b@example.com> ${1_700_000_000 + i} +0000\ndata ${message.length}\n${message}`,
        ),
        ...files,
        Buffer.from('\n'),
      ]),
    );
  }
  await write('done\n');
  importer.stdin.end();
  await new Promise((resolve, reject) =>
    importer.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import ${code}`)))),
  );
  git(pristine, 'branch', 'source', 'main');
  git(pristine, 'gc', '--quiet');
}

if (!existsSync(join(pristine, 'refs/heads/source'))) await generate();
rmSync(remote, { recursive: true, force: true });
git(root, 'clone', '--quiet', '--bare', '--no-local', pristine, remote);
const sizeMb = Number(git(remote, 'count-objects', '-v').match(/size-pack: (\d+)/)[1]) / 1024;
const commits = Number(git(remote, 'rev-list', '--count', 'main'));

let start = process.hrtime.bigint();
const run = spawnSync(
  process.execPath,
  [
    cli,
    'analyze',
    '--image',
    'app',
    '--tag',
    '1.0.0',
    '--digest',
    `sha256:${'a'.repeat(64)}`,
    '--git-repo',
    remote,
    '--source-repo',
    remote,
  ],
  { encoding: 'utf8', env: { ...env, KUBERNETES_SERVICE_HOST: '' } },
);
const analyzeMs = Number(process.hrtime.bigint() - start) / 1e6;
if (run.status !== 0) {
  console.error(run.stderr);
  process.exit(1);
}

const full = join(root, 'full-clone');
rmSync(full, { recursive: true, force: true });
start = process.hrtime.bigint();
git(root, 'clone', '--quiet', `file://${remote}`, full);
const fullCloneMs = Number(process.hrtime.bigint() - start) / 1e6;
rmSync(full, { recursive: true, force: true });

console.log(
  JSON.stringify({
    benchmark: 'analyze one image, large remote',
    commits,
    packMb: +sizeMb.toFixed(0),
    wallMs: +analyzeMs.toFixed(0),
    plainFullCloneMs: +fullCloneMs.toFixed(0),
    goal: { wallMs: 3000 },
  }),
);
