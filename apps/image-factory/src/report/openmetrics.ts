/**
 * The report's summary as OpenMetrics gauges (for a Prometheus textfile collector or a Pushgateway): images by kind,
 * base images, stale images, pending rebuilds (and those not sent, by reason), rebuilds claimed and not answered,
 * failed triggers, the oldest build's age; and per image what its recorded scans say (issue 21): a base or external
 * image's current digest's counts by severity, fixable CRITICALs, EOSL and scan age, a managed image's bases' fixable
 * CRITICALs and EOSL. An image never scanned has no sample (absent, not 0). Base digests blocked by a signature
 * policy, per base (issue 22). Ends with `# EOF`.
 */
import { DAY_MS } from '../util/time.js';
import type { Report } from './model.js';

/** A label value as OpenMetrics writes it: backslash, double quote and newline escaped. */
const labelValue = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

type Sample = readonly [labels: string, value: number];

const SEVERITIES = [
  ['critical', 'criticalCount'],
  ['high', 'highCount'],
  ['medium', 'mediumCount'],
  ['low', 'lowCount'],
  ['unknown', 'unknownCount'],
] as const;

/** The per-image vulnerability samples: base images, then external, then managed, each by name. */
function vulnerabilitySamples(report: Report) {
  const scanned = [
    ...report.baseImages.map((b) => ({ name: b.name, kind: 'base', facts: b.vulnerabilities })),
    ...report.images.flatMap((i) =>
      i.vulnerabilities === null ? [] : [{ name: i.name, kind: 'external', facts: i.vulnerabilities }],
    ),
  ];
  const labels = (name: string, kind: string) => `image=${labelValue(name)},kind=${labelValue(kind)}`;
  const counts: Sample[] = [];
  const fixable: Sample[] = [];
  const eosl: Sample[] = [];
  const age: Sample[] = [];
  for (const { name, kind, facts } of scanned) {
    const scan = facts.scan;
    if (scan === null) continue;
    for (const [severity, field] of SEVERITIES)
      counts.push([`{${labels(name, kind)},severity=${labelValue(severity)}}`, scan.summary[field]]);
    fixable.push([`{${labels(name, kind)}}`, scan.fixableCritical.length]);
    eosl.push([`{${labels(name, kind)}}`, scan.eosl ? 1 : 0]);
    if (scan.ageSeconds !== null) age.push([`{${labels(name, kind)}}`, scan.ageSeconds]);
  }
  for (const image of report.images) {
    const carried = image.carried;
    if (carried === null || carried.summary === null) continue;
    fixable.push([`{${labels(image.name, 'managed')}}`, carried.fixableCritical.length]);
    eosl.push([`{${labels(image.name, 'managed')}}`, carried.eoslBases.length > 0 ? 1 : 0]);
  }
  return { counts, fixable, eosl, age };
}

/** Blocked base digests per base, split by whether they carried any signature (a base with none has no sample). */
function blockedSamples(report: Report): Sample[] {
  const counts = new Map<string, { unsigned: number; signed: number }>();
  for (const b of report.signatures.blocked) {
    const count = counts.get(b.base) ?? { unsigned: 0, signed: 0 };
    if (b.unsigned) count.unsigned += 1;
    else count.signed += 1;
    counts.set(b.base, count);
  }
  return [...counts].flatMap(([base, count]): Sample[] => [
    [`{image=${labelValue(base)},kind="base",unsigned="true"}`, count.unsigned],
    [`{image=${labelValue(base)},kind="base",unsigned="false"}`, count.signed],
  ]);
}

/** The report as OpenMetrics text. */
export function renderOpenMetrics(report: Report): string {
  const { summary } = report;
  const vulnerabilities = vulnerabilitySamples(report);
  const gauge = (name: string, help: string, samples: readonly Sample[]) => [
    `# TYPE ${name} gauge`,
    `# HELP ${name} ${help}`,
    ...samples.map(([labels, value]) => `${name}${labels} ${value}`),
  ];
  const lines = [
    ...gauge('image_factory_images', 'Images enrolled in images.yaml, by kind.', [
      ['{kind="managed"}', summary.managed],
      ['{kind="external"}', summary.external],
    ]),
    ...gauge('image_factory_base_images', 'Distinct base image references in the state.', [['', summary.baseImages]]),
    ...gauge(
      'image_factory_stale_images',
      'Managed images with a pending rebuild or a base released after their build.',
      [['', summary.stale]],
    ),
    ...gauge('image_factory_pending_rebuilds', 'Rebuilds decided and not yet triggered.', [
      ['', summary.pendingRebuilds],
    ]),
    ...gauge(
      'image_factory_unsent_rebuilds',
      'Pending rebuilds the last sweep found due and did not send, by reason (no token, no workflow).',
      summary.unsentRebuilds.map((u) => [`{reason=${labelValue(u.reason)}}`, u.images]),
    ),
    ...gauge(
      'image_factory_claimed_rebuilds',
      'Rebuilds claimed whose CI answer is not recorded yet (sent again, same key, after the claim timeout).',
      [['', summary.claimedRebuilds]],
    ),
    ...gauge('image_factory_failed_triggers', 'Images whose last rebuild trigger was refused.', [
      ['', summary.failedTriggers],
    ]),
    ...gauge(
      'image_factory_blocked_digests',
      'Base digests recorded blocked by an enforced signature policy (never decided on or pinned), by base; unsigned: no signature at all.',
      blockedSamples(report),
    ),
    ...(summary.oldestBuildAgeDays === null
      ? []
      : gauge('image_factory_oldest_build_age_seconds', 'Age of the oldest analysed build (known with --live).', [
          ['', (summary.oldestBuildAgeDays * DAY_MS) / 1000],
        ])),
    ...gauge(
      'image_factory_vulnerabilities',
      'Findings by severity in the scan of the digest in use of a base or external image (Trivy Operator counts).',
      vulnerabilities.counts,
    ),
    ...gauge(
      'image_factory_fixable_critical',
      "Distinct fixable CRITICAL vulnerabilities: in a base or external image's digest in use; in a managed image's bases.",
      vulnerabilities.fixable,
    ),
    ...gauge(
      'image_factory_eosl',
      "1 when the OS of a base or external image's digest in use (a managed image: of one of its bases) is end of life.",
      vulnerabilities.eosl,
    ),
    ...gauge(
      'image_factory_scan_age_seconds',
      "Seconds since the scan of a base or external image's digest in use was recorded.",
      vulnerabilities.age,
    ),
    '# EOF',
  ];
  return `${lines.join('\n')}\n`;
}
