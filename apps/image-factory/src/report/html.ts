/**
 * The report as one self-contained HTML page: no server, no CDN, nothing fetched when opened. The dependency graph is
 * an inline SVG laid out by Graphviz (compiled to WebAssembly: @hpcc-js/wasm-graphviz, Apache-2.0, bundles the
 * wasm inside its JavaScript, so it runs offline and in Node without a native dot); the table of images is plain
 * HTML, readable without JavaScript, with a small inline script for sorting and filtering.
 */
import type { CarriedVulnerabilities, SeverityCounts, VulnerabilityFacts } from '../state/freshness.js';
import { compareCodeUnits } from '../util/compare.js';
import type { Report, ReportImage } from './model.js';

/** Graphs up to this many nodes are drawn whole, larger ones in groups up to it (dot: ~750 nodes in ~0.5 s here). */
export const MAX_DRAWN_NODES = 800;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
const quoteDot = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * The graph to draw: the whole graph when it is small enough; else its largest connected groups (a base image with
 * the images built on it, and further down) up to MAX_DRAWN_NODES nodes in all, largest first. `groups` counts them.
 * A largest group that alone exceeds the budget is drawn trimmed to it (breadth first from its roots, so a base and
 * the first of its dependents), and `trimmed` says how many of its nodes were left out: never an empty graph.
 */
export function drawnGraph(report: Pick<Report, 'graph'>): {
  nodes: Report['graph']['nodes'];
  edges: Report['graph']['edges'];
  whole: boolean;
  groups: { total: number; drawn: number };
  trimmed: { groupNodes: number; leftOut: number } | null;
} {
  const { nodes, edges } = report.graph;
  // Connected groups (undirected), by union-find over the edges.
  const parent = new Map(nodes.map((n) => [n.id, n.id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(id, root);
    return root;
  };
  for (const e of edges) parent.set(find(e.from), find(e.to));
  const groups = new Map<string, string[]>();
  for (const n of nodes) groups.set(find(n.id), [...(groups.get(find(n.id)) ?? []), n.id]);
  if (nodes.length <= MAX_DRAWN_NODES) {
    return { nodes, edges, whole: true, groups: { total: groups.size, drawn: groups.size }, trimmed: null };
  }
  const ordered = [...groups.values()].sort((a, b) => b.length - a.length || compareCodeUnits(a[0] ?? '', b[0] ?? ''));
  const kept = new Set<string>();
  let drawn = 0;
  let trimmed: { groupNodes: number; leftOut: number } | null = null;
  const largest = ordered[0] ?? [];
  if (largest.length > MAX_DRAWN_NODES) {
    for (const id of breadthFirst(largest, edges).slice(0, MAX_DRAWN_NODES)) kept.add(id);
    drawn = 1;
    trimmed = { groupNodes: largest.length, leftOut: largest.length - MAX_DRAWN_NODES };
  } else {
    for (const group of ordered) {
      if (kept.size + group.length > MAX_DRAWN_NODES || group.length < 2) continue;
      for (const id of group) kept.add(id);
      drawn += 1;
    }
  }
  return {
    nodes: nodes.filter((n) => kept.has(n.id)),
    edges: edges.filter((e) => kept.has(e.from) && kept.has(e.to)),
    whole: false,
    groups: { total: groups.size, drawn },
    trimmed,
  };
}

/** A group's nodes breadth first from its roots (no edge into them), by name at each step; the rest after. */
function breadthFirst(group: readonly string[], edges: Report['graph']['edges']): string[] {
  const members = new Set(group);
  const children = new Map<string, string[]>();
  const hasParent = new Set<string>();
  for (const e of edges) {
    if (!members.has(e.from) || !members.has(e.to)) continue;
    children.set(e.from, [...(children.get(e.from) ?? []), e.to]);
    hasParent.add(e.to);
  }
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (start: readonly string[]) => {
    const queue = [...start].filter((id) => !seen.has(id));
    for (const id of queue) seen.add(id);
    for (let next = 0; next < queue.length; next++) {
      const id = queue[next] ?? '';
      order.push(id);
      for (const child of [...(children.get(id) ?? [])].sort(compareCodeUnits)) {
        if (seen.has(child)) continue;
        seen.add(child);
        queue.push(child);
      }
    }
  };
  const sorted = [...group].sort(compareCodeUnits);
  visit(sorted.filter((id) => !hasParent.has(id)));
  visit(sorted); // a cycle has no root: what is left, by name
  return order;
}

/** The dot source of the drawn graph (node ids `node-<name>`, edge ids `edge-<from>-<to>`, for tests and links). */
export function graphDot(graph: ReturnType<typeof drawnGraph>): string {
  const style = {
    base: 'shape=box, style="rounded,filled", fillcolor="#e8eef9"',
    managed: 'shape=box, style=filled, fillcolor="#e6f4ea"',
    external: 'shape=box, style="filled,dashed", fillcolor="#f5f5f5"',
  };
  const lines = [
    'digraph images {',
    '  rankdir=LR; ranksep=0.6; nodesep=0.15;',
    '  node [fontname="Helvetica", fontsize=11, height=0.3];',
    '  edge [color="#7a869a", arrowsize=0.6];',
  ];
  for (const n of graph.nodes) lines.push(`  ${quoteDot(n.id)} [id=${quoteDot(`node-${n.id}`)}, ${style[n.kind]}];`);
  for (const e of graph.edges)
    lines.push(`  ${quoteDot(e.from)} -> ${quoteDot(e.to)} [id=${quoteDot(`edge-${e.from}-${e.to}`)}];`);
  lines.push('}');
  return lines.join('\n');
}

function bases(image: ReportImage): string {
  return image.bases
    .map((b) => {
      const mark = b.stale === true ? 'stale' : b.stale === false ? 'fresh' : 'unknown';
      return `<span class="base ${mark}" title="${escapeHtml(`${b.reference}${b.released === null ? '' : `, released ${b.released}`}`)}">${escapeHtml(b.name)}</span>`;
    })
    .join(' ');
}

const EOSL_MARK =
  '<span class="eosl" title="the OS is end of service life: it gets no more security fixes">EOSL</span>';
const NOT_SCANNED = '<span class="unscanned">not scanned</span>';

/** Counts by severity, as `C 2 · H 1 · M 3 · L 4 · U 0`. */
function countsHtml(s: SeverityCounts): string {
  const parts = [
    ['C', s.criticalCount, 'CRITICAL'],
    ['H', s.highCount, 'HIGH'],
    ['M', s.mediumCount, 'MEDIUM'],
    ['L', s.lowCount, 'LOW'],
    ['U', s.unknownCount, 'UNKNOWN'],
  ] as const;
  return `<span class="counts">${parts.map(([k, n, title]) => `<span title="${title}">${k} ${n}</span>`).join(' · ')}</span>`;
}

const idsHtml = (label: string, ids: readonly string[]) =>
  ids.length === 0 ? '' : `<br><span class="fixable">${label}: ${escapeHtml(ids.join(', '))}</span>`;

/** A base or external image's scan of the digest in use: counts, fixable CRITICALs, EOSL, age; or "not scanned". */
function scanHtml(v: VulnerabilityFacts): string {
  const s = v.scan;
  const newest =
    v.latest === null
      ? ''
      : v.latest.scan === null
        ? '<br>newest digest not scanned'
        : `<br>newest digest: ${countsHtml(v.latest.scan.summary)}`;
  const fixes = idsHtml('a rebuild onto the newest digest fixes', v.fixedByLatest);
  if (s === null) return `${NOT_SCANNED}${newest}${fixes}`;
  const age = s.ageDays === null ? `scanned ${escapeHtml(s.scannedAt)}` : `scanned ${s.ageDays} d ago`;
  return `${countsHtml(s.summary)}${s.eosl ? ` ${EOSL_MARK}` : ''}${idsHtml('fixable CRITICAL', s.fixableCritical)}<br><span class="age" title="${escapeHtml(`${s.scannedAt}, Trivy ${s.trivyVersion}`)}">${age}</span>${newest}${fixes}`;
}

/** What a managed image's bases carry (added up, per base on hover) and what a rebuild would fix. */
function carriedHtml(c: CarriedVulnerabilities): string {
  const perBase = c.bases
    .map((b) => `${b.name}: ${b.summary === null ? 'not scanned' : `C ${b.summary.criticalCount}`}`)
    .join(', ');
  const counts =
    c.summary === null ? NOT_SCANNED : `<span title="${escapeHtml(perBase)}">${countsHtml(c.summary)}</span>`;
  const eosl = c.eoslBases.length === 0 ? '' : ` ${EOSL_MARK} ${escapeHtml(c.eoslBases.join(', '))}`;
  const partly =
    c.summary !== null && c.notScanned.length > 0
      ? `<br><span class="unscanned">not scanned: ${escapeHtml(c.notScanned.join(', '))}</span>`
      : '';
  return `${counts}${eosl}${idsHtml('fixable CRITICAL', c.fixableCritical)}${idsHtml('a rebuild would fix', c.rebuildWouldFix)}${partly}`;
}

/** The vulnerabilities cell of an image's row; sorted by its CRITICAL count (-1: not scanned). */
function vulnerabilityCell(image: ReportImage): string {
  const counts = image.carried?.summary ?? image.vulnerabilities?.scan?.summary ?? null;
  const html =
    image.carried !== null
      ? carriedHtml(image.carried)
      : image.vulnerabilities === null
        ? NOT_SCANNED
        : scanHtml(image.vulnerabilities);
  return `<td class="vulnerabilities" data-sort="${counts?.criticalCount ?? -1}">${html}</td>`;
}

function row(image: ReportImage): string {
  const p = image.pending;
  const waits = p === null || p.waitFor.length === 0 ? '' : `: ${escapeHtml(p.waitFor.join(', '))}`;
  const urgent = p?.urgent === true && p.reason !== 'urgent' ? ', urgent' : '';
  const notSent = p?.notSent ? `<br><span class="stale">not sent: ${escapeHtml(p.notSent)}</span>` : '';
  const claims = image.claims.map(
    (c) =>
      `<br><span class="stale">claimed ${escapeHtml(c.claimedAt)}, ${c.sends} send${c.sends === 1 ? '' : 's'}, no answer recorded yet (${escapeHtml(c.key)})</span>`,
  );
  const pending = `${p === null ? '' : `${escapeHtml(p.due)} (${p.reason}${waits}${urgent})${notSent}`}${claims.join('')}`;
  const trigger =
    image.lastTrigger === null
      ? ''
      : `${escapeHtml(image.lastTrigger.result)} ${escapeHtml(image.lastTrigger.at)}${image.lastTrigger.answer === undefined ? '' : ` — ${escapeHtml(image.lastTrigger.answer)}`}`;
  const cells = [
    `<td><a id="image-${escapeHtml(image.name)}"></a>${escapeHtml(image.name)}</td>`,
    `<td>${image.kind}</td>`,
    `<td>${image.build === null ? '' : `${escapeHtml(image.build.tag)} <code>${escapeHtml(image.build.digest.slice(7, 19))}</code>`}</td>`,
    `<td data-sort="${image.ageDays ?? -1}">${image.ageDays === null ? '' : `${image.ageDays} d`}</td>`,
    `<td>${bases(image)}</td>`,
    vulnerabilityCell(image),
    `<td class="${image.stale === true ? 'stale' : ''}">${image.stale === null ? '' : image.stale ? 'yes' : 'no'}</td>`,
    `<td>${pending}</td>`,
    `<td class="${image.lastTrigger?.result === 'failed' ? 'stale' : ''}">${trigger}</td>`,
  ];
  return `<tr data-name="${escapeHtml(image.name)}">${cells.join('')}</tr>`;
}

function baseRow(base: Report['baseImages'][number]): string {
  const v = base.vulnerabilities;
  const cells = [
    `<td><a id="base-${escapeHtml(base.name)}"></a>${escapeHtml(base.name)}</td>`,
    `<td>${escapeHtml(base.reference)}</td>`,
    `<td>${v.digest === null ? '' : `<code>${escapeHtml(v.digest.slice(7, 19))}</code>`}</td>`,
    `<td class="vulnerabilities">${scanHtml(v)}</td>`,
    `<td>${escapeHtml(base.dependents.join(', '))}</td>`,
  ];
  return `<tr data-base="${escapeHtml(base.name)}">${cells.join('')}</tr>`;
}

const SCRIPT = `
for (const th of document.querySelectorAll('th[data-col]')) {
  th.addEventListener('click', () => {
    const col = Number(th.dataset.col), body = document.querySelector('#images tbody');
    const key = (tr) => { const td = tr.children[col]; return td.dataset.sort !== undefined ? Number(td.dataset.sort) : td.textContent; };
    const dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir === 1 ? 'asc' : 'desc';
    [...body.rows].sort((a, b) => (key(a) > key(b) ? dir : key(a) < key(b) ? -dir : 0)).forEach((tr) => body.appendChild(tr));
  });
}
document.querySelector('#filter').addEventListener('input', (e) => {
  const q = e.target.value.toLowerCase();
  for (const tr of document.querySelectorAll('#images tbody tr')) tr.hidden = q !== '' && !tr.textContent.toLowerCase().includes(q);
});`;

/** What the graph leaves out, when it is not drawn whole. */
function graphNote(report: Report, graph: ReturnType<typeof drawnGraph>): string {
  if (graph.whole) return '';
  const all = `The whole graph has ${report.graph.nodes.length} nodes in ${graph.groups.total} connected groups`;
  if (graph.trimmed !== null) {
    return `<p class="note" id="graph-note">${all}; its largest group alone has ${graph.trimmed.groupNodes} nodes, more than the ${MAX_DRAWN_NODES} drawn: drawn here are ${graph.nodes.length} of them (its roots and what is built on them, breadth first), ${graph.trimmed.leftOut} left out, and no other group; every image's bases are in the table.</p>`;
  }
  return `<p class="note" id="graph-note">${all}: drawn here are the ${graph.groups.drawn} largest (${graph.nodes.length} nodes); every image's bases are in the table.</p>`;
}

/** With --live: the registries that failed, and for which images (their ages and freshness are unknown). */
function liveNote(report: Report): string {
  const failed = report.live?.failedRegistries ?? [];
  if (failed.length === 0) return '';
  const items = failed.map(
    (f) => `<li><b>${escapeHtml(f.registry)}</b> for ${escapeHtml(f.images.join(', '))}: ${escapeHtml(f.error)}</li>`,
  );
  return `<div class="failed" id="registry-failures"><p>Registry lookups failed: what these images' ages and freshness depend on is unknown.</p><ul>${items.join('')}</ul></div>`;
}

/** The page. `svg` is the drawn graph laid out by Graphviz (renderReportPage does that). */
export function reportPage(report: Report, svg: string, graph: ReturnType<typeof drawnGraph>): string {
  const s = report.summary;
  const cards = [
    ['images', `${s.images} (${s.managed} managed, ${s.external} external)`],
    ['base images', String(s.baseImages)],
    ['stale', String(s.stale)],
    ['pending rebuilds', String(s.pendingRebuilds)],
    ['not sent', s.unsentRebuilds.map((u) => `${u.images} (${u.reason})`).join(', ') || '0'],
    ['claimed, no answer yet', String(s.claimedRebuilds)],
    ['failed triggers', String(s.failedTriggers)],
    ['blocked digests', `${s.blockedDigests} (${s.unsignedDigests} unsigned)`],
    ['not scanned', String(s.vulnerabilities.notScanned)],
    [
      'fixable CRITICAL',
      `${s.vulnerabilities.fixableCritical} base or external, ${s.vulnerabilities.managedWithFixableCritical} managed`,
    ],
    ['EOSL', String(s.vulnerabilities.eosl)],
    ['oldest build', s.oldestBuildAgeDays === null ? 'unknown (run with --live)' : `${s.oldestBuildAgeDays} days`],
  ];
  const headers = [
    'image',
    'kind',
    'build',
    'age',
    'bases (fresh / stale / unknown)',
    'vulnerabilities (CRITICAL · HIGH · MEDIUM · LOW · UNKNOWN)',
    'stale',
    'pending rebuild',
    'last trigger',
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>image-factory report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 Helvetica,Arial,sans-serif;margin:24px;color:#1f2328}
h1{font-size:20px} .cards{display:flex;gap:12px;flex-wrap:wrap} .card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px}
.card b{display:block;font-size:12px;color:#57606a} .graph{overflow:auto;border:1px solid #d0d7de;border-radius:6px;margin:16px 0;max-height:70vh}
table{border-collapse:collapse;width:100%} th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f6f8fa} .base{display:inline-block;border-radius:4px;padding:0 4px;margin:1px;background:#eef1f4}
.base.stale,td.stale,span.stale{background:#ffebe9} .failed{border:1px solid #cf222e;border-radius:6px;padding:4px 12px;background:#ffebe9} .base.fresh{background:#e6f4ea} code{font-size:12px}
.eosl{background:#cf222e;color:#fff;border-radius:4px;padding:0 4px;font-weight:bold} .unscanned{color:#57606a;font-style:italic} .fixable{color:#a40e26}
</style></head>
<body>
<h1>image-factory report</h1>
<p>Generated ${escapeHtml(report.generatedAt)}.</p>
${liveNote(report)}
<div class="cards">${cards.map(([k, v]) => `<div class="card"><b>${escapeHtml(k ?? '')}</b>${escapeHtml(v ?? '')}</div>`).join('')}</div>
<h2>Dependency graph</h2>
${graphNote(report, graph)}
<div class="graph" id="graph">${svg}</div>
<h2>Images</h2>
<p><label>Filter <input id="filter" type="search" placeholder="name, base, reason…"></label></p>
<table id="images"><thead><tr>${headers.map((h, i) => `<th data-col="${i}">${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>
${report.images.map(row).join('\n')}
</tbody></table>
<h2>Base images</h2>
<p>The scan recorded in git for the digest each base image's dependents are built on, and for its newest digest.</p>
<table id="base-images"><thead><tr><th>base image</th><th>reference</th><th>digest in use</th><th>vulnerabilities</th><th>dependents</th></tr></thead>
<tbody>
${report.baseImages.map(baseRow).join('\n')}
</tbody></table>
${signaturesSection(report)}
<script>${SCRIPT}</script>
</body></html>
`;
}

/** The base digests the signature gate blocked or warned about (none: no section). */
function signaturesSection(report: Report): string {
  const gated = [...report.signatures.blocked, ...report.signatures.warnings];
  if (gated.length === 0) return '';
  const rows = gated.map(
    (g) =>
      `<tr><td>${escapeHtml(g.base)}</td><td><code>${escapeHtml(g.digest)}</code></td><td${g.verdict === 'blocked' ? ' class="stale"' : ''}>${g.verdict}${g.unsigned ? ' (unsigned)' : ''}</td><td>${escapeHtml(g.seen)}</td><td>${escapeHtml(g.reason)}</td></tr>`,
  );
  return `<h2>Signatures</h2>
<p>Base digests that failed their signature policy: a blocked one is never the digest a rebuild is decided on or pinned to; a warned one is used.</p>
<table id="signatures"><thead><tr><th>base image</th><th>digest</th><th>verdict</th><th>seen</th><th>why</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>`;
}

/** Lay out the graph with Graphviz and render the page (the wasm module is loaded only here). */
export async function renderReportPage(report: Report): Promise<string> {
  const graph = drawnGraph(report);
  const { Graphviz } = await import('@hpcc-js/wasm-graphviz');
  const graphviz = await Graphviz.load();
  const svg =
    graph.nodes.length === 0
      ? '<p>No images yet.</p>'
      : graphviz.dot(graphDot(graph)).replace(/^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?/, '');
  return reportPage(report, svg, graph);
}
