/**
 * The Fourier band-error diagnostics of a sweep, over every seed (methods.md §3.2 filtering method, §7.3
 * diagnostic): e_low(δ) and e_high(δ) of the student against the teacher right after MBP, after the first
 * epoch of stage 2 and at its end, mean ± std over seeds, and the three hypotheses of §3.2 / §7.3 as counts:
 *   H1  right after pruning the error sits mainly in the high band:  e_high(δ) > e_low(δ);
 *   H2  retraining recovers the low band first:  e_low(1)/e_low(0) < e_high(1)/e_high(0)
 *       (the fraction of each band's error left after epoch 1; 0 = recovered, 1 = untouched);
 *   H3  what stays unrecovered is high-frequency:  e_high(end) > e_low(end).
 * Pure: the records in, a table and sentences out (charts of single runs stay in distill/report.ts).
 */
import type { ReportTable } from '../report/doc.js';
import type { FrequencyAnalysis } from '../spectral/analysis.js';
import { stat } from '../util/stats.js';

/** One stage-2 run: the masks' analysis right after MBP and one record per retraining epoch (1-based). */
export interface BandRun {
  seed: number;
  method: string;
  pruned: FrequencyAnalysis;
  records: FrequencyAnalysis[];
}

/** The δ factors the summary shows (of those recorded): mid and heavy smoothing; δ×0.01 is nearly the identity. */
export const SUMMARY_DELTA_FACTORS = [0.1, 1];

type Band = 'eLow' | 'eHigh';

function at(a: FrequencyAnalysis, factor: number, band: Band): number | undefined {
  const p = a.filtering.find((q) => q.deltaFactor === factor);
  return p === undefined ? undefined : p[band];
}

const fmt = (values: number[]): string => {
  const s = stat(values.filter(Number.isFinite));
  if (s.n === 0) return '-';
  return s.n === 1 ? `${s.mean.toFixed(3)} (n = 1)` : `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`;
};

/** The recorded factors among SUMMARY_DELTA_FACTORS (all recorded ones when none of them is). */
function factorsOf(runs: BandRun[]): number[] {
  const recorded = runs[0]?.pruned.filtering.map((p) => p.deltaFactor) ?? [];
  const wanted = SUMMARY_DELTA_FACTORS.filter((f) => recorded.includes(f));
  return wanted.length > 0 ? wanted : recorded;
}

const count = (flags: boolean[]): string => `${flags.filter(Boolean).length} of ${flags.length}`;

/**
 * Table and hypothesis counts for one experiment × sparsity. `runs` holds every finished (seed, method); runs without
 * records (no analysis set) are skipped. Undefined when nothing was recorded.
 */
export function bandErrorSummary(runs: BandRun[], methods: readonly string[], caption: string): { table: ReportTable; findings: string[] } | undefined {
  const rs = runs.filter((r) => r.records.length > 0);
  if (rs.length === 0) return undefined;
  const factors = factorsOf(rs);
  const cells = (as: FrequencyAnalysis[]) => factors.flatMap((f) => [fmt(as.map((a) => at(a, f, 'eLow') ?? NaN)), fmt(as.map((a) => at(a, f, 'eHigh') ?? NaN))]);
  // right after MBP: one analysis per seed (the methods of a seed share the masks)
  const prunedBySeed = new Map(rs.map((r) => [r.seed, r.pruned]));
  const rows: (string | number)[][] = [['right after MBP', 'all', prunedBySeed.size, ...cells([...prunedBySeed.values()])]];
  for (const meth of methods) {
    const mine = rs.filter((r) => r.method === meth);
    if (mine.length === 0) continue;
    const last = Math.max(...mine.map((r) => r.records.length));
    rows.push([`epoch 1`, meth, mine.length, ...cells(mine.map((r) => r.records[0]))]);
    rows.push([`epoch ${last} (end)`, meth, mine.length, ...cells(mine.map((r) => r.records[r.records.length - 1]))]);
  }
  const table: ReportTable = {
    columns: ['state', 'method', 'n', ...factors.flatMap((f) => [`e_low δ×${f}`, `e_high δ×${f}`])],
    rows,
    caption,
  };
  const findings: string[] = [];
  for (const f of factors) {
    const h1 = [...prunedBySeed.values()].map((a) => (at(a, f, 'eHigh') ?? NaN) > (at(a, f, 'eLow') ?? NaN));
    const left = (r: BandRun, band: Band) => (at(r.records[0], f, band) ?? NaN) / (at(r.pruned, f, band) ?? NaN);
    const h2 = rs.map((r) => left(r, 'eLow') < left(r, 'eHigh'));
    const h3 = rs.map((r) => (at(r.records[r.records.length - 1], f, 'eHigh') ?? NaN) > (at(r.records[r.records.length - 1], f, 'eLow') ?? NaN));
    findings.push(
      `δ×${f}: error mainly high-band right after MBP (e_high > e_low) in ${count(h1)} seeds; ` +
        `low band recovered first (share of each band's error left after epoch 1: low ${fmt(rs.map((r) => left(r, 'eLow')))}, high ${fmt(rs.map((r) => left(r, 'eHigh')))}; low < high) in ${count(h2)} runs; ` +
        `high band larger at the end in ${count(h3)} runs`,
    );
  }
  return { table, findings };
}
