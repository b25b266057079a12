/**
 * The HTML report in a real browser: Debian's chromium driven by playwright-core. Every image is in the table, the
 * graph has one node per image and base and one edge per dependency, a screenshot is not blank, and nothing is
 * fetched from the network (every request other than the page itself is recorded and fails the test).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { cli, REPO_ROOT } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the report page in chromium', () => {
  test('the example catalogue: every image, the whole graph, not blank, offline', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    const dir = tempDir('if-report-page-');
    const page = join(dir, 'report.html');
    expect((await cli(['report', '--root', REPO_ROOT, '--out', page])).status).toBe(0);
    const data = JSON.parse((await cli(['report', '--root', REPO_ROOT, '--json'])).stdout);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const fetched: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file://') && url.endsWith('/report.html')) return route.continue();
        fetched.push(url);
        return route.abort();
      });
      const tab = await context.newPage();
      await tab.goto(`file://${page}`);
      const rows = await tab
        .locator('#images tbody tr')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name')));
      expect(rows).toEqual(data.images.map((i: { name: string }) => i.name));
      const nodes = await tab.locator('#graph g.node').evaluateAll((gs) => gs.map((g) => g.id).sort());
      expect(nodes).toEqual(data.graph.nodes.map((n: { id: string }) => `node-${n.id}`).sort());
      const edges = await tab.locator('#graph g.edge').evaluateAll((gs) => gs.map((g) => g.id).sort());
      expect(edges).toEqual(data.graph.edges.map((e: { from: string; to: string }) => `edge-${e.from}-${e.to}`).sort());
      // Filtering works with the inline script.
      await tab.fill('#filter', 'backstage');
      expect(await tab.locator('#images tbody tr:not([hidden])').count()).toBeGreaterThanOrEqual(1);
      expect(await tab.locator('#images tbody tr:not([hidden])').count()).toBeLessThan(rows.length);
      const png = await tab.screenshot({ fullPage: true, path: join(dir, 'report.png') });
      // Not blank: a blank page compresses to a few KiB; this one has a graph and a table.
      expect(png.length).toBeGreaterThan(20_000);
      expect(fetched).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
