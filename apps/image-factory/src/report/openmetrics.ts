/**
 * The report's summary as OpenMetrics gauges (for a Prometheus textfile collector or a Pushgateway): images by kind,
 * base images, stale images, pending rebuilds, failed triggers, the oldest build's age. Ends with `# EOF`.
 */
import type { Report } from './model.js';

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
    ...gauge('image_factory_failed_triggers', 'Images whose last rebuild trigger was refused.', [
      ['', summary.failedTriggers],
    ]),
    ...(summary.oldestBuildAgeDays === null
      ? []
      : gauge('image_factory_oldest_build_age_seconds', 'Age of the oldest analysed build (known with --live).', [
          ['', summary.oldestBuildAgeDays * 86_400],
        ])),
    '# EOF',
  ];
  return `${lines.join('\n')}\n`;
}
