/**
 * The report of unstructured pruning runs as a ReportDoc (terminal tables via `formatTable`, an HTML
 * page via `writeHtmlReport`): a summary table per method × level (remaining weights, params left,
 * accuracy or error before / after fine-tuning, mean ± std over seeds), charts of accuracy vs
 * remaining weights per method, and per-layer sparsity charts.
 *
 * Results of several seeds are grouped by (method, level label); std is the sample standard deviation
 * (n − 1), 0 for a single seed.
 */
import type { BarChart, LineChart, ReportDoc, ReportSection, ReportTable } from '../report/doc.js';
import { groupThousands } from '../report/format.js';
import type { LevelResult, PipelineResult } from './pipeline.js';
import { stat, type Stat } from '../util/stats.js';

export { stat, type Stat };

export type ReportMetric = 'accuracy' | 'error';


export interface AggregateRow {
  method: string;
  schedule: string;
  label: string;
  /** Mean fraction of prunable weights remaining. */
  remaining: number;
  paramsLeft: number;
  paramsTotal: number;
  /** Accuracies (fractions) over seeds; absent when no seed had them. */
  before?: Stat;
  after?: Stat;
  dense: Stat;
  seeds: number[];
  /** Per-layer sparsity (mean over seeds), in layer order. */
  layers: { name: string; sparsity: number }[];
}


/** Groups levels of several runs (seeds) by method and level label, in order of first appearance. */
export function aggregateResults(results: PipelineResult[]): AggregateRow[] {
  const groups = new Map<string, { run: PipelineResult; level: LevelResult }[]>();
  for (const run of results) {
    for (const level of run.levels) {
      const key = `${run.method}\u0000${run.schedule}\u0000${level.label}`;
      const list = groups.get(key) ?? [];
      list.push({ run, level });
      groups.set(key, list);
    }
  }
  return [...groups.values()].map((list) => {
    const first = list[0].level;
    const mean = (f: (l: LevelResult) => number) => list.reduce((a, x) => a + f(x.level), 0) / list.length;
    const opt = (f: (l: LevelResult) => number | undefined): Stat | undefined => {
      const v = list.map((x) => f(x.level)).filter((x): x is number => x !== undefined);
      return v.length > 0 ? stat(v) : undefined;
    };
    return {
      method: first.method,
      schedule: first.schedule,
      label: first.label,
      remaining: mean((l) => l.remaining),
      paramsLeft: mean((l) => l.params.left),
      paramsTotal: first.params.total,
      before: opt((l) => l.before?.accuracy),
      after: opt((l) => l.after?.accuracy),
      dense: stat(list.map((x) => x.run.dense.accuracy)),
      seeds: list.map((x) => x.run.seed),
      layers: first.layers.map((ly, i) => ({ name: ly.name, sparsity: list.reduce((a, x) => a + x.level.layers[i].sparsity, 0) / list.length })),
    };
  });
}

/** Accuracy or error in percent for display. */
export function metricValue(accuracy: number, metric: ReportMetric): number {
  return metric === 'accuracy' ? 100 * accuracy : 100 * (1 - accuracy);
}

/** "98.21" or "98.21 ± 0.12" (percent of the metric); null when missing. */
export function formatStat(s: Stat | undefined, metric: ReportMetric, digits = 2): string | null {
  if (!s || s.n === 0) return null;
  const m = metricValue(s.mean, metric).toFixed(digits);
  return s.n > 1 ? `${m} ± ${(100 * s.std).toFixed(digits)}` : m;
}

/** Remaining weights in percent with enough digits for levels like 0.12 %. */
export function formatRemaining(fraction: number): string {
  const p = 100 * fraction;
  return p >= 10 ? p.toFixed(1) : p >= 1 ? p.toFixed(2) : p.toFixed(3);
}

const metricName = (m: ReportMetric) => (m === 'accuracy' ? 'test acc %' : 'test error %');

/** One row per method × level: remaining weights, params left, metric before / after fine-tuning. */
export function levelsTable(rows: AggregateRow[], metric: ReportMetric = 'accuracy'): ReportTable {
  const seeds = Math.max(0, ...rows.map((r) => r.seeds.length));
  const name = metricName(metric);
  return {
    columns: ['method', 'level', 'weights left %', 'params left', `${name} before FT`, `${name} after FT`],
    rows: rows.map((r) => [r.method, r.label, formatRemaining(r.remaining), Math.round(r.paramsLeft), formatStat(r.before, metric), formatStat(r.after, metric)]),
    caption:
      `${seeds > 1 ? `mean ± std over ${seeds} seeds; ` : ''}weights left = unpruned fraction of the prunable kernels; ` +
      `params left = all parameters minus pruned weights (of ${groupThousands(rows[0]?.paramsTotal ?? 0)}); FT = fine-tuning`,
  };
}

/** Per-layer sizes and sparsity of one level. */
export function layersTable(level: LevelResult): ReportTable {
  const size = level.layers.reduce((a, l) => a + l.size, 0);
  const alive = level.layers.reduce((a, l) => a + l.alive, 0);
  return {
    columns: ['layer', 'weights', 'left', 'sparsity %'],
    rows: [
      ...level.layers.map((l) => [l.name, l.size, l.alive, (100 * l.sparsity).toFixed(2)]),
      ['total', size, alive, (100 * level.totalSparsity).toFixed(2)],
    ],
    caption: `${level.method}, ${level.label}: ${level.params.left} of ${level.params.total} parameters left`,
  };
}

/** Metric vs remaining weights (%, log axis), one series per method (and schedule). */
export function metricChart(rows: AggregateRow[], which: 'before' | 'after', metric: ReportMetric): LineChart | undefined {
  const byMethod = new Map<string, AggregateRow[]>();
  for (const r of rows) {
    if (!r[which]) continue;
    const key = r.schedule === 'oneshot' ? r.method : `${r.method} (${r.schedule})`;
    byMethod.set(key, [...(byMethod.get(key) ?? []), r]);
  }
  if (byMethod.size === 0) return undefined;
  return {
    kind: 'line',
    id: `${metric}-${which}`,
    title: `${metric === 'accuracy' ? 'Test accuracy' : 'Test error'} ${which === 'after' ? 'after' : 'before'} fine-tuning`,
    xLabel: 'weights remaining (%)',
    yLabel: metricName(metric),
    xLog: true,
    xReverse: true,
    series: [...byMethod].map(([label, list]) => {
      const sorted = list.slice().sort((a, b) => b.remaining - a.remaining);
      return {
        label,
        points: sorted.map((r) => [100 * r.remaining, metricValue((r[which] as Stat).mean, metric)] as [number, number]),
        yErr: sorted.map((r) => ((r[which] as Stat).n > 1 ? 100 * (r[which] as Stat).std : null)),
      };
    }),
  };
}

/**
 * Per-layer sparsity bar charts: methods whose per-layer sparsity agrees at every level (e.g. mp, lap
 * and rp with shared layer-wise ratios) share one chart; one dataset per level.
 */
export function sparsityCharts(rows: AggregateRow[]): BarChart[] {
  const byMethod = new Map<string, AggregateRow[]>();
  for (const r of rows) byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), r]);
  const signature = (list: AggregateRow[]) => JSON.stringify(list.map((r) => [r.label, r.layers.map((l) => l.sparsity.toFixed(4))]));
  const charts = new Map<string, { methods: string[]; list: AggregateRow[] }>();
  for (const [method, list] of byMethod) {
    const sig = signature(list);
    const c = charts.get(sig);
    if (c) c.methods.push(method);
    else charts.set(sig, { methods: [method], list });
  }
  return [...charts.values()].map(({ methods, list }, i) => ({
    kind: 'bar',
    id: `layer-sparsity-${i}`,
    title: `Per-layer sparsity: ${methods.join(', ')}`,
    xLabel: 'layer',
    yLabel: 'sparsity %',
    categories: list[0].layers.map((l) => l.name),
    datasets: list.map((r) => ({ label: r.label, values: r.layers.map((l) => 100 * l.sparsity) })),
  }));
}

export interface PruneReportOptions {
  title: string;
  meta?: Record<string, string>;
  results: PipelineResult[];
  metric?: ReportMetric;
  /** Extra paragraphs for the summary section (settings, wall time, …). */
  notes?: string[];
  /** A level to detail per layer (e.g. the one saved). */
  detail?: LevelResult;
}

export function buildPruneReport(o: PruneReportOptions): ReportDoc {
  const metric = o.metric ?? 'accuracy';
  const rows = aggregateResults(o.results);
  const dense = stat(uniqueDense(o.results));
  const denseLine =
    dense.n > 0
      ? `Dense model: test ${metric} ${formatStat(dense, metric)} %${dense.n > 1 ? ` (mean ± std over ${dense.n} seeds)` : ''}.`
      : undefined;
  const sections: ReportSection[] = [
    { heading: 'Summary', paragraphs: [...(denseLine ? [denseLine] : []), ...(o.notes ?? [])], tables: [levelsTable(rows, metric)] },
  ];
  const charts = [metricChart(rows, 'after', metric), metricChart(rows, 'before', metric)].filter((c): c is LineChart => c !== undefined);
  if (charts.length > 0) sections.push({ heading: `${metric === 'accuracy' ? 'Accuracy' : 'Error'} vs remaining weights`, charts });
  sections.push({
    heading: 'Per-layer sparsity',
    charts: sparsityCharts(rows),
    tables: o.detail ? [layersTable(o.detail)] : undefined,
  });
  return { title: o.title, meta: o.meta, sections };
}

/** Dense accuracy once per seed (runs of several methods share the dense model of a seed). */
function uniqueDense(results: PipelineResult[]): number[] {
  const bySeed = new Map<number, number>();
  for (const r of results) if (!bySeed.has(r.seed)) bySeed.set(r.seed, r.dense.accuracy);
  return [...bySeed.values()];
}
