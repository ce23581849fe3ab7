/**
 * ReportDoc sections for the frequency analysis and the Fourier-guided pruning runs (rendered by
 * report/html.ts writeHtmlReport, or as terminal tables by report/table.ts formatTable).
 */
import type { ChartSeries, LineChart, ReportDoc, ReportSection, ReportTable } from '../report/doc.js';
import type { FrequencyAnalysis } from '../spectral/analysis.js';

const pct = (v: number) => Math.round(1e4 * v) / 100;
const r4 = (v: number) => Math.round(1e4 * v) / 1e4;

/** Charts of e_low / e_high vs δ and accuracy / agreement vs radius, one series per analysed model state. */
export function analysisSection(analyses: FrequencyAnalysis[], heading = 'Frequency analysis', idPrefix = 'fa'): ReportSection {
  const line = (id: string, title: string, xLabel: string, yLabel: string, series: ChartSeries[], xLog = false): LineChart => ({
    kind: 'line', id: `${idPrefix}-${id}`, title, xLabel, yLabel, xLog, series,
  });
  const target = analyses[0]?.target === 'labels' ? 'labels' : 'teacher';
  const charts: LineChart[] = [
    line('elow', `Low-band relative error e_low(δ) vs ${target}`, 'δ / median ‖xᵢ − xⱼ‖²', 'e_low',
      analyses.map((a) => ({ label: a.label, points: a.filtering.map((p) => [p.deltaFactor, r4(p.eLow)] as [number, number]) })), true),
    line('ehigh', `High-band relative error e_high(δ) vs ${target}`, 'δ / median ‖xᵢ − xⱼ‖²', 'e_high',
      analyses.map((a) => ({ label: a.label, points: a.filtering.map((p) => [p.deltaFactor, r4(p.eHigh)] as [number, number]) })), true),
    line('acc', 'Accuracy on low-passed inputs', 'cut-off radius (last = unfiltered)', 'accuracy %',
      analyses.map((a) => ({ label: a.label, points: a.spectrum.map((p) => [p.radius, pct(p.accuracy)] as [number, number]) }))),
  ];
  if (analyses.some((a) => a.spectrum.some((p) => p.agreement !== null))) {
    charts.push(line('agree', 'Agreement with the teacher on low-passed inputs', 'cut-off radius (last = unfiltered)', 'agreement %',
      analyses.map((a) => ({ label: a.label, points: a.spectrum.map((p) => [p.radius, p.agreement === null ? null : pct(p.agreement)] as [number, number | null]) }))));
  }
  return { heading, tables: [analysisTable(analyses)], charts };
}

/** One row per model state: accuracy, e_low and e_high at each δ. */
export function analysisTable(analyses: FrequencyAnalysis[]): ReportTable {
  const factors = analyses[0]?.filtering.map((p) => p.deltaFactor) ?? [];
  return {
    columns: ['model state', 'accuracy %', ...factors.flatMap((f) => [`e_low δ×${f}`, `e_high δ×${f}`])],
    rows: analyses.map((a) => [a.label, pct(a.accuracy), ...a.filtering.flatMap((p) => [r4(p.eLow), r4(p.eHigh)])]),
    caption: `δ in multiples of the median pairwise squared distance of the analysis set; targets: ${analyses[0]?.target ?? 'teacher'}`,
  };
}

/** e_low and e_high at one δ factor across retraining epochs (the F-Principle view of stage 2). */
export function retrainingChart(records: FrequencyAnalysis[], id: string, title: string): LineChart {
  const factors = records[0]?.filtering.map((p) => p.deltaFactor) ?? [];
  const series: ChartSeries[] = [];
  for (const f of factors) {
    const at = (a: FrequencyAnalysis) => a.filtering.find((p) => p.deltaFactor === f);
    series.push({ label: `e_low δ×${f}`, points: records.map((a, i) => [a.epoch ?? i, at(a) ? r4(at(a)!.eLow) : null]) });
    series.push({ label: `e_high δ×${f}`, points: records.map((a, i) => [a.epoch ?? i, at(a) ? r4(at(a)!.eHigh) : null]) });
  }
  return { kind: 'line', id, title, xLabel: 'epoch (0 = right after pruning)', yLabel: 'relative error', series };
}

/** A whole analysis report (what `prunekit analyze` writes). */
export function analysisReport(analyses: FrequencyAnalysis[], meta: Record<string, string> = {}): ReportDoc {
  return { title: 'prunekit frequency analysis', meta, sections: [analysisSection(analyses)] };
}
