/**
 * The report of a structured-pruning run as a ReportDoc (rendered as terminal tables by
 * `formatTable` and as an HTML page by `writeHtmlReport`): per-layer widths before/after, params
 * and MACs, accuracy (dense / right after pruning / after fine-tuning, final and best), measured
 * latency before/after, and the fine-tuning curve.
 */
import type { BarChart, LineChart, ReportDoc, ReportSection, ReportTable } from '../report/doc.js';
import type { LatencyRow, LatencyStats } from '../report/latency.js';
import type { PruneFinetuneResult } from './pipeline.js';
import type { PruneFiltersReport } from './prune-filters.js';

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}`;

function groupLabel(producers: string[]): string {
  return producers.length <= 2 ? producers.join(' + ') : `${producers[0]} + ${producers.length - 1} more`;
}

/** One row per prunable channel group: producer layers, width before → after, rate. */
export function widthTable(report: PruneFiltersReport): ReportTable {
  return {
    columns: ['group', 'layers', 'width before', 'width after', 'rate', 'removed %'],
    rows: report.groups.map((g) => [g.id, groupLabel(g.producers) + (g.ignored ? ' (ignored)' : ''), g.channels, g.kept, g.rate.toFixed(3), pct(1 - g.kept / g.channels, 1)]),
    caption:
      `criterion ${report.criterion}, hook ${report.hook}, ` +
      (report.ranking === 'global'
        ? `global ranking of normalised scores (${report.mode === 'rates' ? 'fraction of channels' : `${report.mode} budget`})`
        : report.steps !== undefined
          ? `${report.steps} prune → fine-tune steps (${report.mode})`
          : report.mode === 'rates'
          ? 'per-group rates'
          : report.mode === 'widths'
            ? 'given widths'
            : `${report.mode} budget: uniform rate ${report.uniformRate?.toFixed(4)}`) +
      (report.constraints.ignore ? `; ignored: ${report.constraints.ignore.join(', ')}` : '') +
      (report.constraints.maxRate !== undefined ? `; max rate ${report.constraints.maxRate}` : '') +
      (report.constraints.roundTo !== undefined ? `; kept rounded to multiples of ${report.constraints.roundTo}` : ''),
  };
}

/** Trainable params and conv+dense multiply-adds before/after (analytic, per image). */
export function costTable(report: PruneFiltersReport): ReportTable {
  return {
    columns: ['', 'before', 'after', 'reduction %', 'ratio'],
    rows: [
      ['params', report.before.params, report.after.params, pct(report.reduction.params, 1), `${(report.before.params / report.after.params).toFixed(2)}×`],
      ['MACs', report.before.macs, report.after.macs, pct(report.reduction.macs, 1), `${(report.before.macs / report.after.macs).toFixed(2)}×`],
    ],
    caption: 'trainable parameters (BN moving statistics excluded); conv + dense multiply-adds per image',
  };
}

export function accuracyTable(acc: PruneFinetuneResult['accuracy'], epochs: number): ReportTable {
  const recal = acc.prunedRecalibrated !== undefined;
  return {
    columns: ['dense %', 'right after pruning %', ...(recal ? ['… BN re-estimated %'] : []), `fine-tuned final %`, 'fine-tuned best %', 'best epoch'],
    rows: [[pct(acc.dense), pct(acc.pruned), ...(recal ? [pct(acc.prunedRecalibrated!)] : []), pct(acc.final), pct(acc.best), `${acc.bestEpoch} of ${epochs}`]],
    caption:
      'test accuracy; "best" is the best test accuracy over the fine-tuning epochs (the reference reports it)' +
      (recal ? '; "BN re-estimated": right after pruning with the BN statistics averaged over calibration batches (fine-tuning starts from the copied ones)' : ''),
  };
}

/** Iterative runs: one row per prune → fine-tune step. */
export function stepsTable(res: PruneFinetuneResult): ReportTable {
  return {
    columns: ['step', 'MACs −%', 'params −%', 'after pruning %', 'fine-tuned final %', 'fine-tuned best %'],
    rows: res.steps.map((s) => [s.step, pct(s.reduction.macs, 1), pct(s.reduction.params, 1), pct(s.pruned), pct(s.final), pct(s.best)]),
    caption: 'iterative pruning: each step reaches step/steps of the target (against the dense model), then fine-tunes; test accuracy',
  };
}

const ms = (s: LatencyStats) => `${s.medianMs.toFixed(2)} (${s.p10.toFixed(2)}–${s.p90.toFixed(2)})`;

/**
 * Latency rows in pipeline order (dense, pruned, dense folded, pruned folded): median ms with
 * p10–p90, measured speedup, and the analytic MACs ratio next to it.
 */
export function latencyTable(rows: LatencyRow[], macsRatio: number, backend?: string): ReportTable {
  return {
    columns: ['batch', 'dense ms', 'pruned ms', 'speedup', 'folded dense ms', 'folded pruned ms', 'speedup folded', 'MACs ratio'],
    rows: rows.map((r) => {
      const [d, p, fd, fp] = r.stats;
      return [r.batch, ms(d), ms(p), `${(d.medianMs / p.medianMs).toFixed(2)}×`, ms(fd), ms(fp), `${(fd.medianMs / fp.medianMs).toFixed(2)}×`, `${macsRatio.toFixed(2)}×`];
    }),
    caption: `median (p10–p90) ms per predict + read-back${backend ? ` on ${backend}` : ''}; runs interleaved; folded = BN merged into the conv/dense before it`,
  };
}

function widthChart(report: PruneFiltersReport): BarChart {
  return {
    kind: 'bar',
    id: 'widths',
    title: 'Channels per layer group',
    xLabel: 'group (first producer layer)',
    yLabel: 'channels',
    categories: report.groups.map((g) => g.producers[0]),
    datasets: [
      { label: 'before', values: report.groups.map((g) => g.channels) },
      { label: 'after', values: report.groups.map((g) => g.kept) },
    ],
  };
}

function finetuneChart(res: PruneFinetuneResult): LineChart {
  return {
    kind: 'line',
    id: 'finetune',
    title: 'Test accuracy during fine-tuning',
    xLabel: 'epoch',
    yLabel: 'test accuracy %',
    series: [
      {
        label: 'pruned + fine-tuned',
        points: [[0, 100 * res.accuracy.pruned] as [number, number]].concat(
          res.finetune.history.epochs.map((e) => [e.epoch + 1, 100 * (e.valAccuracy ?? NaN)] as [number, number]),
        ),
      },
      { label: 'dense', points: [[0, 100 * res.accuracy.dense], [Math.max(1, res.finetune.history.epochs.length), 100 * res.accuracy.dense]] },
    ],
  };
}

export interface PruneFiltersDocInput {
  result: PruneFinetuneResult;
  /** Shown in the meta block (model, dataset, backend, command line, …). */
  meta?: Record<string, string>;
  backend?: string;
  title?: string;
}

/** The full report of one `prune-filters` run. */
export function pruneFiltersDoc(input: PruneFiltersDocInput): ReportDoc {
  const { result } = input;
  const macsRatio = result.report.before.macs / result.report.after.macs;
  const r = result.finetune.recipe;
  const sections: ReportSection[] = [
    { heading: 'Widths', tables: [widthTable(result.report)], charts: [widthChart(result.report)] },
    { heading: 'Size and cost', tables: [costTable(result.report)] },
    {
      heading: 'Accuracy',
      paragraphs: [
        `Fine-tuning (reference recipe): SGD lr ${r.lr}, momentum ${r.momentum}, weight decay ${r.weightDecay}, batch ${r.batchSize}, ` +
          `${result.finetune.history.epochs.length} epochs, lr ×${r.gamma} at epochs [${result.finetune.milestones.join(', ')}]; ` +
          `pruning ${result.seconds.prune.toFixed(1)} s, fine-tuning ${result.seconds.finetune.toFixed(1)} s.`,
      ],
      tables: [accuracyTable(result.accuracy, result.finetune.history.epochs.length)],
      charts: result.finetune.history.epochs.length > 0 ? [finetuneChart(result)] : [],
    },
  ];
  if (result.steps.length > 1) sections.splice(2, 0, { heading: 'Steps', tables: [stepsTable(result)] });
  if (result.latency) sections.push({ heading: 'Latency', tables: [latencyTable(result.latency, macsRatio, input.backend)] });
  return { title: input.title ?? `Filter pruning (${result.report.criterion})`, meta: input.meta, sections };
}

/** Plain-text rendering of a doc's sections for the terminal: heading, paragraphs, tables (charts are HTML-only). */
export function docText(doc: ReportDoc, format: (t: ReportTable) => string): string {
  const out: string[] = [];
  for (const s of doc.sections) {
    out.push(`\n== ${s.heading} ==`);
    for (const p of s.paragraphs ?? []) out.push(p);
    for (const t of s.tables ?? []) out.push(format(t));
  }
  return out.join('\n') + '\n';
}
