/**
 * Experiment (methods.md §7.1): LAP vs MP vs RP (and the global-normalised MP / LAP) on LAP's FCN
 * 784-500×4-10, one-shot pruning from the same dense model at it = 4..10 (6.36 … 0.12 % of weights
 * remaining), per-layer ratios p = [.5, .5, .5, .5, .25], Adam 1.2e-3, batch 60, test error before
 * and after fine-tuning, mean ± std over seeds. One pretrained dense net per seed serves every
 * method and level. Budget cut to ≤ 25 minutes on 2 idle cores (paper: 50k / 50k steps).
 *
 *   npm run exp:lap                      # full: Fashion-MNIST (60k / 10k), 3 seeds → results/lap/
 *   npm run exp:lap -- --quick           # smoke run (~1 minute) → results/lap-quick/
 *   options: --seeds N  --pretrain-steps N  --finetune-steps N  --dataset SPEC  --out DIR
 *
 * Writes results.json (every level of every run, settings, wall times), results.md (error tables
 * mean ± std per method × level, before and after fine-tuning) and report.html. Prints the plan and
 * its predicted wall time from the speeds measured during the first pretraining.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { loadDataset } from '../src/data/registry.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { createModel } from '../src/models/index.js';
import { evalSummary, pipelineLayers, pruneOneShotLevels, type PipelineResult } from '../src/prune/pipeline.js';
import { aggregateResults, buildPruneReport, formatRemaining, formatStat, type AggregateRow } from '../src/prune/report.js';
import { oneShotRemaining } from '../src/prune/schedules.js';
import { writeHtmlReport } from '../src/report/html.js';
import { trainModel } from '../src/train/loop.js';
import { markdownTable } from '../src/report/markdown.js';
import { numArg } from './args.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    'pretrain-steps': { type: 'string' },
    'finetune-steps': { type: 'string' },
    dataset: { type: 'string' },
    out: { type: 'string' },
  },
});

const intArg = numArg;

const quick = args.quick ?? false;
const FULL = { seeds: 3, pretrainSteps: 6000, finetuneSteps: 250, its: [4, 5, 6, 7, 8, 9, 10], limitTrain: undefined as number | undefined, limitTest: undefined as number | undefined };
const QUICK = { seeds: 2, pretrainSteps: 300, finetuneSteps: 20, its: [4, 7, 10], limitTrain: 3000, limitTest: 1000 };
const base = quick ? QUICK : FULL;
const cfg = {
  ...base,
  seeds: intArg('seeds', args.seeds, base.seeds, 1),
  pretrainSteps: intArg('pretrain-steps', args['pretrain-steps'], base.pretrainSteps, 1),
  finetuneSteps: intArg('finetune-steps', args['finetune-steps'], base.finetuneSteps, 0),
  dataset: args.dataset ?? 'fashion-mnist',
  out: args.out ?? (quick ? 'results/lap-quick' : 'results/lap'),
  methods: ['mp', 'lap', 'rp', 'mp_global_normalize', 'lap_global_normalize'],
  perIteration: [0.5, 0.5, 0.5, 0.5, 0.25],
  batchSize: 60,
  lr: 1.2e-3,
  budgetMinutes: 25,
};

const log = (s: string) => process.stderr.write(s + '\n');

/** Predicted seconds of a plan from measured unit costs. */
function predict(c: { seeds: number; pretrainSteps: number; finetuneSteps: number; levels: number; methods: number; testCount: number }, u: { stepS: number; evalPerExampleS: number; pruneS: number }): number {
  const runs = c.levels * c.methods;
  return c.seeds * (c.pretrainSteps * u.stepS + c.testCount * u.evalPerExampleS + runs * (c.finetuneSteps * u.stepS + 2 * c.testCount * u.evalPerExampleS + u.pruneS));
}

/** Error % table: one row per method, one column per level. */
function errorTable(rows: AggregateRow[], which: 'before' | 'after'): string {
  const labels = [...new Set(rows.map((r) => r.label))];
  const methods = [...new Set(rows.map((r) => r.method))];
  const remaining = labels.map((l) => rows.find((r) => r.label === l && !r.method.endsWith('_normalize'))?.remaining ?? rows.find((r) => r.label === l)!.remaining);
  return markdownTable({
    columns: ['method \\ % remaining', ...labels.map((l, i) => `${formatRemaining(remaining[i])} (${l})`)],
    rows: methods.map((m) => [m, ...labels.map((l) => formatStat(rows.find((r) => r.method === m && r.label === l)?.[which], 'error') ?? '-')]),
  });
}

async function main(): Promise<void> {
  const tStart = performance.now();
  const backend = await initBackend();
  const data = await loadDataset(cfg.dataset, { limitTrain: cfg.limitTrain, limitTest: cfg.limitTest, seed: 0 });
  const { train, test } = data;
  const optimizer = { name: 'adam' as const, lr: cfg.lr };
  const levels = cfg.its.map((it) => ({ it }));
  log(
    `exp:lap ${quick ? '(quick) ' : ''}on ${data.name}: ${train.count} train / ${test.count} test; FCN; ${cfg.seeds} seeds × ${cfg.methods.length} methods × ${levels.length} levels; ` +
      `pretrain ${cfg.pretrainSteps} steps, fine-tune ${cfg.finetuneSteps} steps per level; backend ${backend.name} (${backend.threads} threads)`,
  );
  const results: PipelineResult[] = [];
  const runs: { seed: number; method: string; seconds: number }[] = [];
  const pretrain: { seed: number; seconds: number; stepMs: number; denseError: number }[] = [];
  let units: { stepS: number; evalPerExampleS: number; pruneS: number } | undefined;
  for (let seed = 0; seed < cfg.seeds; seed++) {
    const model = createModel('fcn', { inputShape: [train.height, train.width, train.channels], numClasses: train.numClasses, seed });
    try {
      const spe = Math.floor(train.count / cfg.batchSize);
      const tp = performance.now();
      await trainModel(model, train, { epochs: Math.ceil(cfg.pretrainSteps / spe), maxSteps: cfg.pretrainSteps, batchSize: cfg.batchSize, optimizer, seed, dropRemainder: true, progress: false });
      const pretrainS = (performance.now() - tp) / 1000;
      const te = performance.now();
      const dense = await evalSummary(model, test);
      const evalS = (performance.now() - te) / 1000;
      pretrain.push({ seed, seconds: pretrainS, stepMs: (1000 * pretrainS) / cfg.pretrainSteps, denseError: 1 - dense.accuracy });
      log(`seed ${seed}: dense test error ${(100 * (1 - dense.accuracy)).toFixed(2)}% after ${pretrainS.toFixed(1)} s (${((1000 * pretrainS) / cfg.pretrainSteps).toFixed(1)} ms/step)`);
      for (const method of cfg.methods) {
        const t0 = performance.now();
        const r = await pruneOneShotLevels(
          model,
          { method, seed, train, test, levels, perIteration: cfg.perIteration, finetune: { steps: cfg.finetuneSteps, batchSize: cfg.batchSize, optimizer }, log },
          dense,
        );
        results.push(r);
        runs.push({ seed, method, seconds: (performance.now() - t0) / 1000 });
        if (!units) {
          const lv = r.levels;
          const ftSteps = cfg.finetuneSteps * lv.length;
          units = {
            stepS: ftSteps > 0 ? lv.reduce((a, l) => a + l.seconds.finetune, 0) / ftSteps : pretrainS / cfg.pretrainSteps,
            evalPerExampleS: evalS / test.count,
            pruneS: lv.reduce((a, l) => a + l.seconds.prune, 0) / lv.length,
          };
          const full = { seeds: FULL.seeds, pretrainSteps: FULL.pretrainSteps, finetuneSteps: FULL.finetuneSteps, levels: FULL.its.length, methods: cfg.methods.length, testCount: 10000 };
          const mine = { seeds: cfg.seeds, pretrainSteps: cfg.pretrainSteps, finetuneSteps: cfg.finetuneSteps, levels: levels.length, methods: cfg.methods.length, testCount: test.count };
          log(
            `measured: ${(1000 * units.stepS).toFixed(1)} ms per fine-tuning step, ${(1e6 * units.evalPerExampleS).toFixed(1)} µs per test example, ${(1000 * units.pruneS).toFixed(0)} ms per prune (${method}); ` +
              `this run ≈ ${(predict(mine, units) / 60).toFixed(1)} min; full plan (${full.seeds} seeds, ${full.pretrainSteps} + 35 × ${full.finetuneSteps} steps, 10k test) ≈ ${(predict(full, units) / 60).toFixed(1)} min at these speeds (budget ${cfg.budgetMinutes} min on 2 idle cores)`,
          );
        }
      }
    } finally {
      model.dispose();
    }
  }
  const wall = (performance.now() - tStart) / 1000;
  const rows = aggregateResults(results);
  const settings = {
    dataset: data.name, trainCount: train.count, testCount: test.count, model: 'fcn 784-500-500-500-500-10', seeds: cfg.seeds,
    methods: cfg.methods, its: cfg.its, perIteration: cfg.perIteration, pretrainSteps: cfg.pretrainSteps, finetuneSteps: cfg.finetuneSteps,
    batchSize: cfg.batchSize, optimizer, backend: `${backend.name} (${backend.threads} threads)`, quick,
  };
  const remaining = cfg.its.map((it) => oneShotRemaining(cfg.perIteration, pipelineLayersSizes(), it));
  const settingsLine =
    `Settings: FCN 784-500×4-10, ${train.count} train / ${test.count} test examples, Adam lr ${cfg.lr}, batch ${cfg.batchSize}, pretrain ${cfg.pretrainSteps} steps, ` +
    `fine-tune ${cfg.finetuneSteps} steps per level (paper: 50k / 50k), per-layer ratios p = [${cfg.perIteration.join(', ')}], it = ${cfg.its.join(', ')} ` +
    `(${remaining.map((r) => formatRemaining(r)).join(', ')} % remaining); global methods prune the same total fraction; backend ${settings.backend}.`;
  const md = [
    `# LAP vs MP vs RP — FCN on ${data.name}${quick ? ' (quick smoke run)' : ''}`,
    '',
    `One-shot pruning from the same dense model per seed; test error % (mean ± std over ${cfg.seeds} seeds), final value after fine-tuning (no best-of).`,
    '',
    settingsLine,
    '',
    `Dense test error: ${pretrain.map((p) => (100 * p.denseError).toFixed(2)).join(', ')} % (seeds 0..${cfg.seeds - 1}).`,
    '',
    '## Test error after fine-tuning',
    '',
    errorTable(rows, 'after'),
    '',
    '## Test error before fine-tuning (right after pruning)',
    '',
    errorTable(rows, 'before'),
    '',
    '## Wall time',
    '',
    `Total ${(wall / 60).toFixed(1)} min. Pretraining per seed: ${pretrain.map((p) => `${p.seconds.toFixed(0)} s (${p.stepMs.toFixed(1)} ms/step)`).join(', ')}.`,
    '',
    markdownTable({
      columns: ['seed', ...cfg.methods],
      rows: [...new Set(runs.map((r) => r.seed))].map((s) => [String(s), ...cfg.methods.map((m) => `${runs.find((r) => r.seed === s && r.method === m)!.seconds.toFixed(0)} s`)]),
    }),
    '',
  ].join('\n');
  const outJson = join(cfg.out, 'results.json');
  await writeFileAtomic(outJson, JSON.stringify({ settings, wallSeconds: wall, pretrain, runs, units, results }, null, 2) + '\n');
  await writeFileAtomic(join(cfg.out, 'results.md'), md);
  await writeHtmlReport(
    join(cfg.out, 'report.html'),
    buildPruneReport({
      title: `LAP vs MP vs RP: FCN on ${data.name}${quick ? ' (quick)' : ''}`,
      meta: { date: new Date().toISOString(), backend: settings.backend, command: `exp/lap.ts ${process.argv.slice(2).join(' ')}` },
      results,
      metric: 'error',
      notes: [settingsLine, `Wall time ${(wall / 60).toFixed(1)} min.`],
    }),
  );
  process.stdout.write(`${md}\nwrote ${outJson}, results.md, report.html in ${(wall / 60).toFixed(1)} min\n`);
}

/** Kernel sizes of the FCN's prunable layers (for the remaining-weight labels). */
function pipelineLayersSizes(): number[] {
  const m = createModel('fcn', { inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
  try {
    return pipelineLayers(m, {}).map((l) => l.geom.size);
  } finally {
    m.dispose();
  }
}

main().catch((err) => {
  process.stderr.write(`exp:lap: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
