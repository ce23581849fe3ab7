/**
 * Sweep report from the job results in DIR: per experiment a table of mean ± std over seeds with
 * n, the budgets and the wall time per job; the preconditions that decide whether a comparison can
 * tell the methods apart (converged dense nets, a teacher stronger than the CE-fine-tuned student,
 * gaps larger than the spread); the Fourier band-error diagnostics. Markdown through
 * report/markdown.ts, HTML through report/html.ts.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { ChartSeries, LineChart, ReportDoc, ReportSection, ReportTable } from '../report/doc.js';
import { writeHtmlReport } from '../report/html.js';
import { markdownTable } from '../report/markdown.js';
import { analysisSection, retrainingChart } from '../distill/report.js';
import type { FrequencyAnalysis } from '../spectral/analysis.js';
import { bandErrorSummary, type BandRun } from './band-errors.js';
import type { Job } from './jobs.js';
import type { ExperimentRecipe, FourierRecipe, Recipe, StructuredRecipe, UnstructuredRecipe } from './recipe.js';
import { finishedResults, type JobResult } from './store.js';
import { reproductionFlags } from './resume.js';
import { stat, type Stat } from '../util/stats.js';

export { stat, type Stat };

/** "mean ± std" in percent (2 decimals); "value (n = 1)" for one value (it has no spread); "-" when empty. */
export function pm(s: Stat, scale = 100): string {
  if (s.n === 0) return '-';
  if (s.n === 1) return `${(scale * s.mean).toFixed(2)} (n = 1)`;
  return `${(scale * s.mean).toFixed(2)} ± ${(scale * s.std).toFixed(2)}`;
}

/**
 * Whether two samples can be told apart: |Δmean| > 2·sqrt(s₁²/n₁ + s₂²/n₂) (two standard errors of the
 * difference), and both have n ≥ 2 (no spread, no verdict).
 */
export function separable(a: Stat, b: Stat): { ok: boolean; gap: number; noise: number } {
  const noise = 2 * Math.sqrt((a.n > 0 ? a.std ** 2 / a.n : Infinity) + (b.n > 0 ? b.std ** 2 / b.n : Infinity));
  const gap = Math.abs(a.mean - b.mean);
  return { ok: a.n >= 2 && b.n >= 2 && gap > noise, gap, noise };
}

/** Two-sided 95% Student-t critical values by degrees of freedom 1…10 (then 2.0 is close enough and stricter than 1.96). */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
export const t95 = (df: number): number => (df >= 1 ? (T95[df - 1] ?? 2.0) : Infinity);

/**
 * Paired comparison over seeds (the jobs of one seed share the dense net, masks or teacher, so their differences
 * cancel what the seed changes): d_s = a_s − b_s; separable when |mean d| > t95(n − 1) · sd(d)/√n (a paired
 * t-test at 95%, two-sided). Needs ≥ 2 seeds with both values.
 */
export function pairedSeparable(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): { ok: boolean; n: number; gap: number; se: number; t: number } {
  const d = [...a].filter(([seed]) => b.has(seed)).map(([seed, v]) => v - b.get(seed)!);
  const s = stat(d);
  const se = s.n > 0 ? s.std / Math.sqrt(s.n) : NaN;
  const t = se > 0 ? s.mean / se : s.mean === 0 || s.n < 2 ? 0 : Math.sign(s.mean) * Infinity;
  return { ok: s.n >= 2 && Math.abs(t) > t95(s.n - 1), n: s.n, gap: s.mean, se, t };
}

/** Per method: seed → value. */
type BySeed = Map<string, Map<number, number>>;
const bySeed = <J extends { seed: number }>(jobs: J[], value: (j: J) => number): Map<number, number> => new Map(jobs.map((j) => [j.seed, value(j)]));

interface Ctx {
  recipe: Recipe;
  jobs: Job[];
  results: Map<string, JobResult>;
  flags: string[];
}

const m = (r: JobResult) => r.metrics as Record<string, unknown>;
const secs = (rs: JobResult[]) => stat(rs.map((r) => r.seconds));
const sfmt = (s: Stat) => (s.n === 0 ? '-' : `${s.mean.toFixed(1)}`);

function jobsOf<K extends Job['kind']>(c: Ctx, exp: string, kind: K): (Extract<Job, { kind: K }> & { result: JobResult })[] {
  return c.jobs
    .filter((j): j is Extract<Job, { kind: K }> => j.kind === kind && j.experiment === exp)
    .flatMap((j) => (c.results.has(j.id) ? [{ ...j, result: c.results.get(j.id)! }] : []));
}

function denseSection(c: Ctx): ReportSection {
  const rows: (string | number)[][] = [];
  for (const [name, d] of Object.entries(c.recipe.dense)) {
    const rs = c.jobs.filter((j) => j.kind === 'dense' && j.dense === name).flatMap((j) => (c.results.has(j.id) ? [c.results.get(j.id)!] : []));
    if (rs.length === 0) continue;
    const acc = stat(rs.map((r) => Number(m(r).accuracy)));
    rows.push([name, d.model + (d.widthMultiplier ? ` ×${d.widthMultiplier}` : ''), pm(acc), acc.n, d.minAccuracy !== undefined ? `${(100 * d.minAccuracy).toFixed(1)}` : '-',
      `${d.steps} × ${d.batchSize} (${d.optimizer.name} ${d.optimizer.lr})`, sfmt(secs(rs))]);
    if (d.minAccuracy !== undefined && acc.mean < d.minAccuracy) {
      c.flags.push(`dense '${name}' (${d.model}) reaches ${pm(acc)}% over ${acc.n} seed(s), below the converged baseline ${(100 * d.minAccuracy).toFixed(1)}%: every comparison on it starts from an unconverged net`);
    }
    const low = rs.filter((r) => d.minAccuracy !== undefined && Number(m(r).accuracy) < d.minAccuracy);
    if (low.length > 0 && acc.mean >= (d.minAccuracy ?? 0)) c.flags.push(`dense '${name}': ${low.map((r) => r.id).join(', ')} below ${(100 * d.minAccuracy!).toFixed(1)}%`);
  }
  return {
    heading: 'Dense nets',
    tables: [{ columns: ['dense', 'model', 'test acc % (mean ± std)', 'n', 'required %', 'budget (steps × batch)', 's/job'], rows }],
  };
}

/**
 * Checks each pair (a, b) of methods: paired over the seeds both have (pairedSeparable) when there are ≥ 2, else
 * the unpaired two-standard-error rule (separable). Flags what cannot be told apart, one flag per comparison (`what`)
 * listing its pairs; returns one line per pair for the section (the paired differences, in points).
 */
function checkPairs(c: Ctx, what: string, values: BySeed, pairs: [string, string][]): string[] {
  const lines: string[] = [];
  const oneSeed: string[] = [];
  const apart: string[] = [];
  for (const [a, b] of pairs) {
    const va = values.get(a);
    const vb = values.get(b);
    if (!va || !vb || va.size === 0 || vb.size === 0) continue;
    const p = pairedSeparable(va, vb);
    if (p.n >= 2) {
      const verdict = p.ok ? (p.gap > 0 ? `${a} higher` : `${b} higher`) : 'cannot be told apart';
      lines.push(`${a} − ${b}: ${p.gap >= 0 ? '+' : ''}${(100 * p.gap).toFixed(2)} ± ${(100 * p.se).toFixed(2)} pts (paired over ${p.n} seeds, t = ${Number.isFinite(p.t) ? p.t.toFixed(2) : '∞'}): ${verdict}`);
      if (!p.ok) apart.push(`${a} vs ${b} (paired over ${p.n} seeds: gap ${(100 * p.gap).toFixed(2)} pts, |t| = ${Math.abs(p.t).toFixed(2)} ≤ ${t95(p.n - 1).toFixed(2)}, 95%)`);
      continue;
    }
    const sa = stat([...va.values()]);
    const sb = stat([...vb.values()]);
    const s = separable(sa, sb);
    if (s.ok) continue;
    if (sa.n < 2 || sb.n < 2) oneSeed.push(`${a} vs ${b} (gap ${(100 * s.gap).toFixed(2)} pts, n = ${sa.n}, ${sb.n})`);
    else apart.push(`${a} vs ${b} (gap ${(100 * s.gap).toFixed(2)} pts ≤ 2 standard errors ${(100 * s.noise).toFixed(2)} pts; n = ${sa.n}, ${sb.n})`);
  }
  // one flag per comparison for the pairs whose gap is within the noise, one for those without a spread yet
  if (apart.length) c.flags.push(`${what}: cannot be told apart: ${apart.join('; ')}`);
  if (oneSeed.length) c.flags.push(`${what}: no verdict yet, a side with one seed has no spread (need ≥ 2 seeds each): ${oneSeed.join('; ')}`);
  return lines;
}


function unstructuredSection(c: Ctx, e: UnstructuredRecipe): ReportSection {
  const js = jobsOf(c, e.name, 'unstructured');
  const labels = [...new Set(js.map((j) => String(m(j.result).label)))];
  const remaining = new Map(labels.map((l) => [l, stat(js.filter((j) => m(j.result).label === l).map((j) => Number(m(j.result).remaining)))]));
  const table = (which: 'before' | 'after'): ReportTable => ({
    columns: ['method \\ % remaining (cells: test error %)', ...labels.map((l) => `${(100 * remaining.get(l)!.mean).toPrecision(3)} (${l})`), 'n', 's/job'],
    rows: e.methods.map((meth) => {
      const mine = js.filter((j) => j.method === meth);
      return [
        meth,
        ...labels.map((l) => pm(stat(mine.filter((j) => m(j.result).label === l && m(j.result)[which] !== null).map((j) => 1 - Number(m(j.result)[which]))))),
        stat(mine.map((j) => j.seed)).n === 0 ? 0 : new Set(mine.map((j) => j.seed)).size,
        sfmt(secs(mine.map((j) => j.result))),
      ];
    }),
    caption: `${e.name}: test error % ${which === 'after' ? `after ${e.finetune.steps} fine-tuning steps (batch ${e.finetune.batchSize}, ${e.finetune.optimizer.name} ${e.finetune.optimizer.lr})` : 'right after pruning'}; mean ± std over seeds; dense '${e.dense}'`,
  });
  const after = table('after');
  const paired: string[] = [];
  for (const l of labels) {
    const st: BySeed = new Map(e.methods.map((meth) => [meth, bySeed(js.filter((j) => j.method === meth && m(j.result).label === l && m(j.result).after !== null), (j) => Number(m(j.result).after))]));
    const base = e.methods.includes('mp') ? 'mp' : e.methods[0];
    const lines = checkPairs(c, `${e.name} ${l} (after fine-tuning)`, st, e.methods.filter((x) => x !== base && x !== 'rp').map((x) => [x, base] as [string, string]));
    if (lines.length) paired.push(`${l}: ${lines.join('; ')}`);
  }
  const chart: LineChart = {
    kind: 'line', id: `${e.name}-after`, title: `${e.name}: test error after fine-tuning`, xLabel: '% weights remaining', yLabel: 'test error %', xLog: true, xReverse: true,
    series: e.methods.map((meth): ChartSeries => {
      const pts = labels.map((l) => stat(js.filter((j) => j.method === meth && m(j.result).label === l && m(j.result).after !== null).map((j) => 1 - Number(m(j.result).after))));
      return { label: meth, points: labels.map((l, i) => [100 * remaining.get(l)!.mean, pts[i].n ? 100 * pts[i].mean : null]), yErr: pts.map((p) => (p.n ? 100 * p.std : null)) };
    }),
  };
  const pairedText = paired.length ? [`Test accuracy after fine-tuning, each method minus ${e.methods.includes('mp') ? 'mp' : e.methods[0]} on the same dense net, mean ± standard error of the per-seed differences: ${paired.join(' — ')}.`] : [];
  return { heading: `${e.name} (unstructured, ${e.dense})`, paragraphs: [...(e.note ? [e.note] : []), ...pairedText], tables: [after, table('before')], charts: [chart] };
}

/** Points above chance (1 / classes) within which accuracy right after pruning says nothing about a criterion. */
export const CHANCE_MARGIN = 0.05;

/**
 * The flag for a structured comparison whose accuracy right after pruning is within CHANCE_MARGIN of chance for every
 * criterion (mean over seeds): the before-fine-tuning comparison cannot rank them. Undefined when some criterion is
 * above, or without numClasses in the results (older results).
 */
export function chanceFlag(what: string, criteria: string[], rows: { criterion: string; accuracy: number; numClasses: unknown }[]): string | undefined {
  const classes = rows.map((r) => Number(r.numClasses)).find((n) => Number.isInteger(n) && n > 1);
  if (classes === undefined) return undefined;
  const means = criteria.map((crit) => [crit, stat(rows.filter((r) => r.criterion === crit).map((r) => r.accuracy))] as const).filter(([, st]) => st.n > 0);
  if (means.length === 0 || means.some(([, st]) => st.mean > 1 / classes + CHANCE_MARGIN)) return undefined;
  return (
    `${what}: accuracy right after pruning is within ${100 * CHANCE_MARGIN} points of chance (${(100 / classes).toFixed(0)}%) for every criterion ` +
      `(${means.map(([crit, st]) => `${crit} ${(100 * st.mean).toFixed(1)}%`).join(', ')}): the comparison before fine-tuning cannot rank them`
  );
}

function structuredSection(c: Ctx, e: StructuredRecipe): ReportSection {
  const js = jobsOf(c, e.name, 'structured');
  const tables: ReportTable[] = [];
  const paired: string[] = [];
  for (const red of e.reductions) {
    const at = js.filter((j) => j.reduction === red);
    type Key = 'pruned' | 'prunedRecalibrated' | 'final' | 'best';
    const accOf = (j: (typeof at)[number], k: Key) => Number((m(j.result).accuracy as Record<string, number | undefined>)[k] ?? NaN);
    const has = (j: (typeof at)[number], k: Key) => Number.isFinite(accOf(j, k));
    const acc = (crit: string, k: Key) => stat(at.filter((j) => j.criterion === crit && has(j, k)).map((j) => accOf(j, k)));
    // results written before the BN re-estimate existed lack it: the column appears once some job has it
    const recal = at.some((j) => has(j, 'prunedRecalibrated'));
    tables.push({
      columns: ['criterion', 'MACs −%', 'params −%', 'right after pruning %', ...(recal ? ['right after pruning, BN re-estimated %'] : []), 'fine-tuned final %', 'fine-tuned best %', 'n', 's/job'],
      rows: e.criteria.map((crit) => {
        const mine = at.filter((j) => j.criterion === crit);
        const r = stat(mine.map((j) => Number((m(j.result).reduction as { macs: number }).macs)));
        const p = stat(mine.map((j) => Number((m(j.result).reduction as { params: number }).params)));
        return [crit, r.n ? (100 * r.mean).toFixed(1) : '-', p.n ? (100 * p.mean).toFixed(1) : '-', pm(acc(crit, 'pruned')), ...(recal ? [pm(acc(crit, 'prunedRecalibrated'))] : []), pm(acc(crit, 'final')), pm(acc(crit, 'best')), mine.length, sfmt(secs(mine.map((j) => j.result)))];
      }),
      caption:
        `${e.name}: MACs cut target ${100 * red}%; rates ${e.innerOnly ? 'ResNet inner channels only' : 'all groups'}${e.protectLast ? `, last ${e.protectLast} group(s) protected` : ''}, ranking ${e.ranking ?? 'per-layer'}; ` +
        `fine-tune ${e.finetune.epochs} epochs${e.finetune.stepsPerEpoch ? ` × ${e.finetune.stepsPerEpoch} steps` : ''} (SGD ${e.finetune.lr ?? 0.01}, momentum 0.9, wd 5e-3); mean ± std over seeds` +
        (recal ? `; BN re-estimated: the BN statistics averaged over ${e.bnRecalBatches ?? 20} × ${e.calibBatchSize ?? 128} training images before evaluating, n counts the jobs that measured it (fine-tuning starts from the copied statistics)` : ''),
    });
    const chance = chanceFlag(`${e.name} −${100 * red}% MACs`, e.criteria, at.map((j) => ({ criterion: j.criterion, accuracy: accOf(j, 'pruned'), numClasses: m(j.result).numClasses })));
    if (chance) c.flags.push(chance);
    const recalChance = chanceFlag(`${e.name} −${100 * red}% MACs, BN re-estimated`, e.criteria, at.filter((j) => has(j, 'prunedRecalibrated')).map((j) => ({ criterion: j.criterion, accuracy: accOf(j, 'prunedRecalibrated'), numClasses: m(j.result).numClasses })));
    if (recalChance) c.flags.push(recalChance);
    for (const k of ['pruned', ...(recal ? ['prunedRecalibrated' as const] : []), 'best'] as const) {
      const st: BySeed = new Map(e.criteria.map((crit) => [crit, bySeed(at.filter((j) => j.criterion === crit && has(j, k)), (j) => accOf(j, k))]));
      if (!e.criteria.includes('dct')) continue;
      const pairs = e.criteria.filter((x) => x !== 'dct').map((x) => ['dct', x] as [string, string]);
      const when = k === 'pruned' ? 'right after pruning' : k === 'prunedRecalibrated' ? 'right after pruning, BN re-estimated' : 'after fine-tuning (best epoch)';
      const lines = checkPairs(c, `${e.name} −${100 * red}% MACs (${when})`, st, pairs);
      // one seed: the differences, without a verdict (a pilot shows the size of the gaps before the seeds are spent)
      const single = pairs.flatMap(([a, b]) => {
        const [va, vb] = [st.get(a)!, st.get(b)!];
        const both = [...va.keys()].filter((seed) => vb.has(seed));
        return both.length === 1 ? [`${a} − ${b}: ${va.get(both[0])! >= vb.get(both[0])! ? '+' : ''}${(100 * (va.get(both[0])! - vb.get(both[0])!)).toFixed(2)} pts`] : [];
      });
      if (lines.length) paired.push(`−${100 * red}% MACs, ${when}: ${lines.join('; ')}`);
      else if (single.length) paired.push(`−${100 * red}% MACs, ${when}, one seed (no verdict): ${single.join('; ')}`);
    }
  }
  const pairedText = paired.length ? [`Test accuracy, dct minus each other criterion on the same dense net, paired over seeds (mean ± standard error of the per-seed differences): ${paired.join(' — ')}.`] : [];
  return { heading: `${e.name} (structured, ${e.dense})`, paragraphs: [...(e.note ? [e.note] : []), ...pairedText], tables };
}

function fourierSection(c: Ctx, e: FourierRecipe): ReportSection {
  const masks = jobsOf(c, e.name, 'fourier-masks');
  const rt = jobsOf(c, e.name, 'fourier-retrain');
  const methods = e.stage2.methods;
  const st2 = e.stage2;
  const table: ReportTable = {
    columns: ['sparsity %', 'teacher %', 'after MBP %', ...methods.map((x) => `${x} %`), 'n', 's/job (stage 2)'],
    rows: [],
    caption:
      `${e.name}: test accuracy after stage 2 (${st2.epochs} epochs${st2.stepsPerEpoch ? ` × ${st2.stepsPerEpoch} steps` : ''}, batch ${st2.batchSize}, ${st2.optimizer.name} ${st2.optimizer.lr}); ` +
      `stage 1 iterative MBP q = ${e.stage1.q ?? 0.2}, ${e.stage1.roundEpochs ?? 1} epoch(s)${e.stage1.roundStepsPerEpoch ? ` × ${e.stage1.roundStepsPerEpoch} steps` : ''} per round; ` +
      `freq-a: k ${st2.kMax ?? 16} → 1 over ${100 * (st2.cutoffFraction ?? 0.7)}% of steps, ${st2.anchors ?? 2048} anchors; seeds vary teacher, masks and batches; mean ± std`,
  };
  const charts: LineChart[] = [];
  const sections: ReportSection[] = [];
  const pairedLines: string[] = [];
  const bandTables: ReportTable[] = [];
  const bandLines: string[] = [];
  for (const sp of e.sparsities) {
    const mk = masks.filter((j) => j.sparsity === sp);
    const rs = rt.filter((j) => j.sparsity === sp);
    const teacher = stat(rs.filter((j) => j.method === methods[0]).map((j) => Number(m(j.result).teacherAccuracy)));
    const seeded: BySeed = new Map(methods.map((x) => [x, bySeed(rs.filter((j) => j.method === x), (j) => Number(m(j.result).accuracy))]));
    const accs = new Map([...seeded].map(([x, v]) => [x, stat([...v.values()])]));
    table.rows.push([100 * sp, pm(teacher), pm(stat(mk.map((j) => Number(m(j.result).accuracyAfterPrune)))), ...methods.map((x) => pm(accs.get(x)!)), new Set(rs.map((j) => j.seed)).size, sfmt(secs(rs.map((j) => j.result)))]);
    const ce = accs.get('none');
    if (ce && ce.n > 0 && teacher.n > 0 && teacher.mean <= ce.mean) {
      c.flags.push(`${e.name} ${100 * sp}%: the teacher (${pm(teacher)}%) is not stronger than the CE-fine-tuned student (${pm(ce)}%): distillation can only pull the student down`);
    }
    const order: [string, string][] = [['freq-a', 'plain'], ['plain', 'none'], ['freq-b', 'plain']];
    const lines = checkPairs(c, `${e.name} ${100 * sp}%`, seeded, order.filter(([a, b]) => methods.includes(a as never) && methods.includes(b as never)));
    if (lines.length) pairedLines.push(`${100 * sp}%: ${lines.join('; ')}`);
    // band-error diagnostics over every seed (table + hypothesis counts), then charts of the first seed
    const prunedOf = new Map(mk.map((j) => [j.seed, (m(j.result).analysis as { pruned: FrequencyAnalysis } | null)?.pruned]));
    const runs: BandRun[] = rs.flatMap((j) => {
      const pruned = prunedOf.get(j.seed);
      const records = (m(j.result).analysis as FrequencyAnalysis[] | null) ?? [];
      return pruned ? [{ seed: j.seed, method: j.method, pruned, records }] : [];
    });
    const band = bandErrorSummary(runs, methods, `${e.name} ${100 * sp}%: relative error of the student's outputs against the teacher's in the low / high band of the filtering method (methods.md §3.2; δ in multiples of the median pairwise squared distance), mean ± std over seeds`);
    if (band) {
      bandTables.push(band.table);
      bandLines.push(`${100 * sp}%: ${band.findings.join('; ')}`);
    }
    const seed0 = Math.min(...rs.map((j) => j.seed));
    const m0 = mk.find((j) => j.seed === seed0);
    const an = m0 ? (m(m0.result).analysis as { dense: FrequencyAnalysis; pruned: FrequencyAnalysis } | null) : null;
    if (an) {
      sections.push(analysisSection([an.dense, an.pruned], `${e.name} ${100 * sp}%: dense vs right after MBP (seed ${seed0})`, `fa-${e.name}-${sp}`.replace(/[^a-z0-9-]/gi, '-')));
      for (const x of methods) {
        const j = rs.find((q) => q.seed === seed0 && q.method === x);
        const recs = j ? (m(j.result).analysis as FrequencyAnalysis[]) : [];
        if (recs.length > 0) charts.push(retrainingChart([an.pruned, ...recs], `rt-${e.name}-${sp}-${x}`.replace(/[^a-z0-9-]/gi, '-'), `${e.name} ${100 * sp}% ${x}: e_low / e_high across retraining (seed ${seed0})`));
      }
    }
  }
  const pairedText = pairedLines.length ? [`Test accuracy after stage 2, paired over seeds (same teacher and masks), mean ± standard error of the per-seed differences: ${pairedLines.join(' — ')}.`] : [];
  const bandText = bandLines.length ? [`Band errors (hypotheses of methods.md §3.2 / §7.3, counted over seeds and runs): ${bandLines.join(' — ')}.`] : [];
  return { heading: `${e.name} (Fourier two-stage, ${e.dense})`, paragraphs: [...(e.note ? [e.note] : []), ...pairedText, ...bandText], tables: [table, ...bandTables], charts, ...(sections.length ? { subsections: sections } : {}) } as ReportSection & { subsections?: ReportSection[] };
}

export interface SweepReport {
  doc: ReportDoc;
  markdown: string;
  flags: string[];
  done: number;
  total: number;
  wallSeconds: number;
}

/** The report of DIR's finished jobs (unfinished ones are left out and counted). */
export function buildSweepReport(dir: string, recipe: Recipe, jobs: Job[]): SweepReport {
  const results = finishedResults(dir, jobs);
  const reproduced = reproductionFlags(dir);
  const c: Ctx = { recipe, jobs, results, flags: [...reproduced.flags] };
  const sections: ReportSection[] = [denseSection(c)];
  const extra: ReportSection[] = [];
  for (const e of recipe.experiments as ExperimentRecipe[]) {
    if (e.enabled === false) {
      sections.push({ heading: `${e.name} (not run)`, paragraphs: [`Listed with "enabled": false. ${e.note ?? ''}`.trim()] });
      continue;
    }
    const s = e.kind === 'unstructured' ? unstructuredSection(c, e) : e.kind === 'structured' ? structuredSection(c, e) : fourierSection(c, e);
    const sub = (s as ReportSection & { subsections?: ReportSection[] }).subsections;
    delete (s as ReportSection & { subsections?: ReportSection[] }).subsections;
    sections.push(s);
    if (sub) extra.push(...sub);
  }
  const wallSeconds = [...results.values()].reduce((a, r) => a + r.seconds, 0);
  const perKind = new Map<string, JobResult[]>();
  for (const r of results.values()) perKind.set(r.kind, [...(perKind.get(r.kind) ?? []), r]);
  const timeTable: ReportTable = {
    columns: ['job kind', 'jobs done', 'of', 'mean s/job', 'total s'],
    rows: [...new Set(jobs.map((j) => j.kind))].map((k) => {
      const rs = perKind.get(k) ?? [];
      return [k, rs.length, jobs.filter((j) => j.kind === k).length, sfmt(secs(rs)), rs.reduce((a, r) => a + r.seconds, 0).toFixed(0)];
    }),
    caption: `Sum of job wall times ${(wallSeconds / 60).toFixed(1)} min (one worker's time; N workers divide it).`,
  };
  const pre: ReportSection = {
    heading: 'Preconditions',
    paragraphs: [
      ...(c.flags.length === 0 ? ['No precondition flagged: dense nets converged, teachers stronger than the CE students, gaps larger than the spread.'] : c.flags.map((f) => `⚠ ${f}`)),
      ...(reproduced.ok.length ? [`Recomputed on resume (their models were not published) and identical to the published results: ${reproduced.ok.join(', ')}.`] : []),
    ],
  };
  const doc: ReportDoc = {
    title: `Sweep ${recipe.name}`,
    meta: { dataset: recipe.dataset + (recipe.limitTrain ? ` (train ${recipe.limitTrain}, test ${recipe.limitTest ?? 'all'})` : ''), seeds: recipe.seeds.join(', '), jobs: `${results.size}/${jobs.length} done` },
    sections: [pre, ...sections, { heading: 'Wall time', tables: [timeTable] }, ...extra],
  };
  const md: string[] = [`# Sweep ${recipe.name}`, '', recipe.description ?? '', '', `Jobs: ${results.size}/${jobs.length} done; dataset ${doc.meta!.dataset}; seeds ${recipe.seeds.join(', ')}.`, ''];
  for (const s of [pre, ...sections, { heading: 'Wall time', tables: [timeTable] }]) {
    md.push(`## ${s.heading}`, '');
    for (const p of s.paragraphs ?? []) md.push(p.startsWith('⚠') ? `- ${p}` : p, '');
    for (const t of s.tables ?? []) md.push(markdownTable(t), '');
  }
  return { doc, markdown: md.join('\n'), flags: c.flags, done: results.size, total: jobs.length, wallSeconds };
}

/**
 * Writes report.md and report.html into DIR, and, with `publishDir`, also there together with
 * results.json (the recipe and every finished job's result: small files meant for results/).
 */
export async function writeSweepReport(dir: string, recipe: Recipe, jobs: Job[], publishDir?: string): Promise<SweepReport> {
  const r = buildSweepReport(dir, recipe, jobs);
  for (const out of publishDir ? [dir, publishDir] : [dir]) {
    await writeFileAtomic(join(out, 'report.md'), r.markdown);
    await writeHtmlReport(join(out, 'report.html'), r.doc);
  }
  if (publishDir) {
    const results = [...finishedResults(dir, jobs).values()];
    await writeFileAtomic(join(publishDir, 'results.json'), JSON.stringify({ recipe, flags: r.flags, done: r.done, total: r.total, jobSeconds: r.wallSeconds, results }, null, 1) + '\n');
  }
  return r;
}
