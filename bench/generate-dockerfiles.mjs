/**
 * Deterministic generator of realistic Dockerfiles for the benchmarks: mixed single- and multi-stage,
 * meta ARGs used in FROM, COPY --from stages and images, RUN --mount, long RUN lines with continuations.
 */

/** mulberry32: a tiny seeded PRNG so every run generates the same corpus. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASES = [
  'node:22-bookworm-slim',
  'node:20-alpine',
  'python:3.12-slim',
  'golang:1.23',
  'debian:bookworm-slim',
  'ubuntu:24.04',
  'alpine:3.20',
  'eclipse-temurin:21-jre',
  'ghcr.io/acme/base:1.4',
  'registry.example.com:5000/team/java:21',
  'gcr.io/distroless/static-debian12:nonroot',
  'nginx:1.27-alpine',
];
const PACKAGES = ['curl', 'ca-certificates', 'git', 'build-essential', 'libssl-dev', 'tini', 'jq', 'unzip', 'gnupg'];

function pick(rand, list) {
  return list[Math.floor(rand() * list.length)];
}

function runLine(rand) {
  const pkgs = [];
  const n = 3 + Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) pkgs.push(pick(rand, PACKAGES));
  const parts = [
    'apt-get update',
    `apt-get install -y --no-install-recommends \\\n      ${pkgs.join(' \\\n      ')}`,
    `curl -fsSL https://example.com/releases/v${Math.floor(rand() * 100)}/tool.tar.gz | tar -xz -C /usr/local/bin`,
    'rm -rf /var/lib/apt/lists/*',
    `echo "built with ${'x'.repeat(20 + Math.floor(rand() * 60))}" > /etc/build-info`,
  ];
  return `RUN set -eux; \\\n    ${parts.join(' \\\n    && ')}`;
}

/** One Dockerfile of 20-40 instructions. */
export function generateDockerfile(rand, index) {
  const out = [`# generated benchmark Dockerfile ${index}`];
  const multi = rand() < 0.6;
  const stageCount = multi ? 2 + Math.floor(rand() * 2) : 1;
  const target = 20 + Math.floor(rand() * 21);
  const perStage = Math.max(3, Math.floor(target / stageCount) - 1);
  if (rand() < 0.5) out.push('ARG BASE_TAG=22-bookworm-slim', 'ARG REGISTRY=docker.io');
  const usesArg = out.length > 1;
  for (let s = 0; s < stageCount; s++) {
    const last = s === stageCount - 1;
    const name = last ? 'runtime' : `build${s}`;
    const base = usesArg && s === 0 ? '${REGISTRY}/library/node:${BASE_TAG}' : pick(rand, BASES);
    const platform = !last && rand() < 0.5 ? '--platform=$BUILDPLATFORM ' : '';
    out.push('', `FROM ${platform}${base} AS ${name}`);
    out.push('ARG VERSION=1.0.0', `WORKDIR /src/app${s}`, `ENV APP_HOME=/srv/${name} PATH=/srv/${name}/bin:$PATH`);
    for (let i = 4; i < perStage; i++) {
      const r = rand();
      if (r < 0.35) out.push(runLine(rand));
      else if (r < 0.5) out.push(`COPY package${i}.json ./`);
      else if (r < 0.6 && s > 0) out.push(`COPY --from=build${s - 1} /src/app${s - 1}/dist ./dist${i}`);
      else if (r < 0.65) out.push(`COPY --from=${pick(rand, BASES)} /etc/ssl/certs /etc/ssl/certs`);
      else if (r < 0.7 && s > 0) out.push(`RUN --mount=type=bind,from=build${s - 1},target=/mnt make -C /mnt install`);
      else if (r < 0.8) out.push(`LABEL org.opencontainers.image.version="${i}" org.example.stage="${name}"`);
      else if (r < 0.9) out.push(`# step ${i}: ${'lorem ipsum '.repeat(3)}`, `RUN echo step-${i} && ls -la /src`);
      else out.push(`EXPOSE ${3000 + i}`, `USER ${1000 + i}`);
    }
    if (last) out.push('ENTRYPOINT ["/usr/bin/tini", "--"]', 'CMD ["node", "server.js"]');
  }
  return `${out.join('\n')}\n`;
}

/** `count` Dockerfiles, the same on every run for the same seed. */
export function generateDockerfiles(count, seed = 42) {
  const rand = prng(seed);
  const files = [];
  for (let i = 0; i < count; i++) files.push(generateDockerfile(rand, i));
  return files;
}
