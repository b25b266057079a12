#!/usr/bin/env node
/**
 * `npm run bench`: each benchmark runs in its own process so wall time and peak RSS are its own.
 * Results are printed as JSON lines and summarised in a table; goals are reported, not asserted.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const only = process.argv.slice(2);
const BENCHMARKS = [
  { name: 'parse', script: 'parse.mjs', args: ['fast'] },
  { name: 'parse-full-ast', script: 'parse.mjs', args: ['full'] },
  { name: 'analyze-all', script: 'analyze-all.mjs', args: [] },
  { name: 'analyze-large-remote', script: 'analyze-large-remote.mjs', args: [] },
  { name: 'synth', script: 'synth.mjs', args: [] },
  { name: 'concurrent-analyses', script: 'concurrent-analyses.mjs', args: [] },
  { name: 'status-live', script: 'status-live.mjs', args: [] },
  { name: 'rebuild-due', script: 'rebuild-due.mjs', args: [] },
  { name: 'report', script: 'report.mjs', args: [] },
];

const results = [];
for (const bench of BENCHMARKS) {
  if (only.length > 0 && !only.includes(bench.name)) continue;
  const script = fileURLToPath(new URL(bench.script, import.meta.url));
  const run = spawnSync(process.execPath, [script, ...bench.args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) {
    console.error(`benchmark ${bench.name} failed (exit ${run.status})`);
    process.exitCode = 1;
    continue;
  }
  for (const line of run.stdout.trim().split('\n')) {
    console.log(line);
    results.push(JSON.parse(line));
  }
}

console.log('\nbenchmark                              result                                       goal');
for (const r of results) {
  const goal = r.goal ?? {};
  const keys = Object.keys(goal);
  const met = keys.every((key) => typeof r[key] === 'number' && r[key] <= goal[key]);
  const shown = [
    'wallMs',
    'coldWallMs',
    'wallMsWithoutClone',
    'cloneMs',
    'plainFullCloneMs',
    'peakRssMb',
    'pageMb',
    'openMs',
  ]
    .filter((key) => typeof r[key] === 'number')
    .map((key) => `${key}=${r[key]}`)
    .join(' ');
  const goals = keys.map((key) => `${key}<=${goal[key]}`).join(' ');
  console.log(
    `${r.benchmark.padEnd(38)} ${shown.padEnd(44)} ${goals || '-'}${keys.length ? (met ? '  met' : '  MISSED') : ''}`,
  );
}
