#!/usr/bin/env node
/**
 * `npm run screenshot`: the README's picture of the report, regenerated from the example catalogue at a fixed time
 * (so the same sources give the same page), rendered by Debian's chromium through playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'apps/image-factory/bin/image-factory.mjs');
const out = join(root, 'docs/report.png');
const dir = mkdtempSync(join(tmpdir(), 'if-screenshot-'));
try {
  const page = join(dir, 'report.html');
  execFileSync(process.execPath, [cli, 'report', '--root', root, '--now', '2026-11-23T00:00:00Z', '--out', page], {
    stdio: 'inherit',
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await tab.goto(`file://${page}`);
    await tab.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(`wrote ${out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
