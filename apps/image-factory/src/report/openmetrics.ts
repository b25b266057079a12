/**
 * The report's summary as OpenMetrics gauges (for a Prometheus textfile collector or a Pushgateway): images by kind,
 * base images, stale images, pending rebuilds (and those not sent, by reason), rebuilds claimed and not answered,
 * failed triggers, the oldest build's age. Ends with `# EOF`.
 */
import { DAY_MS } from '../util/time.js';
import type { Report } from './model.js';

/** A label value as OpenMetrics writes it: backslash, double quote and newline escaped. */
const labelValue = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export function renderOpenMetrics(report: Report): string {
  const { summary } = report;
  const gauge = (name: string, help: string, samples: readonly (readonly [labels: string, value: number])[]) => [
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
    ...(summary.oldestBuildAgeDays === null
      ? []
      : gauge('image_factory_oldest_build_age_seconds', 'Age of the oldest analysed build (known with --live).', [
          ['', (summary.oldestBuildAgeDays * DAY_MS) / 1000],
        ])),
    '# EOF',
  ];
  return `${lines.join('\n')}\n`;
}
