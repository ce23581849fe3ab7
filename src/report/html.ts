/**
 * HTML rendering of a `ReportDoc`: ONE self-contained page (works offline, opened from disk).
 *
 * - inline CSS; Chart.js 4 inlined from the installed npm package (`chart.js/dist/chart.umd.js`);
 * - all text (title, meta, headings, paragraphs, cells, labels, layer names) HTML-escaped;
 * - the charts' data embedded as JSON in `<script type="application/json" id="prunekit-report-data">`;
 *   the page script builds the Chart.js configs from it: line charts on a numeric x axis (linear or log,
 *   optionally reversed), ±yErr drawn as a shaded band between two hidden-from-legend series; bar charts
 *   grouped or stacked. Every chart also has its numbers in a collapsible table under it;
 * - after drawing, each canvas whose chart really has drawn elements gets `data-rendered="1"` and
 *   `data-png-length` (length of `canvas.toDataURL()`; `data-blank-png-length`: the same for a blank canvas of
 *   that size, for comparison), and `<body>` gets `data-charts-rendered="<count>"`
 *   and `data-charts-total`; a chart that fails gets `data-error` and a visible message.
 *   (`chromium.ts` renders the page headless so tests can check these.)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { BarChart, LineChart, ReportChart, ReportDoc, ReportSection, ReportTable } from './doc.js';
import { formatCell } from './format.js';
import { chartDataTable, checkTableShape, numericColumns } from './table.js';

/** Escapes text for HTML element content and (double- or single-quoted) attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON for embedding inside a `<script>` element: `<`, `>`, `&` and U+2028/9 are \u-escaped, so no string
 * in the data can close the script element or start a comment.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

let chartJsSource: string | undefined;

/** Path of Chart.js's UMD bundle in the installed `chart.js` package (4.x layout: dist/chart.umd.js). */
export function chartJsPath(): string {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve('chart.js'); // …/chart.js/dist/chart.cjs ("exports" hides dist/ files themselves)
  } catch {
    throw new Error("the 'chart.js' package is not installed (needed for HTML reports); run `npm ci` in the prunekit folder");
  }
  return join(dirname(main), 'chart.umd.js');
}

/** Chart.js's UMD source, read once from disk; `</script` sequences neutralised for inlining. */
export function chartJsSourceForInline(): string {
  if (chartJsSource === undefined) {
    const path = chartJsPath();
    let src: string;
    try {
      src = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read Chart.js bundle ${path} (${(err as Error).message}); reinstall with \`npm ci\``);
    }
    chartJsSource = src.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
  }
  return chartJsSource;
}

function checkChart(chart: ReportChart, where: string): void {
  const what = `${where}: chart '${chart.id}'`;
  if (chart.kind === 'line') {
    for (const s of chart.series) {
      if (s.yErr && s.yErr.length !== s.points.length) {
        throw new Error(`${what}, series '${s.label}': yErr has ${s.yErr.length} values for ${s.points.length} points; give one per point (null for none)`);
      }
    }
  } else if (chart.kind === 'bar') {
    for (const d of chart.datasets) {
      if (d.values.length !== chart.categories.length) {
        throw new Error(`${what}, dataset '${d.label}': ${d.values.length} values for ${chart.categories.length} categories; give one per category (null for none)`);
      }
    }
  } else {
    throw new Error(`${what}: unknown chart kind '${(chart as { kind: unknown }).kind}' (expected 'line' or 'bar')`);
  }
}

/** Heat-map cell colour for a shade in [0, 1]: white → red (lightness 100% → 55%). */
export function heatColor(v: number): string {
  const t = Math.min(1, Math.max(0, v));
  return `hsl(0, 85%, ${(100 - 45 * t).toFixed(1)}%)`;
}

function checkShade(table: ReportTable): void {
  if (!table.shade) return;
  const ok = table.shade.length === table.rows.length && table.shade.every((r) => r.length === table.columns.length);
  if (!ok) throw new Error(`table '${table.caption ?? table.columns.join(', ')}': shade must have one value (or null) per cell, ${table.rows.length} rows × ${table.columns.length} columns`);
}

function renderTable(table: ReportTable, extraClass = ''): string {
  checkTableShape(table);
  checkShade(table);
  const right = numericColumns(table);
  const cls = (c: number) => (right[c] ? ' class="num"' : '');
  const bg = (r: number, c: number) => {
    const v = table.shade?.[r][c];
    return typeof v === 'number' && Number.isFinite(v) ? ` style="background:${heatColor(v)}"` : '';
  };
  const head = table.columns.map((h, c) => `<th${cls(c)}>${escapeHtml(h)}</th>`).join('');
  const body = table.rows
    .map((row, r) => `<tr>${row.map((cell, c) => `<td${cls(c)}${bg(r, c)}>${escapeHtml(formatCell(cell))}</td>`).join('')}</tr>`)
    .join('\n');
  const caption = table.caption ? `<caption>${escapeHtml(table.caption)}</caption>` : '';
  return `<div class="table-wrap${extraClass ? ` ${extraClass}` : ''}"><table>${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}

function renderChart(chart: ReportChart, index: number): string {
  const summary = `data (${chart.kind === 'bar' ? `${chart.categories.length} categories` : `${chart.series.length} series`})`;
  return `<figure class="chart">
<div class="canvas-box"><canvas id="chart-${index}" data-chart-index="${index}" data-chart-id="${escapeHtml(chart.id)}" role="img" aria-label="${escapeHtml(chart.title)}"></canvas></div>
<figcaption class="chart-status" id="chart-${index}-status">${escapeHtml(chart.title)} (chart needs JavaScript)</figcaption>
<details><summary>${escapeHtml(summary)}</summary>${renderTable(chartDataTable(chart), 'chart-data')}</details>
</figure>`;
}

function renderSection(section: ReportSection, firstChartIndex: number): string {
  const parts = [`<section>`, `<h2>${escapeHtml(section.heading)}</h2>`];
  for (const p of section.paragraphs ?? []) parts.push(`<p>${escapeHtml(p)}</p>`);
  (section.charts ?? []).forEach((c, i) => parts.push(renderChart(c, firstChartIndex + i)));
  for (const t of section.tables ?? []) parts.push(renderTable(t));
  parts.push('</section>');
  return parts.join('\n');
}

const CSS = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#fff; --alt:#f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.7em; margin: 0 0 12px; }
h2 { font-size: 1.3em; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p { white-space: pre-line; margin: 8px 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 16px; padding: 10px 14px; background: var(--alt); border: 1px solid var(--line); border-radius: 6px; font-size: 0.9em; }
dl.meta dt { font-weight: 600; color: var(--muted); }
dl.meta dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; margin: 12px 0; }
table { border-collapse: collapse; font-size: 0.9em; }
caption { caption-side: bottom; text-align: left; color: var(--muted); padding-top: 6px; font-size: 0.95em; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { background: var(--alt); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
figure.chart { margin: 16px 0; padding: 12px; border: 1px solid var(--line); border-radius: 6px; }
.canvas-box { position: relative; height: 380px; width: 100%; }
.chart-status { color: var(--muted); font-size: 0.85em; }
.chart-status.ok { display: none; }
.chart-status.error { color: #b42318; font-weight: 600; }
details { margin-top: 6px; font-size: 0.9em; }
summary { cursor: pointer; color: var(--muted); }
footer { margin-top: 40px; color: var(--muted); font-size: 0.8em; }
@media print { figure.chart { break-inside: avoid; } details { display: none; } }
`;

/**
 * Page script: builds Chart.js configs from the embedded JSON, draws, and marks what was drawn.
 * Plain ES2017 (runs in any current browser); no external references.
 */
const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  function color(i) { return PALETTE[i % PALETTE.length]; }
  function withAlpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + ((n >> 16) & 255) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  function fmt(v) {
    if (v === null || v === undefined || typeof v !== 'number') return String(v);
    if (!isFinite(v)) return String(v);
    if (v === 0) return '0';
    var a = Math.abs(v);
    if (Number.isInteger(v) && a < 1e15) return a >= 10000 ? v.toLocaleString('en-US') : String(v);
    if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
    return String(Number(v.toPrecision(4)));
  }
  /** Log-axis tick label: only 1, 2 and 5 × 10^k are labelled (the other grid lines stay unlabelled). */
  function logTick(v) {
    var n = Number(v);
    if (!(n > 0)) return '';
    var m = Math.round(n / Math.pow(10, Math.floor(Math.log10(n) + 1e-9)) * 1000) / 1000;
    return m === 1 || m === 2 || m === 5 ? fmt(n) : '';
  }
  function axisTitle(text) { return { display: !!text, text: text, font: { size: 13, weight: 'bold' } }; }

  function lineConfig(spec) {
    var datasets = [];
    spec.series.forEach(function (s, si) {
      var c = color(si);
      var keep = function (p) { return !(spec.xLog && !(p[0] > 0)); };
      var pts = [];
      var lo = [];
      var hi = [];
      s.points.forEach(function (p, i) {
        if (!keep(p)) return;
        pts.push({ x: p[0], y: p[1] });
        if (s.yErr) {
          var e = s.yErr[i];
          var ok = p[1] !== null && e !== null && e !== undefined;
          lo.push({ x: p[0], y: ok ? p[1] - e : null });
          hi.push({ x: p[0], y: ok ? p[1] + e : null });
        }
      });
      datasets.push({ label: s.label, data: pts, borderColor: c, backgroundColor: c, borderWidth: 2, pointRadius: 3,
        pointHoverRadius: 5, tension: 0, fill: false, spanGaps: false, errs: s.yErr ? s.yErr : null });
      if (s.yErr) {
        var band = withAlpha(c, 0.18);
        datasets.push({ label: s.label + ' −err', data: lo, isBand: true, borderColor: withAlpha(c, 0.35), borderWidth: 1,
          pointRadius: 0, pointHitRadius: 0, fill: false, spanGaps: false, backgroundColor: band });
        datasets.push({ label: s.label + ' +err', data: hi, isBand: true, borderColor: withAlpha(c, 0.35), borderWidth: 1,
          pointRadius: 0, pointHitRadius: 0, fill: '-1', spanGaps: false, backgroundColor: band });
      }
    });
    return {
      type: 'line',
      data: { datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: spec.xLog ? 'logarithmic' : 'linear', reverse: !!spec.xReverse, title: axisTitle(spec.xLabel),
            ticks: { autoSkip: !spec.xLog, maxRotation: 0, callback: spec.xLog ? logTick : function (v) { return fmt(Number(v)); } } },
          y: { type: 'linear', title: axisTitle(spec.yLabel), ticks: { callback: function (v) { return fmt(Number(v)); } } }
        },
        plugins: {
          title: { display: true, text: spec.title, font: { size: 15 } },
          legend: { display: true, labels: { filter: function (item, data) { return !data.datasets[item.datasetIndex].isBand; } } },
          tooltip: {
            filter: function (item) { return !item.dataset.isBand; },
            callbacks: { label: function (ctx) {
              var d = ctx.dataset, raw = ctx.raw;
              var txt = d.label + ': (' + fmt(raw.x) + ', ' + fmt(raw.y) + ')';
              if (d.errs) {
                var e = d.errs[ctx.dataIndex];
                if (e !== null && e !== undefined) txt += ' ± ' + fmt(e);
              }
              return txt;
            } }
          }
        }
      }
    };
  }

  function barConfig(spec) {
    return {
      type: 'bar',
      data: {
        labels: spec.categories,
        datasets: spec.datasets.map(function (d, i) {
          return { label: d.label, data: d.values, backgroundColor: withAlpha(color(i), 0.8), borderColor: color(i), borderWidth: 1 };
        })
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: {
          x: { stacked: !!spec.stacked, title: axisTitle(spec.xLabel), ticks: { autoSkip: false, maxRotation: 90 } },
          y: { stacked: !!spec.stacked, beginAtZero: true, title: axisTitle(spec.yLabel),
            ticks: { callback: function (v) { return fmt(Number(v)); } } }
        },
        plugins: {
          title: { display: true, text: spec.title, font: { size: 15 } },
          legend: { display: true },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ': ' + fmt(ctx.raw); } } }
        }
      }
    };
  }

  /** True when Chart.js laid out at least one element of a visible dataset inside a non-empty chart area. */
  function drewSomething(chart) {
    if (!chart.chartArea || chart.chartArea.width <= 0 || chart.chartArea.height <= 0) return false;
    for (var i = 0; i < chart.data.datasets.length; i++) {
      if (!chart.isDatasetVisible(i)) continue;
      var els = chart.getDatasetMeta(i).data || [];
      for (var j = 0; j < els.length; j++) {
        var el = els[j];
        if (el && !el.skip && isFinite(el.x) && isFinite(el.y)) return true;
      }
    }
    return false;
  }

  var specs = JSON.parse(document.getElementById('prunekit-report-data').textContent).charts;
  var rendered = 0;
  document.body.dataset.chartsTotal = String(specs.length);
  specs.forEach(function (spec, i) {
    var canvas = document.getElementById('chart-' + i);
    var status = document.getElementById('chart-' + i + '-status');
    try {
      if (typeof Chart === 'undefined') throw new Error('Chart.js did not load');
      var chart = new Chart(canvas, spec.kind === 'bar' ? barConfig(spec) : lineConfig(spec));
      chart.update('none');
      if (drewSomething(chart)) {
        canvas.dataset.rendered = '1';
        canvas.dataset.pngLength = String(canvas.toDataURL('image/png').length);
        var blank = document.createElement('canvas');
        blank.width = canvas.width;
        blank.height = canvas.height;
        canvas.dataset.blankPngLength = String(blank.toDataURL('image/png').length);
        rendered++;
        status.className = 'chart-status ok';
        status.textContent = '';
      } else {
        status.textContent = spec.title + ': no data to draw';
      }
    } catch (err) {
      canvas.dataset.error = String(err && err.message || err);
      status.className = 'chart-status error';
      status.textContent = 'chart "' + spec.title + '" failed: ' + canvas.dataset.error;
    }
  });
  document.body.dataset.chartsRendered = String(rendered);
})();
`;

/** Renders a report as one self-contained HTML page (see the module comment). */
export function renderHtmlReport(doc: ReportDoc): string {
  const charts: ReportChart[] = [];
  const sectionsHtml: string[] = [];
  doc.sections.forEach((section, si) => {
    const where = `report '${doc.title}', section ${si} '${section.heading}'`;
    for (const c of section.charts ?? []) checkChart(c, where);
    sectionsHtml.push(renderSection(section, charts.length));
    charts.push(...(section.charts ?? []));
  });
  const meta = Object.entries(doc.meta ?? {});
  const metaHtml = meta.length
    ? `<dl class="meta">\n${meta.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(String(v))}</dd>`).join('\n')}\n</dl>`
    : '';
  const data = { title: doc.title, meta: doc.meta ?? {}, charts: charts.map(chartForJson) };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="prunekit">
<title>${escapeHtml(doc.title)}</title>
<style>${CSS}</style>
</head>
<body data-charts-total="${charts.length}">
<header>
<h1>${escapeHtml(doc.title)}</h1>
${metaHtml}
</header>
<main>
${sectionsHtml.join('\n')}
</main>
<footer>Generated by prunekit. Self-contained page: the data of every chart is embedded below as JSON (id "prunekit-report-data").</footer>
<script type="application/json" id="prunekit-report-data">${jsonForScript(data)}</script>
<script>${chartJsSourceForInline()}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** A chart as plain JSON data: non-finite numbers become null (JSON has no NaN/Infinity; they are gaps). */
function chartForJson(chart: ReportChart): ReportChart {
  const fin = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (chart.kind === 'bar') {
    const c: BarChart = { ...chart, datasets: chart.datasets.map((d) => ({ label: d.label, values: d.values.map(fin) })) };
    return c;
  }
  const c: LineChart = {
    ...chart,
    series: chart.series.map((s) => ({
      label: s.label,
      points: s.points.filter(([x]) => Number.isFinite(x)).map(([x, y]) => [x, fin(y)] as [number, number | null]),
      ...(s.yErr ? { yErr: s.points.map((_, i) => fin(s.yErr?.[i])).filter((_, i) => Number.isFinite(s.points[i][0])) } : {}),
    })),
  };
  return c;
}

/** Renders `doc` and writes it atomically to `path` (parent folders are created). */
export async function writeHtmlReport(path: string, doc: ReportDoc): Promise<void> {
  const html = renderHtmlReport(doc);
  await writeFileAtomic(path, html); // creates the folder (io/atomic.ts ensureDirSync)
}
