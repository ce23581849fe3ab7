/**
 * Experiment (methods.md §7.3, issue 5): Fourier-guided two-stage pruning on Fashion-MNIST.
 * For each model (LAP's FCN 784-500×4-10 and LeNet-5) one dense teacher is trained (seed 0); for each
 * sparsity (95%, 98%) stage 1 finds the masks once by iterative layer-wise MBP (20% of survivors per
 * round, a short CE retraining between rounds); then every stage-2 method — CE fine-tuning ('none'),
 * plain KD, Variant A ('freq-a'), Variant B ('freq-b') — retrains a copy of the same pruned student with
 * the same step budget, for each seed (seeds change the stage-2 batch order only). Reported: test
 * accuracy mean ± std over seeds, wall time of every run, and the frequency analysis (e_low/e_high vs δ,
 * accuracy vs low-pass radius) of the dense net, the nets right after pruning, and per epoch of
 * retraining (seed 0).
 *
 *   npm run exp:fourier                    # full: 60k / 10k, 3 seeds → results/fourier/
 *   npm run exp:fourier -- --quick         # smoke run (~1–2 minutes) → results/fourier-quick/
 *   options: --seeds N  --models fcn,lenet5  --stage2-epochs N  --stage2-steps N (per epoch)  --dataset SPEC  --out DIR
 *
 * The training set is the full Fashion-MNIST train split; the budget is set by capping steps per epoch
 * (each epoch is a fresh shuffle of the whole split). The plan and its predicted wall time (from the
 * step times measured while training the teachers) are printed before stage 2.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.js';
import { take } from '../src/data/batches.js';
import { loadDataset } from '../src/data/registry.js';
import type { ImageSet } from '../src/data/types.js';
import { KD_MODES, type KdMode } from '../src/distill/curriculum.js';
import { findMasks, retrainMasked } from '../src/distill/fourier-prune.js';
import { analysisSection, retrainingChart } from '../src/distill/report.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { createModel, type ZooModelName } from '../src/models/index.js';
import type { ReportDoc, ReportSection, ReportTable } from '../src/report/doc.js';
import { writeHtmlReport } from '../src/report/html.js';
import { formatTable } from '../src/report/table.js';
import { FrequencyAnalyzer, type FrequencyAnalysis } from '../src/spectral/analysis.js';
import { evaluate } from '../src/train/evaluate.js';
import { trainModel } from '../src/train/loop.js';
import { markdownTable } from '../src/report/markdown.js';
import { numArg } from './args.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    models: { type: 'string' },
    'stage2-epochs': { type: 'string' },
    'stage2-steps': { type: 'string' },
    dataset: { type: 'string' },
    out: { type: 'string' },
  },
});

const quick = args.quick ?? false;
interface Plan {
  seeds: number;
  sparsities: number[];
  batchSize: number;
  teacherEpochs: number;
  teacherSteps: number; // per epoch
  roundSteps: number; // CE steps between MBP rounds
  stage2Epochs: number;
  stage2Steps: number; // per epoch
  analysisSamples: number;
  limitTrain?: number;
  limitTest?: number;
}
const FULL: Plan = { seeds: 3, sparsities: [0.95, 0.98], batchSize: 128, teacherEpochs: 4, teacherSteps: 235, roundSteps: 40, stage2Epochs: 5, stage2Steps: 40, analysisSamples: 500 };
const QUICK: Plan = { seeds: 2, sparsities: [0.95, 0.98], batchSize: 128, teacherEpochs: 2, teacherSteps: 15, roundSteps: 2, stage2Epochs: 2, stage2Steps: 5, analysisSamples: 100, limitTrain: 3000, limitTest: 1000 };
const plan: Plan = { ...(quick ? QUICK : FULL) };
const intArg = (name: string, v: string | undefined, dflt: number): number => numArg(name, v, dflt, 1);
plan.seeds = intArg('seeds', args.seeds, plan.seeds);
plan.stage2Epochs = intArg('stage2-epochs', args['stage2-epochs'], plan.stage2Epochs);
plan.stage2Steps = intArg('stage2-steps', args['stage2-steps'], plan.stage2Steps);
const models = (args.models ?? 'fcn,lenet5').split(',').map((s) => s.trim()) as ZooModelName[];
const dataset = args.dataset ?? 'fashion-mnist';
const outDir = args.out ?? (quick ? 'results/fourier-quick' : 'results/fourier');
const lr = 1e-3;
const methods: KdMode[] = [...KD_MODES];

interface Run {
  model: string;
  sparsity: number;
  method: KdMode;
  seed: number;
  testAccuracy: number;
  steps: number;
  seconds: number;
  msPerStep: number;
}

const meanStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : 0;
  return { mean: m, std: Math.sqrt(v) };
};
const fmt = (xs: number[]) => {
  const { mean, std } = meanStd(xs.map((x) => 100 * x));
  return `${mean.toFixed(2)} ± ${std.toFixed(2)}`;
};

async function main(): Promise<void> {
  const t0 = performance.now();
  const backend = await initBackend();
  const data = await loadDataset(dataset, { limitTrain: plan.limitTrain, limitTest: plan.limitTest, seed: 0 });
  const { train, test } = data;
  const analysisSet: ImageSet = take(test, plan.analysisSamples);
  const shape: [number, number, number] = [train.height, train.width, train.channels];
  process.stdout.write(
    `exp:fourier ${quick ? '(quick) ' : ''}on ${data.name}: ${train.count} train / ${test.count} test; models ${models.join(', ')}; ` +
      `sparsities ${plan.sparsities.map((s) => `${100 * s}%`).join(', ')}; methods ${methods.join(', ')}; ${plan.seeds} seeds; ` +
      `stage 2 = ${plan.stage2Epochs} × ${plan.stage2Steps} steps of batch ${plan.batchSize}; backend ${backend.name} (${backend.threads} threads)\n`,
  );
  const runs: Run[] = [];
  const perModel: Record<string, { teacherAccuracy: number; teacherSeconds: number; msPerStep: number; stage1: Record<string, { seconds: number; rounds: number; sparsity: number; accuracyAfterPrune: number }> }> = {};
  const analyses: Record<string, FrequencyAnalysis[]> = {};
  const retraining: Record<string, FrequencyAnalysis[]> = {};

  for (const name of models) {
    const teacher = createModel(name, { inputShape: shape, numClasses: train.numClasses, seed: 0 });
    const tt = performance.now();
    const h = await trainModel(teacher, train, {
      epochs: plan.teacherEpochs, stepsPerEpoch: plan.teacherSteps, batchSize: plan.batchSize, optimizer: { name: 'adam', lr }, seed: 0, progress: false,
    });
    const teacherSeconds = (performance.now() - tt) / 1000;
    const msPerStep = (1000 * teacherSeconds) / h.steps;
    const teacherAccuracy = (await evaluate(teacher, test)).accuracy;
    process.stdout.write(`[${name}] teacher: ${(100 * teacherAccuracy).toFixed(2)}% test accuracy, ${h.steps} steps in ${teacherSeconds.toFixed(1)} s (${msPerStep.toFixed(1)} ms/step)\n`);
    // Predicted stage-2 cost: CE 1×, KD ≈ 1.3×, freq-b ≈ 1.3× + 0.6·1× (second student forward/backward on low-passed images).
    const factor = 1 + 1.3 + 1.3 + 1.9;
    const s2 = plan.sparsities.length * plan.seeds * plan.stage2Epochs * plan.stage2Steps * factor * msPerStep / 1000;
    const s1 = plan.sparsities.reduce((a, s) => a + Math.ceil(Math.log(1 - s) / Math.log(0.8)), 0) * plan.roundSteps * msPerStep / 1000;
    process.stdout.write(`[${name}] plan: stage 1 ≈ ${s1.toFixed(0)} s, stage 2 ≈ ${s2.toFixed(0)} s (${plan.sparsities.length * plan.seeds * methods.length} runs)\n`);
    const analyzer = new FrequencyAnalyzer(analysisSet, { teacher });
    analyses[name] = [analyzer.analyze(teacher, 'dense')];
    perModel[name] = { teacherAccuracy, teacherSeconds, msPerStep, stage1: {} };
    try {
      for (const sparsity of plan.sparsities) {
        const s1r = await findMasks(teacher, {
          sparsity, stage1: 'iterative', method: 'mp', q: 0.2, data: train, roundEpochs: 1, roundStepsPerEpoch: plan.roundSteps,
          batchSize: plan.batchSize, optimizer: { name: 'adam', lr }, seed: 0, progress: false,
        });
        const accuracyAfterPrune = (await evaluate(s1r.student, test)).accuracy;
        perModel[name].stage1[String(sparsity)] = { seconds: s1r.seconds, rounds: s1r.rounds, sparsity: s1r.sparsity, accuracyAfterPrune };
        const prunedAnalysis = { ...analyzer.analyze(s1r.student, `MBP ${100 * sparsity}%`), epoch: 0 };
        analyses[name].push(prunedAnalysis);
        process.stdout.write(
          `[${name}] stage 1 ${100 * sparsity}%: ${s1r.rounds} rounds in ${s1r.seconds.toFixed(1)} s, sparsity ${(100 * s1r.sparsity).toFixed(2)}%, accuracy after pruning ${(100 * accuracyAfterPrune).toFixed(2)}%\n`,
        );
        const pruned = s1r.student.getWeights().map((w) => w.clone());
        try {
          for (const method of methods) {
            for (let seed = 0; seed < plan.seeds; seed++) {
              const student = createModel(name, { inputShape: shape, numClasses: train.numClasses, seed: 0 });
              student.setWeights(pruned);
              const r = await retrainMasked(student, teacher, s1r.masks, {
                kd: method, train, epochs: plan.stage2Epochs, stepsPerEpoch: plan.stage2Steps, batchSize: plan.batchSize,
                optimizer: { name: 'adam', lr }, seed, analyzer: seed === 0 ? analyzer : undefined,
              });
              const acc = (await evaluate(student, test)).accuracy;
              student.dispose();
              const run: Run = { model: name, sparsity, method, seed, testAccuracy: acc, steps: r.history.steps, seconds: r.seconds, msPerStep: (1000 * r.seconds) / r.history.steps };
              runs.push(run);
              if (seed === 0) retraining[`${name}/${sparsity}/${method}`] = [prunedAnalysis, ...r.analysis];
              process.stdout.write(`[${name}] ${100 * sparsity}% ${method.padEnd(6)} seed ${seed}: ${(100 * acc).toFixed(2)}%  (${r.history.steps} steps, ${r.seconds.toFixed(1)} s)\n`);
            }
          }
        } finally {
          tf.dispose(pruned);
          s1r.student.dispose();
        }
      }
    } finally {
      analyzer.dispose();
      teacher.dispose();
    }
  }
  const wall = (performance.now() - t0) / 1000;

  // ---- tables ----
  const table: ReportTable = {
    columns: ['model', 'sparsity %', 'accuracy after MBP %', ...methods.map((m) => `${m} acc % (mean ± std)`), ...methods.map((m) => `${m} s/run`)],
    rows: [],
    caption: `Test accuracy after stage 2 over ${plan.seeds} seeds (same masks, same ${plan.stage2Epochs * plan.stage2Steps} steps); seconds = mean wall time per stage-2 run (includes per-epoch analysis for seed 0).`,
  };
  for (const name of models)
    for (const s of plan.sparsities) {
      const sel = (m: KdMode) => runs.filter((r) => r.model === name && r.sparsity === s && r.method === m);
      table.rows.push([
        name, 100 * s, (100 * perModel[name].stage1[String(s)].accuracyAfterPrune).toFixed(2),
        ...methods.map((m) => fmt(sel(m).map((r) => r.testAccuracy))),
        ...methods.map((m) => meanStd(sel(m).map((r) => r.seconds)).mean.toFixed(1)),
      ]);
    }
  const runTable: ReportTable = {
    columns: ['model', 'sparsity %', 'method', 'seed', 'test acc %', 'steps', 'seconds', 'ms/step'],
    rows: runs.map((r) => [r.model, 100 * r.sparsity, r.method, r.seed, (100 * r.testAccuracy).toFixed(2), r.steps, r.seconds.toFixed(1), r.msPerStep.toFixed(1)]),
  };
  const teacherTable: ReportTable = {
    columns: ['model', 'dense acc %', 'teacher s', 'ms/step'],
    rows: models.map((m) => [m, (100 * perModel[m].teacherAccuracy).toFixed(2), perModel[m].teacherSeconds.toFixed(1), perModel[m].msPerStep.toFixed(1)]),
  };
  process.stdout.write('\n' + formatTable(table) + '\n');

  const settings = { ...plan, models, dataset: data.name, train: train.count, test: test.count, lr, optimizer: 'adam', methods, alpha: 0.7, tau: 4, backend: `${backend.name} (${backend.threads} threads)`, quick };
  const md = [
    `# Fourier-guided two-stage pruning — ${models.join(', ')} on ${data.name}${quick ? ' (quick smoke run)' : ''}`,
    '',
    `Stage 1: iterative layer-wise MBP, 20% of survivors per round, ${plan.roundSteps} CE steps between rounds; one teacher (seed 0) and one mask set per model × sparsity.`,
    `Stage 2: Adam ${lr}, batch ${plan.batchSize}, ${plan.stage2Epochs} epochs × ${plan.stage2Steps} steps; KD α = 0.7, τ = 4; freq-a: effective neighbours k 16 → 1 (geometric) over the first 70% of steps on a 2,048-point anchor set, then plain KD; freq-b: radii 4, 8, 12, 16 over the first 60%, then unfiltered. Seeds change the stage-2 batch order.`,
    `Backend ${settings.backend}; total wall time ${(wall / 60).toFixed(1)} min.`,
    '',
    '## Test accuracy after stage 2',
    '',
    markdownTable(table),
    '',
    '## Dense teachers',
    '',
    markdownTable(teacherTable),
    '',
    '## Every run',
    '',
    markdownTable(runTable),
    '',
  ].join('\n');
  const sections: ReportSection[] = [
    { heading: 'Test accuracy after stage 2', tables: [table, teacherTable] },
    ...models.map((m) => analysisSection(analyses[m], `Frequency analysis: ${m}, dense vs right after MBP`, `fa-${m}`)),
    ...Object.entries(retraining).map(([key, recs]) => ({
      heading: `Retraining ${key} (seed 0)`,
      charts: [retrainingChart(recs, `rt-${key.replace(/[^a-z0-9]/gi, '-')}`, `e_low / e_high vs epoch: ${key}`)],
    })),
    { heading: 'Every run', tables: [runTable] },
  ];
  const doc: ReportDoc = {
    title: `Fourier-guided two-stage pruning on ${data.name}${quick ? ' (quick)' : ''}`,
    meta: { date: new Date().toISOString(), backend: settings.backend, command: `exp/fourier.ts ${process.argv.slice(2).join(' ')}`, wall: `${(wall / 60).toFixed(1)} min` },
    sections,
  };
  await writeFileAtomic(join(outDir, 'results.json'), JSON.stringify({ settings, wallSeconds: wall, perModel, runs, analyses, retraining }, null, 2) + '\n');
  await writeFileAtomic(join(outDir, 'results.md'), md);
  await writeHtmlReport(join(outDir, 'report.html'), doc);
  process.stdout.write(`wrote ${outDir}/results.json, results.md, report.html; total ${(wall / 60).toFixed(1)} min\n`);
}


await main();
