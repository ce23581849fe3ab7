/**
 * The report of a sensitivity analysis (sensitivity.ts) as a ReportDoc: the accuracy matrix
 * (group × rate) as a heat-map table (cells shaded by the accuracy drop; terminal: numbers only),
 * the accuracy-vs-rate curves as a chart, and with a budget the chosen per-group rates.
 */
import type { LineChart, ReportDoc, ReportSection, ReportTable } from '../report/doc.js';
import type { SensitivityBudget, SensitivityResult } from './sensitivity.js';

const pct = (x: number, digits = 2) => (100 * x).toFixed(digits);

function label(producers: string[]): string {
  return producers.length <= 2 ? producers.join(' + ') : `${producers[0]} + ${producers.length - 1} more`;
}

/** Rows: groups; columns: group, layers, channels, one accuracy % per grid rate. Shade = drop / largest drop. */
export function sensitivityTable(res: SensitivityResult): ReportTable {
  const maxDrop = Math.max(1e-12, ...res.groups.flatMap((g) => g.accuracy.map((a) => res.dense - a)));
  return {
    columns: ['group', 'layers', 'channels', ...res.rates.map((r) => `rate ${r}`)],
    rows: res.groups.map((g) => [g.id, label(g.producers), g.channels, ...g.accuracy.map((a) => pct(a))]),
    shade: res.groups.map((g) => [null, null, null, ...g.accuracy.map((a) => Math.max(0, res.dense - a) / maxDrop)]),
    caption:
      `accuracy % on ${res.evalCount} held-out images with ONLY that group pruned (criterion ${res.criterion}); dense ${pct(res.dense)}%` +
      (res.constraints.roundTo ? `; kept rounded to multiples of ${res.constraints.roundTo}` : '') +
      (res.constraints.maxRate !== undefined ? `; max rate ${res.constraints.maxRate}` : '') +
      (res.constraints.ignore?.length ? `; ignored: ${res.constraints.ignore.join(', ')}` : ''),
  };
}

function sensitivityChart(res: SensitivityResult): LineChart {
  return {
    kind: 'line',
    id: 'sensitivity',
    title: 'Accuracy with one group pruned',
    xLabel: 'pruning rate of the group',
    yLabel: 'held-out accuracy %',
    series: [
      ...res.groups.map((g) => ({ label: label(g.producers), points: [[0, 100 * res.dense] as [number, number], ...res.rates.map((r, j) => [r, 100 * g.accuracy[j]] as [number, number])] })),
    ],
  };
}

/** The chosen per-group rates of a budget, with kept channels and the single-group drop each one costs. */
export function budgetTable(res: SensitivityResult, b: SensitivityBudget): ReportTable {
  return {
    columns: ['group', 'layers', 'channels', 'rate', 'kept', 'drop alone (pp)'],
    rows: res.groups.map((g) => {
      const r = b.rates.get(g.id) ?? 0;
      const j = res.rates.indexOf(r);
      const w = b.widths.get(g.id) ?? g.channels;
      return [g.id, label(g.producers), g.channels, r, w, j >= 0 && w < g.channels ? pct(res.dense - g.accuracy[j]) : '0.00'];
    }),
    caption:
      `${b.metric} −${pct(b.reduction, 1)}% (target −${pct(b.target, 1)}%): ${b.before[b.metric]} → ${b.after[b.metric]}; ` +
      `greedy from the smallest drop, largest single-group drop taken ${pct(b.tolerance)} pp`,
  };
}

export interface SensitivityDocInput {
  result: SensitivityResult;
  budget?: SensitivityBudget;
  meta?: Record<string, string>;
  /** Where the budget's rates were written (mentioned in the report). */
  ratesFile?: string;
}

export function sensitivityDoc(input: SensitivityDocInput): ReportDoc {
  const { result, budget } = input;
  const sections: ReportSection[] = [
    {
      heading: 'Sensitivity',
      paragraphs: [
        `Each channel group alone pruned at rates ${result.rates.join(', ')} (the others intact); darker cells lose more accuracy.`,
      ],
      tables: [sensitivityTable(result)],
    },
    { heading: 'Accuracy vs rate', charts: [sensitivityChart(result)] },
  ];
  if (budget) {
    sections.push({
      heading: 'Rates for the budget',
      paragraphs: input.ratesFile ? [`Written to ${input.ratesFile}; apply with: prunekit prune-filters --rates-file ${input.ratesFile} …`] : [],
      tables: [budgetTable(result, budget)],
    });
  }
  return { title: `Pruning sensitivity (${result.criterion})`, meta: input.meta, sections };
}
