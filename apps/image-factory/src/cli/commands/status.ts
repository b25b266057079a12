/** `image-factory status`: one screen on what the factory knows about a GitOps repository. */
import { resolve } from 'node:path';
import { FactoryError } from '../../errors.js';
import { pendingByImage } from '../../rebuild/record.js';
import { liveStatus } from '../../registry/live-status.js';
import { readReleaseCache, writeReleaseCache } from '../../registry/release-cache.js';
import { dependencyTree } from '../../state/graph.js';
import type { StateSnapshot } from '../../state/types.js';
import { compareCodeUnits } from '../../util/compare.js';
import { planWarehouses } from '../../warehouses/plan.js';
import { formatTable } from '../format-table.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { CHECKOUT_OPTIONS, readCheckout } from '../repository-options.js';
import {
  type CommandIO,
  defineCommand,
  EXIT_OK,
  HELP_OPTION,
  type OptionSpecs,
  renderHelp,
  writeJson,
} from '../usage.js';

const DEFAULT_CONCURRENCY = 8;

const OPTIONS = {
  ...CHECKOUT_OPTIONS,
  json: { type: 'boolean', default: false, help: 'print the same facts as JSON (shape in the README)' },
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const LIVE_OPTIONS = {
  live: {
    type: 'boolean',
    default: false,
    help: 'ask the registries: current digest and release time of every base and external image, age and\nstaleness of every managed image (one HEAD per distinct reference)',
  },
  concurrency: {
    type: 'string',
    value: 'N',
    help: `registry lookups in flight with --live (default ${DEFAULT_CONCURRENCY})`,
  },
  'release-cache': {
    type: 'string',
    value: 'FILE',
    help: 'read and update release times by digest in FILE (a digest never changes, so neither does its time):\na known digest costs one HEAD and no GETs (which Docker Hub counts as pulls)',
  },
  ...REGISTRY_OPTIONS,
} as const satisfies OptionSpecs;

const ALL_OPTIONS = { ...OPTIONS, ...LIVE_OPTIONS } as const;

const HELP = renderHelp({
  usage: [
    'status [--root DIR] [--images FILE] [--image-factory-dir DIR] [--json]',
    'status --live [--concurrency N] [--release-cache FILE] [--registry-config FILE] [--insecure-registry HOST:PORT]\n              [--json]',
  ],
  description: `Print a one-screen summary of a GitOps repository: images enrolled (managed / external), base
images found, the Warehouses the chart would generate, and the dependency graph as a tree
(base image → images built on it → images built on those).

With --live, ask the registries instead: for every base and external image its current digest and release
time, for every managed image the age of its last analysed build and whether a base was released after it
(stale). Nothing is written.`,
  sections: [
    ['Options', OPTIONS],
    ['Registry (--live)', LIVE_OPTIONS],
  ],
  exit: '0 printed, 1 invalid images.yaml or state (--live: a lookup was refused or found nothing), 2 usage error\nor unreadable file, 3 (--live) a registry kept failing until the retries ran out: safe to run again.',
  examples: [
    'image-factory status --root ../gitops',
    'image-factory status --json',
    'image-factory status --live --registry-config ~/.docker/config.json',
  ],
});

/** The `status` command. */
export const statusCommand = defineCommand({
  name: 'status',
  summary: 'summarise images, base images, Warehouses and the dependency graph',
  help: HELP,
  options: ALL_OPTIONS,
  async run(values, _positionals, io) {
    const { enrolment, state } = await readCheckout(values, io);
    if (values.live) return runLive(values, state, io);
    const { warehouses, warnings } = planWarehouses(enrolment, state);
    const managed = enrolment.images.filter((i) => i.kind === 'managed').length;
    const bases = [...state.baseImages.values()];
    const managedBases = bases.filter((b) => b.managedImage !== undefined).length;
    const pinned = bases.filter((b) => b.untracked !== undefined).length;
    const baseWarehouses = warehouses.filter((w) => w.kind === 'base').length;
    if (values.json) {
      writeJson(io, {
        images: { total: enrolment.images.length, managed, external: enrolment.images.length - managed },
        baseImages: {
          total: bases.length,
          external: bases.length - managedBases - pinned,
          builtHere: managedBases,
          pinnedByDigest: pinned,
        },
        warehouses: { base: baseWarehouses, external: warehouses.length - baseWarehouses, managedPipelines: managed },
        // Every base image with the images built on it: the graph as edges, sorted by reference.
        graph: bases
          .map((b) => ({
            name: b.name,
            reference: b.reference,
            ...(b.managedImage === undefined ? {} : { managedImage: b.managedImage }),
            ...(b.untracked === undefined ? {} : { untracked: b.untracked }),
            dependents: b.dependents,
          }))
          .sort((a, b) => compareCodeUnits(a.reference, b.reference)),
        warnings,
        rebuilds: rebuildsOf(state),
      });
      return EXIT_OK;
    }
    const lines = [
      `images enrolled:      ${enrolment.images.length} (${managed} managed, ${enrolment.images.length - managed} external)`,
      `base images found:    ${bases.length} (${bases.length - managedBases - pinned} external, ${managedBases} built here, ${pinned} pinned by digest)`,
      `Warehouses generated: ${warehouses.length} (${baseWarehouses} base, ${warehouses.length - baseWarehouses} external) + ${managed} managed pipeline(s)`,
      '',
      'dependency graph:',
      ...dependencyTree(state, enrolment).map((line) => `  ${line}`),
      ...rebuildLines(rebuildsOf(state)),
      ...warnings.map((w) => `warning: ${w}`),
    ];
    io.stdout(`${lines.join('\n')}\n`);
    return EXIT_OK;
  },
});

type LiveValues = Parameters<typeof registryClientFrom>[1] & {
  concurrency?: string;
  json?: boolean;
  'release-cache'?: string;
};

async function runLive(values: LiveValues, state: StateSnapshot, io: CommandIO): Promise<number> {
  const concurrency = values.concurrency === undefined ? DEFAULT_CONCURRENCY : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new FactoryError('usage', 'image-factory status: --concurrency must be a whole number from 1 to 64');
  }
  const client = await registryClientFrom('status', values, io);
  const cacheFile = values['release-cache'] === undefined ? undefined : resolve(io.cwd, values['release-cache']);
  const known = cacheFile === undefined ? new Map<string, string | null>() : await readReleaseCache(cacheFile);
  const { status, exitCode, releases } = await liveStatus(client, state, {
    concurrency,
    now: io.now?.() ?? new Date(),
    knownReleases: known,
  });
  if (cacheFile !== undefined) await writeReleaseCache(cacheFile, releases, known);
  if (values.json) {
    writeJson(io, status);
    return exitCode;
  }
  const short = (digest: string | null) => (digest === null ? '-' : digest.slice(0, 19));
  const lines = [
    'base images:',
    formatTable(
      ['NAME', 'DIGEST', 'RELEASED', 'NOTE'],
      status.baseImages.map((b) => [
        b.name,
        short(b.digest),
        b.released ?? '-',
        b.error ?? (b.pinned ? 'pinned by digest' : ''),
      ]),
    ),
    '',
    'external images:',
    formatTable(
      ['NAME', 'REFERENCE', 'DIGEST', 'RELEASED', 'NOTE'],
      status.externalImages.map((e) => [e.name, e.reference, short(e.digest), e.released ?? '-', e.error ?? '']),
    ),
    '',
    'managed images:',
    formatTable(
      ['NAME', 'BUILT', 'AGE', 'STALE', 'NOTE'],
      status.managedImages.map((m) => [
        m.name,
        m.created ?? '-',
        m.ageDays === null ? '-' : `${m.ageDays}d`,
        m.stale === null ? '?' : m.stale ? 'yes' : 'no',
        m.error ??
          (m.build === null
            ? 'no build analysed yet'
            : m.newerBases.length > 0
              ? `newer: ${m.newerBases.join(', ')}`
              : ''),
      ]),
    ),
    '',
    `requests: ${status.requests.head} HEAD, ${status.requests.get} GET, ${status.requests.token} token, ${status.requests.ping} ping`,
    ...status.rateLimits.map((r) => `rate limit ${r.registry}: ${r.remaining} of ${r.limit} pulls left`),
  ];
  io.stdout(`${lines.join('\n')}\n`);
  return exitCode;
}

/** Pending rebuilds (merged per image, as they will be triggered) and the last failed trigger of each image. */
function rebuildsOf(state: StateSnapshot) {
  const pending = [...pendingByImage(state).values()]
    .sort((a, b) => compareCodeUnits(a.image, b.image))
    .map((p) => ({
      image: p.image,
      due: p.due,
      urgent: p.urgent,
      waitFor: p.waitFor,
      waitUntil: p.waitUntil,
      causes: p.causes,
    }));
  const failed = new Map<string, { image: string; at: string; answer: string }>();
  for (const base of state.baseImages.values()) {
    for (const h of base.rebuild?.history ?? []) {
      if (h.result !== 'failed') continue;
      const known = failed.get(h.image);
      if (known === undefined || known.at < h.at)
        failed.set(h.image, { image: h.image, at: h.at, answer: h.answer ?? '' });
    }
  }
  return { pending, failed: [...failed.values()].sort((a, b) => compareCodeUnits(a.image, b.image)) };
}

function rebuildLines(rebuilds: ReturnType<typeof rebuildsOf>): string[] {
  if (rebuilds.pending.length === 0 && rebuilds.failed.length === 0) return [];
  return [
    '',
    'rebuilds:',
    ...rebuilds.pending.map(
      (p) =>
        `  ${p.image}: due ${p.due}${p.urgent ? ' (urgent)' : ''}${p.waitFor.length > 0 ? `, waits for ${p.waitFor.join(', ')} until ${p.waitUntil}` : ''} (${p.causes.map((c) => `${c.base} ${c.digest.slice(0, 19)}`).join(', ')})`,
    ),
    ...rebuilds.failed.map((f) => `  ${f.image}: trigger failed ${f.at}: ${f.answer}`),
  ];
}
